/**
 * Poller and end-to-end figures, measured in local mode (the whole pipeline in one process: sandbox, callback front
 * door over HTTP, fauxqs, dynalite, the processor and poller driven as Lambda's event sources drive them).
 *
 *  - poller: Pincode calls per changed order after one poll cycle, with callbacks healthy and with every callback
 *    dropped, beside the minimum: the poll pages alone, and the poll pages plus one Status Check per order;
 *  - end to end: N sandbox orders created as fast as the sandbox takes them (a sale burst), creation -> stored view
 *    (the processor's domain event after the write) p50/p99, and the total time until the last one is stored.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalPipeline, startLocalPipeline } from "../../bin/local/pipeline.ts";
import { DEFAULT_POLL_SETTINGS } from "../../functions/poller/poll-store.ts";
import { PATHS } from "../../sandbox/sandbox.ts";
import { percentile, type Row } from "./support.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startPipeline(onStored?: (orderId: string) => void): Promise<LocalPipeline> {
  const config = loadLocalConfig(
    {
      PORT: "0",
      SANDBOX_PORT: "0",
      DYNAMODB_PORT: "0",
      SQS_PORT: "0",
      DEMO: "0",
      STATUS_LINE: "0",
      STORE_IDS: "S01",
      POLL_INTERVAL_S: "86400",
      POLL_SETTLE_S: "0",
      SANDBOX_SEED: "1111",
      VISIBILITY_TIMEOUT_S: "5",
      // Unset: local mode's default (several processor batches at once, as Lambda runs them).
      ...(process.env.LOCAL_PROCESSOR_CONCURRENCY
        ? { LOCAL_PROCESSOR_CONCURRENCY: process.env.LOCAL_PROCESSOR_CONCURRENCY }
        : {}),
    },
    ["--in-memory"],
  );
  const pipeline = await startLocalPipeline(config, () => {}, {
    onDomainEvent: (event) => {
      if (event.detailType === "OrderChanged") onStored?.(event.detail.orderId);
    },
  });
  // Local mode polls once at start: let that poll finish before the measured orders exist.
  await queuesIdle(pipeline);
  return pipeline;
}

/** Waits until both queues are empty and nothing is in flight, twice in a row 300 ms apart. */
async function queuesIdle(pipeline: LocalPipeline, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    let busy = 0;
    for (const url of [pipeline.queues.eventsQueueUrl, pipeline.queues.pollQueueUrl]) {
      const attrs = await pipeline.queues.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      busy +=
        Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    }
    quiet = busy === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    await sleep(300);
  }
  throw new Error("local mode's queues did not drain in time");
}

const callsTo = (pipeline: LocalPipeline, path: string) =>
  Object.values(pipeline.sandbox?.stats().calls[path] ?? {}).reduce((a, b) => a + b, 0);

export interface PollerScenario {
  scenario: string;
  orders: number;
  pollCalls: number;
  statusCalls: number;
  perOrder: number;
  minPages: number;
  minWithStatus: number;
}

async function pollScenario(
  pipeline: LocalPipeline,
  scenario: string,
  orders: number,
  dropCallbacks: boolean,
  frozen: boolean,
): Promise<PollerScenario> {
  const sandbox = pipeline.sandbox;
  if (!sandbox) throw new Error("local mode runs without its sandbox");
  sandbox.setFaults({ callbackDropRate: dropCallbacks ? 1 : 0, ...(frozen ? { frozenUpdatedAt: true } : {}) } as never);
  // New orders are the changes the next poll window reports.
  for (let i = 0; i < orders; i++) sandbox.createOrder({ storeId: "S01" });
  await sandbox.callbacksIdle();
  await queuesIdle(pipeline);
  const pollBefore = callsTo(pipeline, PATHS.changes);
  const statusBefore = callsTo(pipeline, PATHS.status);
  await pipeline.pollNow();
  await queuesIdle(pipeline);
  const pollCalls = callsTo(pipeline, PATHS.changes) - pollBefore;
  const statusCalls = callsTo(pipeline, PATHS.status) - statusBefore;
  const minPages = Math.max(1, Math.ceil(orders / DEFAULT_POLL_SETTINGS.pageSize));
  sandbox.setFaults({});
  return {
    scenario,
    orders,
    pollCalls,
    statusCalls,
    perOrder: (pollCalls + statusCalls) / orders,
    minPages,
    minWithStatus: minPages + orders,
  };
}

export async function benchPoller(
  orders: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; scenarios: PollerScenario[]; gaps: string[] }> {
  const gaps: string[] = [];
  const scenarios: PollerScenario[] = [];
  const modes: Array<{ name: string; frozen: boolean }> = [{ name: "moves", frozen: false }];
  for (const mode of [...modes, { name: "frozen", frozen: true }]) {
    for (const drop of [false, true]) {
      // A fresh pipeline per scenario: the poll window's look-back must not bring back the previous scenario's orders.
      const pipeline = await startPipeline();
      try {
        if (mode.frozen) {
          // The `frozen` updatedAt mode comes with issue 8's sandbox; measured when this sandbox has it.
          const faults = pipeline.sandbox?.getFaults() as Record<string, unknown> | undefined;
          if (!faults || !("frozenUpdatedAt" in faults)) {
            if (!drop)
              gaps.push("poller in `frozen` sandbox mode: this sandbox has no frozenUpdatedAt fault (issue 8 adds it)");
            continue;
          }
        }
        const name = `${mode.name}, callbacks ${drop ? "all dropped" : "healthy"}`;
        const s = await pollScenario(pipeline, name, orders, drop, mode.frozen);
        scenarios.push(s);
        log(
          `poller ${name}: ${s.pollCalls} poll pages + ${s.statusCalls} Status Checks for ${s.orders} changed orders ` +
            `(minimum ${s.minPages} pages; ${s.minWithStatus} with one Status Check each)`,
        );
      } finally {
        await pipeline.stop();
      }
    }
  }
  // The minimum under sound reconciliation (DESIGN.md "Reconcile on proof"): Order Poll answers ids without change
  // times, so a callback that arrived before the window's end proves nothing about a later change inside the window
  // and every changed order costs one Status Check, callbacks healthy or not. Issue 13 measures against that minimum;
  // "poll pages alone" stays beside it as a figure (it is reachable only by skipping checks the rule requires).
  const rows: Row[] = scenarios.flatMap((s) => {
    const healthy = s.scenario.includes("healthy");
    const main: Row = {
      section: "poller",
      figure: `Pincode calls per changed order, ${s.scenario} (n=${s.orders})`,
      value: s.perOrder,
      unit: "calls",
      limit: { label: "poll pages + 1 Status Check per order", value: s.minWithStatus / s.orders },
      ...(healthy ? { target: { ratio: 1.05, better: "lower" as const } } : {}),
      note: `${s.pollCalls} pages + ${s.statusCalls} Status Checks`,
    };
    if (!healthy) return [main];
    return [
      main,
      {
        section: "poller",
        figure: `Order Poll pages per changed order, ${s.scenario} (n=${s.orders})`,
        value: s.pollCalls / s.orders,
        unit: "calls",
        limit: { label: "poll pages alone", value: s.minPages / s.orders },
        note: "the look-back is re-paged by the delayed pass, not by every run (issue 13)",
      },
    ];
  });
  return { rows, scenarios, gaps };
}

export interface EndToEnd {
  orders: number;
  /** Orders created per second (a steady sale; 0: all at once). */
  ratePerSecond: number;
  p50Ms: number;
  p99Ms: number;
  totalMs: number;
  /** Orders stored only after a poll (their callbacks given up by the sandbox after its retries). */
  recoveredByPoll: number;
  callbacks: { acked: number; failed: number; retried: number };
  /** Orders stored by the deadline (all of them unless the run says otherwise). */
  stored: number;
}

export async function benchEndToEnd(
  orders: number,
  log: (line: string) => void,
  ratePerSecond = 100,
): Promise<{ rows: Row[]; e2e: EndToEnd }> {
  const created = new Map<string, number>();
  const stored = new Map<string, number>();
  const pipeline = await startPipeline((orderId) => {
    if (!stored.has(orderId) && created.has(orderId)) stored.set(orderId, performance.now());
  });
  try {
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error("local mode runs without its sandbox");
    const callbacks = () => sandbox.stats().callbacks;
    const progress = setInterval(() => {
      const c = callbacks();
      log(
        `  … ${created.size} created, ${stored.size} stored; callbacks acked ${c.acked}, retried ${c.retried}, failed ${c.failed}`,
      );
    }, 15_000);
    const start = performance.now();
    try {
      // A steady sale at `ratePerSecond` (in slices of a tenth of a second), or everything at once when 0.
      const slice = ratePerSecond > 0 ? Math.max(1, Math.round(ratePerSecond / 10)) : 100;
      for (let i = 0; i < orders; i++) {
        const order = sandbox.createOrder({ storeId: "S01" });
        created.set(String(order.id), performance.now());
        if (i % slice === slice - 1) {
          const due = start + ((i + 1) / (ratePerSecond || Number.POSITIVE_INFINITY)) * 1000;
          await sleep(Math.max(0, due - performance.now()));
        }
      }
      const deadline = Date.now() + Math.max(120_000, orders * 250);
      let recoveredByPoll = 0;
      while (stored.size < orders && Date.now() < deadline) {
        await sleep(500);
        if (stored.size < orders && (await idleWithin(sandbox, 0)) && (await queuesIdleWithin(pipeline))) {
          // Every callback delivered or given up, nothing queued: what is missing waits for the poller, as in
          // production (DESIGN.md: the poller reconciles lost callbacks).
          const before = stored.size;
          log(`  ${orders - before} orders not stored after every callback ended: one poll cycle`);
          await pipeline.pollNow();
          await queuesIdle(pipeline, 600_000);
          recoveredByPoll += stored.size - before;
        }
      }
      // Not all stored by the deadline: the figures are over the stored ones, and the row says so (never silently).
      const complete = stored.size === orders;
      const totalMs = Math.max(...stored.values()) - start;
      const latencies = [...created]
        .filter(([id]) => stored.has(id))
        .map(([id, at]) => (stored.get(id) as number) - at);
      const c = callbacks();
      const e2e: EndToEnd = {
        orders,
        ratePerSecond,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        totalMs,
        recoveredByPoll,
        callbacks: { acked: c.acked, failed: c.failed, retried: c.retried },
        stored: stored.size,
      };
      log(
        `end to end: ${orders} orders at ${ratePerSecond || "unpaced"}/s, creation -> stored p50 ${e2e.p50Ms.toFixed(0)} ms, ` +
          `p99 ${e2e.p99Ms.toFixed(0)} ms, total ${(totalMs / 1000).toFixed(1)} s; ${recoveredByPoll} stored by a poll ` +
          `(callbacks acked ${c.acked}, retried ${c.retried}, failed ${c.failed})`,
      );
      const n =
        `n=${orders}, created at ${ratePerSecond > 0 ? `${ratePerSecond}/s` : "once"}` +
        (complete ? "" : `; ONLY ${stored.size} STORED BY THE DEADLINE, figures over those`);
      const rows: Row[] = [
        { section: "end to end", figure: `creation -> stored view p50 (${n})`, value: e2e.p50Ms, unit: "ms" },
        { section: "end to end", figure: `creation -> stored view p99 (${n})`, value: e2e.p99Ms, unit: "ms" },
        {
          section: "end to end",
          figure: `total, first creation -> last stored (${n})`,
          value: totalMs / 1000,
          unit: "s",
          note: `${((orders / totalMs) * 1000).toFixed(0)} orders/s; ${recoveredByPoll} stored by a poll`,
        },
      ];
      return { rows, e2e };
    } finally {
      clearInterval(progress);
    }
  } finally {
    await pipeline.stop();
  }
}

/** Whether the sandbox has no callback queued, in flight, retrying or held, within `ms`. */
async function idleWithin(sandbox: { callbacksIdle(): Promise<void> }, ms: number): Promise<boolean> {
  return Promise.race([sandbox.callbacksIdle().then(() => true), sleep(ms).then(() => false)]);
}

async function queuesIdleWithin(pipeline: LocalPipeline): Promise<boolean> {
  try {
    await queuesIdle(pipeline, 1_000);
    return true;
  } catch {
    return false;
  }
}
