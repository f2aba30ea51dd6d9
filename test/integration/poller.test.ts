/**
 * The real poller handler against dynalite, fauxqs and the sandbox: the schedule fans out one task per store, a task
 * pages Order Poll with size 10 and queues one order.changed per distinct order, progress survives a spent time budget,
 * a leased store is left alone, and a throttled store fails only its own record.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { keyOf } from "../../functions/adapters/attributes.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import { newPollTask, type OrderChangedMessage, type PollTaskMessage } from "../../functions/core/messages.ts";
import { createPincodeClient, type PollOrdersParams } from "../../functions/pincode/client.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createPollerHandler, type PollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import type { OrderPoller, PollSettings } from "../../functions/poller/poll-store.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  drainBodies,
  type OutputCapture,
  sandboxClientConfig,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

const SETTINGS: Partial<PollSettings> = {
  lookbackMs: 60_000,
  settleMs: 0,
  pageSize: 10,
  timeBudgetMs: 20_000,
  initialLookbackMs: 60_000,
  safetyMarginMs: 0,
};

describe("poller", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;
  let calls: PollOrdersParams[];
  /** Added to the wall clock: lets a test make a run's time budget run out after a given number of pages. */
  let skew: number;
  let msPerPage: number;

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([startLocalDynamo(), startLocalQueues(), startSandbox({ seed: 5 })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
    calls = [];
    skew = 0;
    msPerPage = 0;
  });
  afterEach(() => output.stop());

  function poller(options: { stores?: string[]; pincode?: OrderPoller; settings?: Partial<PollSettings> } = {}) {
    const real = createPincodeClient(sandboxClientConfig(sandbox));
    const recorded: OrderPoller = {
      async pollOrders(params) {
        calls.push(params);
        const page = await (options.pincode ?? real).pollOrders(params);
        skew += msPerPage;
        return page;
      },
    };
    return createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: options.stores ?? ["S01", "S02", "S03"],
        pincode: recorded,
        settings: { ...SETTINGS, ...options.settings },
        now: () => Date.now() + skew,
        ...testObservability("poller-test"),
      }),
    );
  }

  /** Takes every message off a queue (they are deleted), parsed. */
  const takeAll = <T>(queueUrl: string) => drainBodies<T>(queues.client, queueUrl);

  const pollTaskEvent = (storeId: string) => sqsEventOf([newPollTask(storeId, Date.now())]);

  it("fans a scheduled run out into one poll task per configured store", async () => {
    // Act
    const result = await poller({ stores: ["S01", "S02", "S03"] })(scheduledEvent(), context());
    // Assess
    expect(result).toMatchObject({ tasks: 3 });
    const tasks = await takeAll<PollTaskMessage>(queues.pollQueueUrl);
    expect(tasks.map((t) => t.storeId).sort()).toEqual(["S01", "S02", "S03"]);
    expect(tasks.every((t) => t.kind === "poll.store")).toBe(true);
    expect(calls).toHaveLength(0);
  });

  it("pages Order Poll 10 at a time and queues each changed order once, then advances the checkpoint", async () => {
    // Prepare: 23 new orders in a fresh store, 3 of them changed again (they reappear in the change log)
    const store = "PAGED1";
    const ids = Array.from({ length: 23 }, () => String(sandbox.createOrder({ storeId: store }).id));
    const client = createPincodeClient(sandboxClientConfig(sandbox));
    for (const id of ids.slice(0, 3))
      await client.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    // Act
    const response = await poller()(pollTaskEvent(store), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((c) => c.size === 10 && c.sortOrder === "ASC" && c.serviceProviderId === store)).toBe(true);
    expect(calls[0]?.nextPage).toBeUndefined();
    expect(calls.slice(1).every((c) => typeof c.nextPage === "string")).toBe(true);
    const messages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(messages.map((m) => m.orderId).sort()).toEqual([...ids].sort());
    expect(messages.every((m) => m.kind === "order.changed" && m.storeId === store)).toBe(true);
    expect(new Set(messages.map((m) => m.observedAt)).size).toBe(1);
    const checkpoint = await createPollCheckpointRepository(dynamo.client, dynamo.tableName).get(store);
    expect(checkpoint?.windowEnd).toBe(messages[0]?.observedAt);
    expect(checkpoint?.cursor).toBeUndefined();
    expect(checkpoint?.leaseOwner).toBeUndefined();
    const lag = output.metricsNamed("PollLagMs").find((m) => m.storeId === store);
    expect(typeof lag?.PollLagMs).toBe("number");
    expect(output.metricTotals().get("PollPages")).toBe(calls.length);
  });

  it("saves the cursor when the time budget runs out and the next run resumes exactly that window", async () => {
    // Prepare: 35 orders = 4 pages; each page "takes" 9 s against a 20 s budget, so a run pages 3 times
    const store = "BUDGET1";
    const ids = Array.from({ length: 35 }, () => String(sandbox.createOrder({ storeId: store }).id));
    msPerPage = 9_000;
    const handler = poller();
    // Act 1
    await handler(pollTaskEvent(store), context());
    const firstRun = [...calls];
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    const saved = await checkpoints.get(store);
    const firstMessages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    // Act 2
    calls = [];
    await handler(pollTaskEvent(store), context());
    // Assess
    expect(firstRun).toHaveLength(3);
    expect(saved?.cursor).toEqual(expect.any(String));
    expect(saved?.windowEnd).toBeUndefined();
    expect(calls[0]).toMatchObject({
      nextPage: saved?.cursor,
      fromTimestamp: saved?.cursorFrom,
      toTimestamp: saved?.cursorTo,
    });
    const secondMessages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect([...firstMessages, ...secondMessages].map((m) => m.orderId).sort()).toEqual([...ids].sort());
    const done = await checkpoints.get(store);
    expect(done?.windowEnd).toBe(saved?.cursorTo);
    expect(done?.cursor).toBeUndefined();
    expect(output.metricTotals().get("PollBudgetExhausted")).toBe(1);
  });

  it("does not queue orders whose stored view was synced after the window end", async () => {
    // Prepare
    const store = "FRESH1";
    const synced = sandbox.createOrder({ storeId: store });
    const stale = sandbox.createOrder({ storeId: store });
    await createOrderRepository(dynamo.client, dynamo.tableName).upsert({
      order: OrderSchema.parse(synced),
      source: "callback",
      receivedAt: Date.now() + 60_000,
      syncedAt: Date.now() + 60_000,
      messageId: "m-synced",
    });
    // Act
    await poller()(pollTaskEvent(store), context());
    // Assess
    const messages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(messages.map((m) => m.orderId)).toEqual([stale.id]);
    expect(output.metricTotals().get("PollIdsSkippedFresh")).toBe(1);
  });

  it("re-pages a window once, a look-back later and separately when not contiguous, so only orders not synced since are checked again", async () => {
    // Prepare: run 1 sees A, B, C; A is then synced late and B early (as the processor's Status Check would), and B
    // changes again. Run 2 (30 s later) pages only its new window; run 3 (70 s after run 1) is due for the delayed
    // pass [e1 - 60 s, e1 + 10 s], which ends before run 2's window end: two segments, the delayed one observed at
    // its own end.
    const store = "OVERLAP1";
    const [a, b, c] = [0, 1, 2].map(() => sandbox.createOrder({ storeId: store }));
    // Window bounds are inclusive: keep the changes strictly before e1.
    await new Promise((r) => setTimeout(r, 5));
    const handler = poller();
    await handler(pollTaskEvent(store), context());
    const run1 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    const e1 = run1[0]?.observedAt ?? 0;
    const orders = createOrderRepository(dynamo.client, dynamo.tableName);
    for (const [order, id, at] of [
      [a, "m-a", e1 + 20_000],
      [b, "m-b", e1 + 1],
    ] as const) {
      await orders.upsert({
        order: OrderSchema.parse(order),
        source: "status-check",
        receivedAt: at,
        syncedAt: at,
        messageId: id,
      });
    }
    const client = createPincodeClient(sandboxClientConfig(sandbox));
    await client.updateOrder(String(b?.id), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    skew = 30_000;
    await handler(pollTaskEvent(store), context());
    const run2 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    skew = 70_000;
    calls = [];
    // Act
    await handler(pollTaskEvent(store), context());
    // Assess
    const run3 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(run1.map((m) => m.orderId).sort()).toEqual([a?.id, b?.id, c?.id].sort());
    expect(run2.map((m) => m.orderId)).toEqual([b?.id]);
    const e2 = run2[0]?.observedAt ?? 0;
    const delayedEnd = calls[0]?.toTimestamp ?? 0;
    expect(calls[0]).toMatchObject({ fromTimestamp: e1 - 60_000 });
    expect(delayedEnd).toBeLessThan(e2);
    expect(calls.at(-1)).toMatchObject({ fromTimestamp: e2 });
    // A's view was synced after the delayed segment's end: no second check. B (synced before it) and C are checked.
    expect(run3.map((m) => [m.orderId, m.observedAt]).sort()).toEqual(
      [
        [c?.id, delayedEnd],
        [b?.id, delayedEnd],
      ].sort(),
    );
    const checkpoint = await createPollCheckpointRepository(dynamo.client, dynamo.tableName).get(store);
    expect(checkpoint).toMatchObject({ recheckedTo: delayedEnd });
    expect(output.metricTotals().get("PollIdsSkippedFresh")).toBeGreaterThanOrEqual(1);
  });

  it("pages a busy store's delayed pass and live window separately, each id observed at its own segment's end", async () => {
    // Prepare: run 1 sees A, B, C, D (a busy live window: busyTo = e1). Then A's view is known true until far ahead,
    // B's and D's since just after e1 (the check run 1 caused), C's not at all; D changes again.
    const store = "BUSY1";
    const [a, b, c, d] = [0, 1, 2, 3].map(() => sandbox.createOrder({ storeId: store }));
    await new Promise((r) => setTimeout(r, 5));
    const handler = poller();
    await handler(pollTaskEvent(store), context());
    const run1 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    const e1 = run1[0]?.observedAt ?? 0;
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    expect(await checkpoints.get(store)).toMatchObject({ windowEnd: e1, busyTo: e1 });
    const orders = createOrderRepository(dynamo.client, dynamo.tableName);
    for (const [order, id, at] of [
      [a, "m-a", Date.now() + 200_000],
      [b, "m-b", e1 + 1],
      [d, "m-d", e1 + 1],
    ] as const) {
      await orders.upsert({
        order: OrderSchema.parse(order),
        source: "status-check",
        receivedAt: at,
        syncedAt: at,
        messageId: id,
      });
    }
    const client = createPincodeClient(sandboxClientConfig(sandbox));
    await client.updateOrder(String(d?.id), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    // Two look-backs later: [recheckedTo, windowEnd] is a look-back old and contiguous with the live window.
    skew = 121_000;
    calls = [];
    // Act
    await handler(pollTaskEvent(store), context());
    // Assess: two calls, the delayed segment ending at e1, then the live window from e1
    const run2 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(calls.map((c) => [c.fromTimestamp, c.toTimestamp])).toEqual([
      [e1 - 60_000, e1],
      [e1, expect.any(Number)],
    ]);
    const e2 = calls[1]?.toTimestamp ?? 0;
    expect(e2).toBeGreaterThan(e1 + 120_000);
    // B (synced after e1, unchanged) is not checked again; C is checked against e1; D changed after: checked against e2.
    expect(run2.map((m) => [m.orderId, m.observedAt]).sort()).toEqual(
      [
        [c?.id, e1],
        [d?.id, e2],
      ].sort(),
    );
    expect(await checkpoints.get(store)).toMatchObject({ windowEnd: e2, recheckedTo: e2 - 60_000, busyTo: e2 });
    expect(output.metricTotals().get("PollIdsSkippedFresh")).toBeGreaterThanOrEqual(3);
  });

  it("pages a quiet store's delayed pass and live window as ONE window; its ids are observed at its end", async () => {
    // Prepare: the checkpoint a quiet store's last run left (its windows returned no ids: no busyTo); E changes after
    // it, in the live part of the next window.
    const store = "MERGED1";
    const e1 = Date.now() - 1_000;
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          ...keyOf(keys.pollCheckpoint(store)),
          pollStoreId: { S: store },
          windowEnd: { N: String(e1) },
          recheckedTo: { N: String(e1 - 60_000) },
        },
      }),
    );
    const handler = poller();
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    const e = sandbox.createOrder({ storeId: store });
    skew = 121_000;
    calls = [];
    // Act
    await handler(pollTaskEvent(store), context());
    // Assess: ONE Order Poll call (a quiet store's run costs one call), its id observed at the merged window's end
    const run2 = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ fromTimestamp: e1 - 60_000 });
    const e2 = calls[0]?.toTimestamp ?? 0;
    expect(e2).toBeGreaterThan(e1 + 120_000);
    expect(run2.map((m) => [m.orderId, m.observedAt])).toEqual([[e.id, e2]]);
    expect(await checkpoints.get(store)).toMatchObject({ windowEnd: e2, recheckedTo: e2 - 60_000, busyTo: e2 });
    // The window that found E makes the next contiguous run page its delayed pass apart (two calls).
    skew = 242_000;
    calls = [];
    await handler(pollTaskEvent(store), context());
    expect(calls.map((c) => c.fromTimestamp)).toEqual([e2 - 60_000, e2]);
    expect(calls[0]?.toTimestamp).toBe(e2);
    // (E changed on the real clock, before this skewed delayed segment: nothing to queue.)
    expect(await takeAll<OrderChangedMessage>(queues.eventsQueueUrl)).toEqual([]);
  });

  it("reads a checkpoint item written by the release before the delayed pass (overlapDoneFor, no recheckedTo)", async () => {
    // Prepare: the item exactly as the previous release wrote it after a completed window and its overlap
    const store = "OLDITEM1";
    const windowEnd = Date.now() - 3 * 60_000;
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          ...keyOf(keys.pollCheckpoint(store)),
          pollStoreId: { S: store },
          windowEnd: { N: String(windowEnd) },
          overlapDoneFor: { N: String(windowEnd) },
          lastCompletedAt: { N: String(windowEnd + 500) },
          lastPageAt: { N: String(windowEnd + 400) },
        },
      }),
    );
    const order = sandbox.createOrder({ storeId: store });
    // Act
    const response = await poller()(pollTaskEvent(store), context());
    // Assess: its last look-back is re-paged once, here (three minutes on, contiguous) together with the new window
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ fromTimestamp: windowEnd - 60_000 });
    const runEnd = calls.at(-1)?.toTimestamp ?? 0;
    expect(runEnd).toBeGreaterThan(windowEnd);
    const messages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
    expect(messages.map((m) => m.orderId)).toEqual([order.id]);
    const checkpoint = await createPollCheckpointRepository(dynamo.client, dynamo.tableName).get(store);
    // No busyTo on the old item read as quiet (merged above); the window found an order, so it is written now.
    expect(checkpoint).toMatchObject({
      windowEnd: runEnd,
      recheckedTo: runEnd - 60_000,
      overlapDoneFor: windowEnd,
      busyTo: runEnd,
    });
  });

  it("leaves a store alone while another task holds its lease", async () => {
    // Prepare
    const store = "LEASED1";
    sandbox.createOrder({ storeId: store });
    await createPollCheckpointRepository(dynamo.client, dynamo.tableName).acquireLease(
      store,
      "other-task",
      Date.now(),
      Date.now() + 60_000,
    );
    // Act
    const response = await poller()(pollTaskEvent(store), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(0);
    expect(await takeAll(queues.eventsQueueUrl)).toEqual([]);
    expect(output.metricTotals().get("PollTasksSkippedLeased")).toBe(1);
  });

  it("fails only the throttled store's task; the other store in the batch is polled", async () => {
    // Prepare: a second Pincode that answers every call 429 (throttled store), the sandbox for the healthy one
    const throttled = await startSandbox({ seed: 6, faults: { apiRateLimitRate: 1, retryAfterSeconds: 0 } });
    try {
      const healthy = String(sandbox.createOrder({ storeId: "OK1" }).id);
      const slowClient = createPincodeClient(sandboxClientConfig(throttled));
      const fastClient = createPincodeClient(sandboxClientConfig(sandbox));
      const routed: OrderPoller = {
        pollOrders: (p) => (p.serviceProviderId === "S01" ? slowClient : fastClient).pollOrders(p),
      };
      const event = sqsEventOf([newPollTask("S01", Date.now()), newPollTask("OK1", Date.now())]);
      // Act
      const response = await poller({ pincode: routed })(event, context());
      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
      const messages = await takeAll<OrderChangedMessage>(queues.eventsQueueUrl);
      expect(messages.map((m) => m.orderId)).toEqual([healthy]);
      const failure = output.logs().find((l) => l.message === "poll task failed; it will be retried");
      expect(failure).toMatchObject({ storeId: "S01", reason: expect.stringContaining("429") });
      // the failed task released its lease: a retry can poll right away
      expect(
        (await createPollCheckpointRepository(dynamo.client, dynamo.tableName).get("S01"))?.leaseOwner,
      ).toBeUndefined();
    } finally {
      await throttled.stop();
    }
  });

  it("rejects an event it does not know", async () => {
    const handler: PollerHandler = poller();
    await expect(handler({ hello: "world" } as never, context())).rejects.toThrow(/unsupported poller event/);
  });

  it("reads messages the fan-out produced as valid poll tasks (real queue round trip)", async () => {
    await poller({ stores: ["S02"] })(scheduledEvent(), context());
    const received = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.pollQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const event = sqsEventOf((received.Messages ?? []).map((m) => m.Body ?? ""));
    const response = await poller({ stores: ["S02"] })(event, context());
    expect(response.batchItemFailures).toEqual([]);
    expect(calls.every((c) => c.serviceProviderId === "S02")).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(1);
  });
});
