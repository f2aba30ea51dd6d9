/**
 * The stack-wide Pincode budget holds whatever the concurrency: N separate clients (as N Lambda containers would be),
 * each with its own SharedRateBudget and DynamoDB pacing store, share one dynalite table and call the sandbox, whose
 * own budget is set equal to ours. The sandbox measures every one-second window; it must never see more than the
 * budget, and must never have to send a budget 429. Commands get their tokens before polls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { createDynamoPacingStore, type DynamoPacingStore } from "../../functions/adapters/rate-budget-store.ts";
import { PincodeClient } from "../../functions/pincode/client.ts";
import { type BudgetWaitSink, SharedRateBudget } from "../../functions/pincode/rate-budget.ts";
import { sandboxClientConfig } from "./ingestion.harness.ts";

let dynamo: LocalDynamo;
let sandbox: Sandbox;

beforeAll(async () => {
  [dynamo, sandbox] = await Promise.all([startLocalDynamo(), startSandbox({ seed: 13, stores: ["S01", "S02"] })]);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), sandbox?.stop()]);
});

interface Consumer {
  client: PincodeClient;
  budget: SharedRateBudget;
  store: DynamoPacingStore;
}

/** One "container": its own client, budget object and store (no state shared in memory), the same table. */
function consumer(scope: string, perSecond: number, onWait?: BudgetWaitSink): Consumer {
  const store = createDynamoPacingStore(dynamo.client, dynamo.tableName);
  const budget = new SharedRateBudget({ perSecond, store, scope, ...(onWait ? { onWait } : {}) });
  const client = new PincodeClient({
    ...sandboxClientConfig(sandbox),
    retry: { maxAttempts: 1, deadlineMs: 20_000 },
    rateGate: budget,
  });
  return { client, budget, store };
}

/** Polls as fast as the budget lets it until `until`; returns the calls that succeeded. */
async function pollUntil(c: Consumer, until: number, storeId = "S01"): Promise<number> {
  let ok = 0;
  while (Date.now() < until) {
    await c.client.pollOrders({ serviceProviderId: storeId, fromTimestamp: 0, toTimestamp: Date.now(), size: 1 });
    ok += 1;
  }
  return ok;
}

describe("one Pincode budget for the whole stack", () => {
  const BUDGET = 20;
  const RUN_MS = 2_500;

  it.each([1, 5, 20])(
    "holds at %i concurrent consumers: peak <= budget in every one-second window, 0 budget 429s",
    async (n) => {
      sandbox.reset();
      sandbox.setRateLimit({ perSecond: BUDGET });
      const consumers = Array.from({ length: n }, () => consumer(`holds-${n}`, BUDGET));
      // Tokens first, so the measured run is only budgeted calls.
      await Promise.all(
        consumers.map((c) => c.client.pollOrders({ serviceProviderId: "S02", fromTimestamp: 0, toTimestamp: 1 })),
      );
      sandbox.reset();
      sandbox.setRateLimit({ perSecond: BUDGET });

      const until = Date.now() + RUN_MS;
      const done = await Promise.all(consumers.map((c) => pollUntil(c, until)));
      const stats = sandbox.stats();
      const calls = done.reduce((a, b) => a + b, 0);
      const dynamoRequests = consumers.reduce((sum, c) => sum + c.store.requests.update + c.store.requests.get, 0);
      const late = consumers.reduce((sum, c) => sum + c.budget.counters.lateSlots, 0);
      console.log(
        `budget ${BUDGET}/s, ${n} consumer(s): ${calls} calls in ${RUN_MS} ms, sandbox peak ${stats.rates.total.peakPerSecond}/s mean ${stats.rates.total.meanPerSecond}/s, budget 429s ${stats.budget429s}, DynamoDB requests per call ${(dynamoRequests / calls).toFixed(2)}, slots given up late ${late}`,
      );

      expect(stats.budget429s).toBe(0);
      expect(stats.rates.total.peakPerSecond).toBeLessThanOrEqual(BUDGET);
      expect(stats.rates.total.calls).toBe(calls);
      // The budget is used, not just respected. One sequential consumer is bound by its own round trips instead.
      if (n > 1) expect(calls).toBeGreaterThanOrEqual(Math.floor(BUDGET * (RUN_MS / 1000) * 0.4));
      else expect(calls).toBeGreaterThanOrEqual(10);
    },
  );

  it("gives commands their tokens first: a store toggle waits less than the polls it overtakes", async () => {
    sandbox.reset();
    const budget = 10;
    sandbox.setRateLimit({ perSecond: budget });
    const waits: { command: number[]; background: number[] } = { command: [], background: [] };
    const onWait: BudgetWaitSink = (e) => waits[e.priority].push(e.waitMs);
    const pollers = Array.from({ length: 10 }, () => consumer("priority", budget, onWait));
    const commander = consumer("priority", budget, onWait);
    await Promise.all(
      [...pollers, commander].map((c) =>
        c.client.pollOrders({ serviceProviderId: "S02", fromTimestamp: 0, toTimestamp: 1 }),
      ),
    );
    waits.command.length = 0;
    waits.background.length = 0;

    const until = Date.now() + 4_000;
    const background = Promise.all(pollers.map((c) => pollUntil(c, until)));
    let toggles = 0;
    while (Date.now() < until - 300) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      await commander.client.toggleStore([
        {
          messageId: `M-${toggles}`,
          serviceProviderId: "S01",
          operationType: "PARTIAL_UPDATE",
          data: { type: "STORE_TOGGLE", orderAcceptance: { status: "ENABLED" } },
        },
      ]);
      toggles += 1;
    }
    await background;
    const stats = sandbox.stats();
    const sorted = [...waits.background].sort((a, b) => a - b);
    const backgroundP90 = sorted[Math.floor(sorted.length * 0.9)] ?? 0;
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    const commandMax = Math.max(...waits.command);
    console.log(
      `commands first: ${toggles} toggles, command wait mean ${mean(waits.command)} ms max ${commandMax} ms; ${sorted.length} polls, poll wait mean ${mean(sorted)} ms p90 ${backgroundP90} ms; sandbox peak ${stats.rates.total.peakPerSecond}/s, budget 429s ${stats.budget429s}`,
    );

    expect(toggles).toBeGreaterThanOrEqual(5);
    expect(waits.command).toHaveLength(toggles);
    // The background horizon (250 ms) plus one interval bounds a command's queue; the target is 2 s. Polls,
    // 10 callers wanting far more than the budget, queue much longer in their tail.
    expect(commandMax).toBeLessThanOrEqual(2_000);
    expect(commandMax).toBeLessThan(backgroundP90);
    expect(mean(waits.command)).toBeLessThan(mean(sorted));
    expect(stats.budget429s).toBe(0);
    expect(stats.rates.total.peakPerSecond).toBeLessThanOrEqual(budget);
  });

  it("the sandbox catches what a per-container throttle does: 5 clients at the budget each overrun it", async () => {
    sandbox.reset();
    const budget = 10;
    const fast = { ratePerSecond: budget, burst: budget };
    const clients = Array.from(
      { length: 5 },
      () =>
        new PincodeClient({
          ...sandboxClientConfig(sandbox),
          retry: { maxAttempts: 1 },
          rateLimits: { poll: fast, status: fast, update: fast, catalog: fast },
        }),
    );
    await Promise.all(clients.map((c) => c.pollOrders({ serviceProviderId: "S02", fromTimestamp: 0, toTimestamp: 1 })));
    sandbox.reset();
    sandbox.setRateLimit({ perSecond: budget });
    const until = Date.now() + 1_200;
    await Promise.all(
      clients.map(async (c) => {
        while (Date.now() < until) {
          await c.pollOrders({ serviceProviderId: "S01", fromTimestamp: 0, toTimestamp: 1 }).catch(() => undefined);
        }
      }),
    );
    const stats = sandbox.stats();
    expect(stats.budget429s).toBeGreaterThan(0);
    expect(stats.rates.total.peakPerSecond).toBeGreaterThan(budget);
  });
});
