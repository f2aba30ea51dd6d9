/**
 * Issue 11: dynalite, fauxqs and the sandbox in child processes of their own. Local mode reaches them through the
 * variables it honours for anything running elsewhere (AWS_ENDPOINT_URL_*, PINCODE_*); the sandbox delivers its
 * callbacks to the front door in this process and enforces the budget it was started with; nothing outlives stop(),
 * nor a parent that is killed.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { startExternalProcesses } from "../../bin/local/external-processes.ts";
import { startLocalPipeline } from "../../bin/local/pipeline.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process runs (a zombie left for an absent reaper counts as gone). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** This process's children, from /proc (a stopped child no longer lists this process as its parent). */
function childrenOfThisProcess(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function gone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && pids.some(running)) await sleep(100);
  return pids.filter(running);
}

describe("external processes (emulators and sandbox in child processes)", () => {
  it("runs an order end to end: sandbox child -> front door here -> fauxqs child -> processor -> dynalite child", async () => {
    const external = await startExternalProcesses({
      sandbox: { SANDBOX_SEED: "4242", SANDBOX_STORES: "S01", SANDBOX_RATE_LIMIT_PER_S: "25" },
    });
    const pids = Object.values(external.pids);
    try {
      expect(pids).toHaveLength(3);
      expect(pids.every(running)).toBe(true);
      expect(pids).not.toContain(process.pid);
      expect(external.env).toMatchObject({
        AWS_ENDPOINT_URL_DYNAMODB: external.dynamodbEndpoint,
        AWS_ENDPOINT_URL_SQS: external.sqsEndpoint,
        PINCODE_API_BASE_URL: external.sandboxUrl,
        PINCODE_CLIENT_ID: "sandbox-client",
      });

      const stored = new Set<string>();
      const config = loadLocalConfig(
        {
          PORT: "0",
          DEMO: "0",
          STATUS_LINE: "0",
          STORE_IDS: "S01",
          POLL_INTERVAL_S: "86400",
          PINCODE_RATE_LIMIT_PER_S: "20",
          ...external.env,
        },
        ["--in-memory"],
      );
      const pipeline = await startLocalPipeline(config, () => {}, {
        onDomainEvent: (event) => {
          if (event.detailType === "OrderChanged") stored.add(event.detail.orderId);
        },
      });
      try {
        // The pipeline took the outside paths: no embedded sandbox, the child emulators.
        expect(pipeline.sandbox).toBeUndefined();
        expect(pipeline.dynamo.external).toBe(true);
        expect(pipeline.queues.external).toBe(true);
        expect(pipeline.dynamo.endpoint).toBe(external.dynamodbEndpoint);

        // The sandbox child enforces the budget it was started with (SANDBOX_RATE_LIMIT_PER_S).
        expect((await external.sandbox.getRateLimit()).perSecond).toBe(25);

        await external.sandbox.registerCallback({
          url: pipeline.callbackUrl,
          tokenUrl: pipeline.tokenUrl,
          ...pipeline.callbackClient,
        });
        const order = await external.sandbox.createOrder({ storeId: "S01" });
        const orderId = String(order.id);
        const deadline = Date.now() + 30_000;
        while (!stored.has(orderId) && Date.now() < deadline) await sleep(50);
        expect(stored.has(orderId)).toBe(true);

        await external.sandbox.callbacksIdle(50);
        expect(await external.sandbox.isIdle()).toBe(true);
        const stats = await external.sandbox.stats();
        expect(stats.callbacks.acked).toBeGreaterThanOrEqual(1);
        expect(stats.callbacks.failed).toBe(0);
        expect(stats.orders).toBe(1);
        expect(stats.rateLimit.perSecond).toBe(25);
      } finally {
        await pipeline.stop();
      }
    } finally {
      await external.stop();
    }
    expect(await gone(pids, 5_000)).toEqual([]);
  });

  it("says which child failed to start, and stops the ones that did", async () => {
    const before = childrenOfThisProcess();
    await expect(
      startExternalProcesses({ dynamodb: true, sqs: false, sandbox: { SANDBOX_UPDATED_AT: "sometimes" } }),
    ).rejects.toThrow(/sandbox child failed to start: SANDBOX_UPDATED_AT must be moves or frozen/);
    const started = childrenOfThisProcess().filter((pid) => !before.includes(pid));
    expect(await gone(started, 5_000)).toEqual([]);
  });

  for (const signal of ["SIGINT", "SIGKILL"] as const) {
    it(`takes its children with it when the parent dies by ${signal}`, async () => {
      const parent = spawn(process.execPath, ["--import", "tsx", "test/fixtures/external/parent.ts"], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        parent.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out.split("\n")[0] as string);
        });
        parent.once("exit", (code) => reject(new Error(`parent exited early (${code})`)));
      });
      const pids = Object.values(JSON.parse(line) as Record<string, number>);
      expect(pids).toHaveLength(1);
      expect(pids.every(running)).toBe(true);
      const exited = new Promise((resolve) => parent.once("exit", resolve));
      parent.kill(signal);
      await exited;
      expect(await gone(pids, 10_000)).toEqual([]);
    });
  }
});
