/**
 * The `pincode-bridge` CLI against local mode as a user runs both: local mode as a child process (DEMO=0, free
 * ports, a fixed SELLER_API_KEY), the CLI through its real launcher (bin/pincode-bridge.mjs) for the launcher's own
 * checks and the 500-row listings push, and in-process (`run`, real HTTP client, real target resolution) for the
 * rest to keep the test fast. Every answer is checked against what local mode holds.
 */
import { type ChildProcess, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliContext } from "../../bin/cli/context.ts";
import { run } from "../../bin/cli/program.ts";
import { openTarget } from "../../bin/cli/target.ts";
import { spawnLocal } from "../support/local-process.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const KEY = "cli-test-seller-key-0123456789";

let child: ChildProcess;
let output = "";
let api = "";
let sandbox = "";
const dataDir = mkdtempSync(join(tmpdir(), "pincode-bridge-cli-"));
const workDir = mkdtempSync(join(tmpdir(), "pincode-bridge-cli-work-"));

/** The CLI through its launcher, as `npx pincode-bridge` runs it. */
function bin(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "pincode-bridge.mjs"), ...args],
      {
        cwd: workDir,
        env: { ...process.env, PINCODE_BRIDGE_URL: api, SELLER_API_KEY: KEY, ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The CLI in-process, with the real HTTP client and target resolution. */
async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { PINCODE_BRIDGE_URL: api, SELLER_API_KEY: KEY };
  const ctx: CliContext = {
    io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false },
    env,
    cwd: workDir,
    open: (options) => openTarget(options, env),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: Date.now,
  };
  const code = await run(args, ctx);
  const stdout = out.join("\n");
  return { code, stdout, stderr: err.join("\n"), json: () => JSON.parse(stdout) };
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; local mode printed:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  child = spawnLocal(dataDir, {
    SELLER_API_KEY: KEY,
    STORE_IDS: "S01,S02",
    POLL_INTERVAL_S: "2",
    POLL_SETTLE_S: "1",
    LOG_LEVEL: "ERROR",
  });
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  await eventually(async () => (output.includes("ready.") ? true : undefined), "local mode to start", 30_000);
  api = /API \(API Gateway routes\)\s+(http:\/\/[\d.:]+)/.exec(output)?.[1] ?? "";
  sandbox = /Pincode sandbox\s+(http:\/\/[\d.:]+)/.exec(output)?.[1] ?? "";
}, 40_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGINT");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
});

describe("pincode-bridge against local mode", () => {
  it("runs from its launcher: help, and exit 3 with what to do for a wrong key", async () => {
    const help = await bin(["dlq", "redrive", "--help"]);
    const wrongKey = await bin(["store", "status"], { SELLER_API_KEY: "not-the-right-key-0000" });

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: pincode-bridge dlq redrive \[options\] <queue>/);
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/UNAUTHORIZED[\s\S]*-> check SELLER_API_KEY/);
  }, 60_000);

  it("shows stores, orders from the sandbox and the operations summary", async () => {
    const created = await fetch(`${sandbox}/_sandbox/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ storeId: "S01" }),
    });
    const orderId = ((await created.json()) as { id: string }).id;

    const listed = await eventually(async () => {
      const result = await cli("orders", "list", "--store", "S01", "--json");
      const orders = result.json().orders as { orderId?: string; id?: string }[];
      return orders.some((o) => (o.orderId ?? o.id) === orderId) ? result : undefined;
    }, `order ${orderId} in orders list`);
    const table = await cli("orders", "list", "--store", "S01");
    const shown = await cli("orders", "show", orderId);
    const missing = await cli("orders", "show", "NO-SUCH-ORDER");
    const stores = await cli("store", "status", "--json");
    const summary = await cli("ops", "summary", "--json");

    expect(listed.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^ORDERID\\s+STOREID\\s+STATE[\\s\\S]*${orderId}\\s+S01`, "m"));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^order\\s+${orderId}$`, "m"));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/ORDER_NOT_FOUND/);
    expect(
      stores
        .json()
        .stores.map((s: { storeId: string }) => s.storeId)
        .sort(),
    ).toEqual(["S01", "S02"]);
    const body = summary.json();
    expect(body.queues.map((q: { name: string }) => q.name)).toEqual(["events", "poll", "commands"]);
    expect(body.stores.map((s: { storeId: string }) => s.storeId).sort()).toEqual(["S01", "S02"]);
  });

  it("takes an order through accept, start, pack, ship, deliver and complete on Pincode, and exits 1 on a refused action", async () => {
    const created = await fetch(`${sandbox}/_sandbox/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ storeId: "S02" }),
    });
    const orderId = ((await created.json()) as { id: string }).id;
    await eventually(async () => {
      const result = await cli("orders", "show", orderId, "--json");
      return result.code === 0 ? result : undefined;
    }, `order ${orderId} in the bridge`);
    const pincodeState = async () => {
      const order = (await (await fetch(`${sandbox}/_sandbox/orders/${orderId}`)).json()) as {
        orderState: string;
        fulfillments: { type: string; fulfillmentState: string }[];
      };
      return [order.orderState, ...order.fulfillments.map((f) => `${f.type}:${f.fulfillmentState}`).sort()].join(" ");
    };

    const accept = await cli("orders", "accept", orderId, "--command-id", `accept-${orderId}`, "--json");
    const acceptAgain = await cli("orders", "accept", orderId, "--command-id", `accept-${orderId}`, "--json");
    expect(accept.code, accept.stderr).toBe(0);
    expect(accept.json()).toMatchObject({ status: "SUCCEEDED" });
    // The same key again is the same command, not a second update.
    expect(acceptAgain.json().commandId).toBe(accept.json().commandId);
    expect(await pincodeState()).toMatch(/^ACCEPTED /);

    const steps: [string[], RegExp][] = [
      [["orders", "start", orderId], /^IN_PROGRESS /],
      [["orders", "pack", orderId, "--packing"], /STORE:PACKING/],
      [["orders", "pack", orderId], /STORE:PACKED/],
      [["orders", "ship", orderId], /DELIVERY:OUT_FOR_DELIVERY/],
      [["orders", "deliver", orderId], /DELIVERY:DELIVERED/],
      [["orders", "complete", orderId], /^COMPLETED /],
    ];
    for (const [args, expected] of steps) {
      const result = await cli(...args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^command \S+ SUCCEEDED/);
      expect(await pincodeState()).toMatch(expected);
    }

    const refused = await cli("orders", "cancel", orderId, "--reason", "ITEM_UNAVAILABLE");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/TRANSITION_NOT_ALLOWED|REJECTED/);
  }, 60_000);

  it("lists a quarantined callback with its reason and refuses to replay it while it is still invalid", async () => {
    const token = await fetch(`${api}/pincode/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "local-pincode",
        client_secret: "local-callback-secret-change-me",
      }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const callback = await fetch(`${api}/pincode/callbacks`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "ORDER_VIEW", requestContext: { requestId: "cli-test-1" }, response: {} }),
    });
    expect(callback.status).toBe(400);

    // The callback queues the refused body; the processor stores it in quarantine (issue 11), so it appears shortly.
    const item = await eventually(async () => {
      const list = await cli("quarantine", "list", "--json");
      return list.json().items[0] as { id: string; reason: string } | undefined;
    }, "the quarantined callback");
    const human = await cli("quarantine", "list");
    const replay = await cli("quarantine", "replay", item.id);

    expect(item.reason).toMatch(/^ORDER_VIEW response/);
    expect(human.stdout).toContain(item.id);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/STILL_INVALID: the callback still fails the envelope check/);
  });

  it("shows the DLQs and redrives only after a dry run", async () => {
    const dlqs = await cli("dlq", "list", "--json");
    const dry = await cli("dlq", "redrive", "events");
    const wrongQueue = await cli("dlq", "redrive", "orders");

    expect(dlqs.json().dlqs.map((d: { queue: string; messages: number }) => [d.queue, d.messages])).toEqual([
      ["events", 0],
      ["poll", 0],
      ["commands", 0],
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^dry run: 0 of 0 message\(s\) would move from pincode-bridge-events-dlq/);
    expect(wrongQueue.code).toBe(2);
  });

  it("pushes a 500-row CSV with a per-row report, and a re-run sends nothing twice", async () => {
    const rows = ["type,storeId,sku,psin,mrp,sellingPrice,count,status"];
    const special: Record<number, (psin: string) => string> = {
      7: (psin) => `CREATE,S01,CLI-SKU-7,${psin},100,150,5,ACTIVE`, // selling price above MRP: the API refuses it
      8: (psin) => `CREATE,S01,CLI-SKU-8,${psin},1OO,90,5,ACTIVE`, // not a number: the CLI cannot read it
      9: (psin) => `CREATE,S77,CLI-SKU-9,${psin},100,90,5,ACTIVE`, // no such store: the API refuses it
      10: () => "CREATE,S01,CLI-SKU-10,NOT-A-PSIN,100,90,5,ACTIVE", // Pincode refuses it (unknown psin)
    };
    for (let i = 1; i <= 500; i++) {
      const psin = `U${String(i).padStart(22, "0")}`;
      rows.push(special[i]?.(psin) ?? `CREATE,${i % 2 ? "S01" : "S02"},CLI-SKU-${i},${psin},100,90,5,ACTIVE`);
    }
    const file = join(workDir, "catalog.csv");
    writeFileSync(file, `${rows.join("\n")}\n`);

    const first = await bin(["listings", "push", "catalog.csv", "--timeout", "45", "--json", "--report", "report.csv"]);
    const state = JSON.parse(readFileSync(`${file}.push-state.json`, "utf8")) as {
      rows: Record<string, { status: string; submissionId?: string; commandId?: string; message?: string }>;
      requests: Record<string, number[]>;
    };
    const second = await bin(["listings", "push", "catalog.csv"]);
    const stateAfter = JSON.parse(readFileSync(`${file}.push-state.json`, "utf8")) as typeof state;

    expect(first.code, first.stderr).toBe(1);
    const report = JSON.parse(first.stdout) as {
      rows: number;
      summary: Record<string, number>;
      outcomes: { row: number; status: string; message?: string; submissionId?: string }[];
    };
    expect(report.rows).toBe(500);
    expect(report.summary).toMatchObject({ SUCCEEDED: 496, FAILED: 1, INVALID: 3, SUBMITTED: 0 });
    const byRow = new Map(report.outcomes.map((o) => [o.row, o]));
    expect(byRow.get(7)).toMatchObject({
      status: "INVALID",
      message: expect.stringMatching(/^sellingPrice: expected at most mrp/),
    });
    expect(byRow.get(8)).toMatchObject({ status: "INVALID", message: "mrp: expected a number like 189 or 202.32" });
    expect(byRow.get(9)).toMatchObject({ status: "INVALID", message: expect.stringMatching(/STORE_NOT_FOUND/) });
    expect(byRow.get(10)).toMatchObject({ status: "FAILED", message: expect.stringMatching(/^90101 /) });
    expect(byRow.get(1)).toMatchObject({ status: "SUCCEEDED", submissionId: expect.any(String) });
    // Each store's rows went in their own submissions (one per store and batch of 50, as the API plans them).
    const submissions = new Set(Object.values(state.rows).flatMap((r) => (r.submissionId ? [r.submissionId] : [])));
    expect(submissions.size).toBeGreaterThanOrEqual(10);
    expect(readFileSync(join(workDir, "report.csv"), "utf8").split("\n")).toHaveLength(502);
    // The re-run skipped every submitted row and sent no request: the state is unchanged.
    expect(second.stderr).toMatch(/497 row\(s\) already submitted by an earlier run/);
    // ... and read the outcomes again: the same per-row report.
    expect(stateAfter.requests).toEqual(state.requests);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/500 row\(s\): SUCCEEDED 496, FAILED 1, INVALID 3/);
  }, 90_000);
});
