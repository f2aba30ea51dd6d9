/**
 * `npm run bench [-- --size tiny|small|full] [-- --only callback,processor,...]` (or BENCH_SIZE=tiny): the figures
 * that matter for pincode-bridge, each beside the limit it is held against, both measured in this run on this
 * machine with the emulators the tests use. Prints a table and writes bench/results.json. Asserts nothing: tests
 * assert behaviour, the bench measures speed (a missed target is reported, not failed). CI runs `--size tiny`.
 *
 * Sections: cold start (bundle size, module init), callback (ACK latency, throughput vs raw SendMessage),
 * processor (snapshots/s vs raw conditional PutItem, DynamoDB requests per snapshot), commands (commands/s vs raw
 * conditional PutItem), contract (parse + freshness key), poller
 * (Pincode calls per changed order vs the minimum), end to end in local mode, cost per million orders.
 */
import "../../bin/local/quiet.ts";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";
import { benchCallback } from "./callback.ts";
import { benchColdStart } from "./cold-start.ts";
import { benchCommands } from "./commands.ts";
import { benchContract } from "./contract.ts";
import { costPerMillionOrders, costRows, PRICES } from "./cost.ts";
import { benchEndToEnd, benchPoller } from "./local-mode.ts";
import { benchProcessor } from "./processor.ts";
import { type BenchSize, formatTable, judge, type Row, SIZES } from "./support.ts";

// Read when loggers and metrics are created (at run time, below), not at import.
process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED = "true";

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const arg = args[i] as string;
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[i + 1];
}

const size = (option("size") ?? process.env.BENCH_SIZE ?? "full") as BenchSize;
if (!(size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(", ")}`);
const sizes = SIZES[size];
const e2eOrders = Number(option("orders") ?? process.env.BENCH_ORDERS ?? sizes.e2eOrders);
const only = option("only")?.split(",");
const want = (section: string) => !only || only.includes(section);
const out = option("out") ?? process.env.BENCH_OUT ?? join(REPO_ROOT, "bench", "results.json");

let sectionStart = performance.now();
const log = (line: string) => {
  console.log(`  [${((performance.now() - sectionStart) / 1000).toFixed(1)} s] ${line}`);
};
const section = (name: string) => {
  sectionStart = performance.now();
  console.log(name);
};
/** A section that fails is reported as a gap; the others still print and are written. */
async function guarded(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.log(`  ${name} failed: ${reason}`);
    gaps.push(`${name}: failed in this run (${reason})`);
  }
}
const rows: Row[] = [];
const gaps: string[] = [];
const raw: Record<string, unknown> = {};
const started = Date.now();
const machine = {
  node: process.version,
  platform: `${process.platform}/${process.arch}`,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
};
console.log(
  `pincode-bridge bench, size ${size}, ${new Date(started).toISOString()}, node ${machine.node}, ${machine.cpus}\n`,
);

if (want("cold-start")) {
  section("cold-start");
  // The tiny (CI) size bundles the callback only: the loop is the same for every function, and esbuild is slow.
  // `--functions callback` and `--init-runs 15` re-measure one figure with more runs (a noisy machine).
  const functions = option("functions")?.split(",") ?? (size === "tiny" ? ["callback"] : undefined);
  const r = await benchColdStart(Number(option("init-runs") ?? sizes.initRuns), log, functions);
  rows.push(...r.rows);
  raw.coldStart = r.results;
}
let callbackFigures: Awaited<ReturnType<typeof benchCallback>>["figures"] | undefined;
if (want("callback")) {
  section("callback");
  const r = await benchCallback(
    { sequential: sizes.callbackSequential, rounds: sizes.callbackRounds, concurrent: sizes.callbackConcurrent },
    log,
  );
  rows.push(...r.rows);
  raw.callback = callbackFigures = r.figures;
}
let processor: Awaited<ReturnType<typeof benchProcessor>> | undefined;
if (want("processor")) {
  section("processor");
  processor = await benchProcessor(sizes.processorOrders, log);
  rows.push(...processor.rows);
  raw.processor = { phases: processor.phases, rawPerSecond: processor.rawPerSecond, itemBytes: processor.itemBytes };
}
if (want("commands") || (only?.includes("processor") ?? false)) {
  section("commands");
  await guarded("commands", async () => {
    const r = await benchCommands(sizes.processorOrders, log);
    rows.push(...r.rows);
    raw.commands = r.figures;
  });
}
// CPU only; its own section so it can run alone (`--only contract`), and runs with `processor` as before.
if (want("contract") || (only?.includes("processor") ?? false)) {
  section("contract");
  const contract = await benchContract(sizes.contractSnapshots, log);
  rows.push(...contract.rows);
  raw.contract = { usPerSnapshot: contract.usPerSnapshot, runs: contract.runs };
}
if (want("poller")) {
  section("poller");
  await guarded("poller", async () => {
    const r = await benchPoller(sizes.pollerOrders, log);
    rows.push(...r.rows);
    gaps.push(...r.gaps);
    raw.poller = r.scenarios;
  });
}
if (want("e2e")) {
  section("e2e");
  await guarded("end to end", async () => {
    const mode = option("e2e-mode") ?? process.env.BENCH_E2E_MODE ?? "children";
    if (mode !== "children" && mode !== "in-process") throw new Error("--e2e-mode must be children or in-process");
    const r = await benchEndToEnd(
      {
        orders: e2eOrders,
        ratePerSecond: Number(option("e2e-rate") ?? process.env.BENCH_E2E_RATE ?? 100),
        mode,
        budgetPerSecond: Number(option("e2e-budget") ?? process.env.BENCH_E2E_BUDGET ?? 50),
      },
      log,
    );
    rows.push(...r.rows);
    raw.endToEnd = r.e2e;
    if (r.e2e.stored < r.e2e.orders)
      gaps.push(`end to end: ${r.e2e.stored} of ${r.e2e.orders} orders stored by the deadline`);
  });
}
if (callbackFigures && processor) {
  const fresh = processor.phases.find((p) => p.phase === "new");
  const cost = costPerMillionOrders({
    // Assumption: created, accepted, packing, packed, out for delivery/delivered, completed.
    callbacksPerOrder: 6,
    callbackMs: callbackFigures.ackMeanMs,
    tokenMs: callbackFigures.tokenMeanMs,
    processorMsPerSnapshot: fresh?.msPerSnapshot ?? Number.NaN,
    writeUnitsPerSnapshot: 2 * Math.ceil(processor.itemBytes / 1024) + 1,
    readUnitsPerSnapshot: Math.ceil(processor.itemBytes / 4096) + 1,
    // Estimate: one INFO line of ~600 bytes from each of the callback and the processor per callback.
    logBytesPerCallback: 1_200,
  });
  rows.push(...costRows(cost));
  raw.cost = { ...cost, prices: PRICES };
} else if (want("cost")) {
  gaps.push("cost: needs the callback and processor sections in the same run");
}

const judged = rows.map(judge);
const table = formatTable(judged);
console.log(`\n${table}\n`);
for (const gap of gaps) console.log(`gap: ${gap}`);
const missed = judged.filter((r) => r.met === false);
console.log(
  missed.length === 0
    ? "\nevery target met in this run"
    : `\n${missed.length} target(s) missed in this run: ${missed.map((r) => `${r.section} ${r.figure}`).join("; ")}`,
);
console.log("Emulators are local (dynalite, fauxqs): absolute numbers are not AWS numbers; the ratios are the point.");

mkdirSync(join(out, ".."), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date(started).toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      size,
      command: `npm run bench -- --size ${size}${only ? ` --only ${only.join(",")}` : ""}`,
      machine,
      rows: judged,
      gaps,
      raw,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
