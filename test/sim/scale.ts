/**
 * `npm run sim:scale` (issue 13): local mode (the whole pipeline in one process: sandbox, front door, fauxqs,
 * dynalite, processor, poller, commands) with N stores on one Pincode credential and a budget the sandbox enforces.
 *
 *   npm run sim:scale -- --stores 10000 --budget 20 --minutes 5 [--drain-minutes 13] [--orders-per-min 100]
 *                        [--lost 0.1] [--min-interval 120] [--max-interval 660] [--seed 1313]
 *                        [--warmup-minutes N] [--poll-consumers 6] [--in-process]
 *
 * dynalite, fauxqs and the sandbox run in child processes (bin/local/external-processes.ts), so the functions' event
 * loop is not the emulators' too; `--in-process` runs everything in this process, as before. The main process's
 * event-loop delay (node:perf_hooks monitorEventLoopDelay) is printed each minute and at the end: a late loop makes
 * a budget slot come round late, which the budget then gives up (docs/rate-budget.md).
 *
 * Real time, no clock scaling: orders are created for `--minutes`, spread over the stores at random; then the run
 * goes on for `--drain-minutes` (default: the lost-callback target, stores / budget x 1.5) so the lost-callback
 * orders can be found. The callbacks of a tenth of the stores (`--lost`) never reach the bridge: a proxy between the
 * sandbox and the front door answers 200 for them and forwards the rest. Every 10 s a seller action (a store toggle,
 * a command) goes through the seller API. Prints the figures of issue 13's targets; exits 1 when a target is missed.
 */
import "../../bin/local/quiet.ts";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { BatchGetItemCommand } from "@aws-sdk/client-dynamodb";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { startExternalProcesses } from "../../bin/local/external-processes.ts";
import { startLocalPipeline } from "../../bin/local/pipeline.ts";
import { keyOf } from "../../functions/adapters/attributes.ts";
import { keys } from "../../functions/adapters/table.ts";
import { firstPassPeriodMs, intervalCeilingMs, maxTasksPerTick } from "../../functions/poller/schedule.ts";
import { inProcessSandboxControl, type SandboxControl } from "../../sandbox/control.ts";
import { generateStoreIds } from "../../sandbox/store-ids.ts";
import { PRICES } from "../bench/cost.ts";

const { values: args } = parseArgs({
  options: {
    stores: { type: "string", default: "10000" },
    budget: { type: "string", default: "20" },
    minutes: { type: "string", default: "5" },
    "drain-minutes": { type: "string" },
    "orders-per-min": { type: "string" },
    lost: { type: "string", default: "0.1" },
    "min-interval": { type: "string", default: "120" },
    "max-interval": { type: "string" },
    seed: { type: "string", default: "1313" },
    "warmup-minutes": { type: "string" },
    "poll-consumers": { type: "string", default: "6" },
    "in-process": { type: "boolean", default: false },
    /** Exit status from the invariants CI can hold at any size (see the end); the lost-callback bound is printed. */
    ci: { type: "boolean", default: false },
  },
});
process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED = "true";

const stores = Number(args.stores);
const budget = Number(args.budget);
const orderMinutes = Number(args.minutes);
const lostShare = Number(args.lost);
/** The lost-callback target: every order within (stores / budget) x 1.5 seconds. */
const lostTargetMs = (stores / budget) * 1.5 * 1000;
const drainMinutes = Number(args["drain-minutes"] ?? Math.ceil(lostTargetMs / 60_000) + 1);
const ordersPerMinute = Number(args["orders-per-min"] ?? Math.max(20, Math.round(stores / 100)));
const minIntervalS = Number(args["min-interval"]);
const TICK_S = 60;
const LOOKBACK_S = 600;
const SETTLE_S = 30;
// The poller's figures for this size (functions/poller/schedule.ts): the tick's task cap (the poll share of the paced
// budget at one call per quiet run), the interval ceiling every store is polled within, and the first pass.
const schedule = {
  minMs: minIntervalS * 1000,
  tickMs: TICK_S * 1000,
  maxTasksPerRun: maxTasksPerTick(budget, TICK_S * 1000),
  ceilingFloorMs: (LOOKBACK_S + SETTLE_S) * 1000,
};
const ceilingMs = intervalCeilingMs(stores, schedule);
const firstPassMs = firstPassPeriodMs(stores, schedule);
// The stored maximum: stores ÷ the poll rate, rounded up to a minute, at least the minimum (without the ceiling's
// look-back floor: a size the budget polls every minimum interval is polled so, as CI's 500 stores).
const maxIntervalS = Number(
  args["max-interval"] ??
    Math.max(minIntervalS, Math.ceil(intervalCeilingMs(stores, { ...schedule, ceilingFloorMs: 0 }) / 60_000) * 60),
);
const longestMs = Math.min(maxIntervalS * 1000, ceilingMs);
// Orders start once the first pass over every store is done (seeding, the first tick, the pass itself), when the
// budget makes the first pass longer than the minimum interval; a size that fits starts at once (CI).
const warmupMinutes = Number(
  args["warmup-minutes"] ?? (firstPassMs > schedule.minMs ? Math.ceil(firstPassMs / 60_000) + 2 : 0),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
let seed = Number(args.seed) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const storeIds = generateStoreIds(stores);
const lostStores = new Set(storeIds.filter((_, i) => i % Math.round(1 / lostShare) === 0));
const startedAt = Date.now();
const log = (line: string) => process.stdout.write(`[${s(Date.now() - startedAt).padStart(8)}] ${line}\n`);

log(
  `sim:scale: ${stores} stores (${lostStores.size} with lost callbacks), budget ${budget}/s, orders ` +
    `${ordersPerMinute}/min for ${orderMinutes} min after ${warmupMinutes} min warm-up, then ${drainMinutes} min; ` +
    `poll interval ${minIntervalS}-${maxIntervalS} s; ${args["poll-consumers"]} poll consumers; ` +
    `${args["in-process"] ? "everything in this process" : "dynalite, fauxqs and the sandbox in child processes"}`,
);
log(
  `poller at this size: ${schedule.maxTasksPerRun} tasks a ${TICK_S}-s tick, interval ceiling ${s(ceilingMs)}, ` +
    `first pass over all stores ${s(firstPassMs)} (${firstPassMs <= schedule.minMs ? "within the minimum interval: no warm-up needed" : `warm-up ${warmupMinutes} min covers it: ${warmupMinutes * 60_000 >= firstPassMs + 60_000 ? "yes" : "NO"}`}); ` +
    `longest interval any store gets min(max ${maxIntervalS} s, ceiling) = ${s(longestMs)}; lost-callback bound = that + settle ${SETTLE_S} s + ` +
    `scheduling + Status Check = ${s(longestMs + SETTLE_S * 1000)} + a few s, target ${s(lostTargetMs)}`,
);

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const loopMinutes: { p50: number; p99: number; max: number }[] = [];
const loopMs = (ns: number) => Math.round(ns / 1e6);
const external = args["in-process"]
  ? undefined
  : await startExternalProcesses({
      sandbox: {
        SANDBOX_SEED: String(args.seed),
        SANDBOX_STORES: String(stores),
        SANDBOX_RATE_LIMIT_PER_S: String(budget),
      },
      log: (line) => {
        if (!/^sandbox: .*callback/i.test(line)) log(`child ${line}`);
      },
    });

const config = loadLocalConfig(
  {
    PORT: "0",
    SANDBOX_PORT: "0",
    DYNAMODB_PORT: "0",
    SQS_PORT: "0",
    DEMO: "0",
    STATUS_LINE: "0",
    STORE_IDS: storeIds.join(","),
    POLL_INTERVAL_S: String(TICK_S),
    POLL_INTERVAL_MIN_S: String(minIntervalS),
    POLL_INTERVAL_MAX_S: String(maxIntervalS),
    POLL_SETTLE_S: String(SETTLE_S),
    POLL_LOOKBACK_S: String(LOOKBACK_S),
    PINCODE_RATE_LIMIT_PER_S: String(budget),
    SANDBOX_SEED: String(args.seed),
    VISIBILITY_TIMEOUT_S: "30",
    POLL_CONSUMERS: String(args["poll-consumers"]),
    ...(external?.env ?? {}),
  },
  ["--in-memory"],
);

const created = new Map<string, { at: number; lost: boolean }>();
const stored = new Map<string, number>();
const commandWaits: number[] = [];
const backgroundWaits: number[] = [];
const pipeline = await startLocalPipeline(config, (line) => log(`local: ${line}`), {
  onDomainEvent: (event) => {
    if (event.detailType !== "OrderChanged") return;
    const id = String(event.detail.orderId);
    if (created.has(id) && !stored.has(id)) stored.set(id, Date.now());
  },
  onRateWait: (wait) => (wait.priority === "command" ? commandWaits : backgroundWaits).push(wait.waitMs),
});
const sandbox: SandboxControl = external
  ? external.sandbox
  : pipeline.sandbox
    ? inProcessSandboxControl(pipeline.sandbox)
    : (() => {
        throw new Error("sim:scale runs against the sandbox");
      })();
log(
  `local mode up: ${pipeline.apiUrl}; sandbox ${sandbox.url} enforces ${JSON.stringify(await sandbox.getRateLimit())}` +
    (external ? `; child pids ${JSON.stringify(external.pids)}` : ""),
);

// The lost callbacks: a proxy the sandbox delivers to, which swallows (200) the callbacks of the lost stores.
let swallowed = 0;
const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks);
    const text = body.toString("utf8");
    const store = /"serviceProvider"\s*:\s*\{\s*"id"\s*:\s*"([^"]+)"/.exec(text)?.[1];
    if (store && lostStores.has(store)) {
      swallowed++;
      // Lost on our side of Pincode: Pincode sees its ACK (PINCODE-API §3: {status: ACK, requestContext}).
      let requestContext: unknown = {};
      try {
        requestContext = (JSON.parse(text) as { requestContext?: unknown }).requestContext ?? {};
      } catch {
        // not JSON: answer the bare ACK
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ACK", requestContext }));
      return;
    }
    try {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
      const answer = await fetch(pipeline.callbackUrl, { method: req.method ?? "POST", headers, body });
      res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
    } catch {
      res.writeHead(502).end();
    }
  });
});
await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/callbacks`;
await sandbox.registerCallback({ url: proxyUrl, tokenUrl: pipeline.tokenUrl, ...pipeline.callbackClient });

// Per-store poll progress, sampled every minute from the checkpoints (BatchGetItem, 100 keys a request).
const lastPolled = new Map<string, number>();
const runsPerStore = new Map<string, number>();
const worstLag = new Map<string, number>();
async function sampleCheckpoints() {
  const now = Date.now();
  for (let i = 0; i < storeIds.length; i += 100) {
    const ids = storeIds.slice(i, i + 100);
    const result = await pipeline.dynamo.client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [pipeline.dynamo.tableName]: {
            Keys: ids.map((id) => keyOf(keys.pollCheckpoint(id))),
            ProjectionExpression: "pollStoreId, windowEnd, lastPolledAt",
          },
        },
      }),
    );
    const seen = new Map<string, { windowEnd?: number; lastPolledAt?: number }>();
    for (const item of result.Responses?.[pipeline.dynamo.tableName] ?? []) {
      const id = item.pollStoreId?.S;
      if (!id) continue;
      seen.set(id, {
        ...(item.windowEnd?.N ? { windowEnd: Number(item.windowEnd.N) } : {}),
        ...(item.lastPolledAt?.N ? { lastPolledAt: Number(item.lastPolledAt.N) } : {}),
      });
    }
    for (const id of ids) {
      const cp = seen.get(id);
      const lag = now - (cp?.windowEnd ?? startedAt);
      worstLag.set(id, Math.max(worstLag.get(id) ?? 0, lag));
      if (cp?.lastPolledAt !== undefined && cp.lastPolledAt !== lastPolled.get(id)) {
        lastPolled.set(id, cp.lastPolledAt);
        runsPerStore.set(id, (runsPerStore.get(id) ?? 0) + 1);
      }
    }
  }
}

// Seller actions: one store toggle every 10 s through the seller API (a command: Store Toggle, catalog family).
let commandsSent = 0;
let commandErrors = 0;
async function sellerAction() {
  const storeId = storeIds[Math.floor(random() * storeIds.length)] as string;
  const answer = await fetch(`${pipeline.apiUrl}/v1/stores/${storeId}/availability`, {
    method: "POST",
    headers: { authorization: `Bearer ${pipeline.sellerApiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ status: "ENABLED" }),
  }).catch(() => undefined);
  commandsSent++;
  if (!answer || answer.status >= 300) commandErrors++;
}

const warmupMs = warmupMinutes * 60_000;
const orderPhaseStart = startedAt + warmupMs;
const orderPhaseEnd = orderPhaseStart + orderMinutes * 60_000;
const runEnd = orderPhaseEnd + drainMinutes * 60_000;
let nextOrderAt = orderPhaseStart;
let nextCommandAt = Date.now() + 10_000;
let nextSampleAt = Date.now() + 60_000;
let nextReportAt = Date.now() + 60_000;
let reportedCommands = 0;
const orderGapMs = 60_000 / ordersPerMinute;
while (Date.now() < runEnd) {
  const now = Date.now();
  while (now >= orderPhaseStart && now < orderPhaseEnd && nextOrderAt <= now) {
    const storeId = storeIds[Math.floor(random() * storeIds.length)] as string;
    nextOrderAt += orderGapMs;
    const at = Date.now();
    try {
      const order = await sandbox.createOrder({ storeId });
      created.set(String(order.id), { at, lost: lostStores.has(storeId) });
    } catch (error) {
      log(`order not created: ${(error as Error).message}`);
    }
  }
  if (now >= nextCommandAt) {
    nextCommandAt += 10_000;
    void sellerAction();
  }
  if (now >= nextSampleAt) {
    nextSampleAt += 60_000;
    await sampleCheckpoints().catch((error) => log(`sample failed: ${(error as Error).message}`));
  }
  if (now >= nextReportAt) {
    nextReportAt += 60_000;
    const loop = {
      p50: loopMs(loopDelay.percentile(50)),
      p99: loopMs(loopDelay.percentile(99)),
      max: loopMs(loopDelay.max),
    };
    loopMinutes.push(loop);
    loopDelay.reset();
    const st = await sandbox.stats().catch(() => undefined);
    const cw = commandWaits.slice(reportedCommands);
    reportedCommands = commandWaits.length;
    log(
      `orders ${created.size}, stored ${stored.size}; Pincode calls ${st?.rates.total.calls} (peak ${st?.rates.total.peakPerSecond}/s), ` +
        `budget 429s ${st?.budget429s}; stores polled ${lastPolled.size}/${stores}; callbacks swallowed ${swallowed}; ` +
        `event-loop delay p50 ${loop.p50} ms p99 ${loop.p99} ms max ${loop.max} ms; commands this minute ${cw.length} (max wait ${cw.length ? Math.max(...cw) : 0} ms); ` +
        `load ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
    );
  }
  const lostLeft = [...created].some(([id, o]) => o.lost && !stored.has(id));
  if (now >= orderPhaseEnd && !lostLeft && stored.size === created.size) break;
  await sleep(50);
}
await sampleCheckpoints().catch(() => undefined);
const endedAt = Date.now();

// --- figures --------------------------------------------------------------------------------------------------
const st = await sandbox.stats();
const latency = (lost: boolean) =>
  [...created].filter(([, o]) => o.lost === lost).map(([id, o]) => (stored.get(id) ?? Number.NaN) - o.at);
const healthyLat = latency(false).filter(Number.isFinite);
const lostLat = latency(true).filter(Number.isFinite);
const missingHealthy = latency(false).length - healthyLat.length;
const missingLost = latency(true).length - lostLat.length;
const lags = [...worstLag.values()];
const seconds = (endedAt - startedAt) / 1000;
const totalRuns = [...runsPerStore.values()].reduce((a, b) => a + b, 0);

const lines: string[] = [];
const out = (line = "") => lines.push(line);
out();
out(
  `sim:scale results (${new Date(startedAt).toISOString()}, ${seconds.toFixed(0)} s real time, no clock scaling, ` +
    `warm-up ${warmupMinutes} min, orders ${orderMinutes} min, drain up to ${drainMinutes} min; ` +
    `${args["in-process"] ? "one process" : "emulators and sandbox in child processes"}, ${args["poll-consumers"]} poll consumers; ` +
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})`,
);
out(
  `  stores ${stores} (${lostStores.size} lost callbacks), budget ${budget}/s, orders ${created.size}, poll interval ${minIntervalS}-${maxIntervalS} s, ` +
    `ceiling ${s(ceilingMs)}, ${schedule.maxTasksPerRun} tasks a tick, first pass ${s(firstPassMs)}`,
);
out(`  Pincode calls by endpoint (sandbox /_sandbox/stats, 1-s windows): budget ${budget}/s`);
for (const [endpoint, r] of Object.entries(st.rates.byEndpoint))
  out(
    `    ${endpoint.padEnd(34)} ${String(r.calls).padStart(7)} calls  peak ${r.peakPerSecond}/s  mean ${r.meanPerSecond.toFixed(2)}/s`,
  );
out(
  `    ${"total".padEnd(34)} ${String(st.rates.total.calls).padStart(7)} calls  peak ${st.rates.total.peakPerSecond}/s  mean ${st.rates.total.meanPerSecond.toFixed(2)}/s`,
);
const loopAll = loopMinutes.length ? loopMinutes : [{ p50: 0, p99: 0, max: 0 }];
out(
  `  event-loop delay of the functions' process (per minute): p99 median ${pct(
    loopAll.map((l) => l.p99),
    50,
  )} ms, worst minute p99 ${Math.max(...loopAll.map((l) => l.p99))} ms, max ${Math.max(...loopAll.map((l) => l.max))} ms`,
);
const all429 = Object.values(st.calls).reduce((a, byStatus) => a + (byStatus["429"] ?? 0), 0);
out(`  429s received: ${all429} (budget 429s ${st.budget429s})`);
out(
  `  poll lag per store (now - windowEnd, worst seen per store, sampled each minute): worst ${s(Math.max(...lags))}, ` +
    `p99 ${s(pct(lags, 99))}, median ${s(pct(lags, 50))}; stores polled ${lastPolled.size}/${stores}, runs ${totalRuns}`,
);
out(
  `  order -> table, healthy callbacks: n=${healthyLat.length} p50 ${s(pct(healthyLat, 50))} p99 ${s(pct(healthyLat, 99))} ` +
    `max ${s(Math.max(...healthyLat, 0))}; not stored ${missingHealthy}`,
);
out(
  `  order -> table, lost callbacks:    n=${lostLat.length} p50 ${s(pct(lostLat, 50))} p99 ${s(pct(lostLat, 99))} ` +
    `max ${s(Math.max(...lostLat, 0))}; not stored ${missingLost}; target ${s(lostTargetMs)}`,
);
out(
  `  commands' wait for budget: n=${commandWaits.length} p50 ${commandWaits.length ? pct(commandWaits, 50) : 0} ms max ${commandWaits.length ? Math.max(...commandWaits) : 0} ms ` +
    `p99 ${commandWaits.length ? pct(commandWaits, 99) : 0} ms (seller actions sent ${commandsSent}, refused ${commandErrors}); ` +
    `background waits p99 ${backgroundWaits.length ? pct(backgroundWaits, 99) : 0} ms`,
);
// Cost per store per month (AWS list prices, test/bench/cost.ts), from this run's rates, extrapolated to 30 days.
// Assumed requests: a poll run = 1 Lambda invocation (512 MB, 300 ms), 3 SQS requests (send, receive, delete), 3 DynamoDB
// writes (lease, window, release: a quiet run pages one merged window); every Pincode call 1 pacing write; every fan-out reads each
// store's CONFIG and POLL items (2 strongly consistent read units) and the scheduled run is 1 invocation.
const month = 30 * 24 * 3600;
const runsPerS = totalRuns / seconds;
const callsPerS = st.rates.total.calls / seconds;
const perMonth = {
  lambda:
    runsPerS * month * (PRICES.lambdaRequestPerMillion / 1e6 + 0.3 * 0.5 * PRICES.lambdaArmGbSecond) +
    (month / TICK_S) * (PRICES.lambdaRequestPerMillion / 1e6 + 10 * 1 * PRICES.lambdaArmGbSecond),
  sqs: runsPerS * month * 3 * (PRICES.sqsPerMillion / 1e6),
  dynamo:
    (runsPerS * 3 + callsPerS) * month * (PRICES.dynamoWriteUnitPerMillion / 1e6) +
    (month / TICK_S) * stores * 2 * (PRICES.dynamoReadUnitPerMillion / 1e6),
};
const totalMonth = Object.values(perMonth).reduce((a, b) => a + b, 0);
out(
  `  cost of polling per store per month (${PRICES.region} list prices ${PRICES.asOf.slice(0, 7)}): $${(totalMonth / stores).toFixed(4)} ` +
    `(Lambda $${(perMonth.lambda / stores).toFixed(4)}, SQS $${(perMonth.sqs / stores).toFixed(4)}, DynamoDB $${(perMonth.dynamo / stores).toFixed(4)}); ` +
    `whole stack $${totalMonth.toFixed(0)}/month for ${stores} stores; callbacks and orders are per order (npm run bench)`,
);
const lostWithinTarget = missingLost === 0 && (lostLat.length === 0 || Math.max(...lostLat) <= lostTargetMs);
const targets = [
  [`peak <= budget in every 1-s window`, st.rates.total.peakPerSecond <= budget, true],
  [`0 budget 429s`, st.budget429s === 0, true],
  [`commands wait <= 2 s`, commandWaits.every((w) => w <= 2_000), true],
  [`every healthy-callback order stored`, missingHealthy === 0, true],
  [`every lost-callback order stored by the end of the run`, missingLost === 0, true],
  // docs/scale.md "What the targets ask": not reachable for a store's first lost order at any size; reported.
  [`lost-callback orders all within ${s(lostTargetMs)}`, lostWithinTarget, false],
] as const;
out("  targets:");
for (const [name, ok, hard] of targets)
  out(`    ${ok ? "met   " : "MISSED"} ${name}${hard ? "" : " (reported, not a --ci failure)"}`);
process.stdout.write(`${lines.join("\n")}\n`);
const failed = targets.filter(([, ok, hard]) => !ok && (hard || !args.ci));

proxy.close();
proxy.closeAllConnections();
await pipeline.stop();
await external?.stop();
process.exit(failed.length === 0 ? 0 : 1);
