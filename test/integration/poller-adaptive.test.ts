/**
 * Adaptive polling (issue 13) with the real poller handler against dynalite, fauxqs and the sandbox, on one simulated
 * clock shared by the sandbox and the poller: an hour of one-minute scheduled runs over three stores.
 *  - QUIET: no orders; HEALTHY: an order every 10 minutes whose callback arrives (the processor's write of the
 *    callback's snapshot); LOST: an order every 10 minutes whose callback never arrives.
 * The quiet and healthy stores must be polled less often than the lost one, and every lost order must still be found
 * within the minimum interval (plus settle).
 * With `updatedAt` frozen (Pincode's sample), a later change of an older order whose callback arrived must not count
 * as a missed callback, and one whose callback was dropped still must.
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { keyOf } from "../../functions/adapters/attributes.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { createStoreRepository } from "../../functions/adapters/store-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import type { OrderChangedMessage } from "../../functions/core/messages.ts";
import { createPincodeClient } from "../../functions/pincode/client.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import type { OrderPoller } from "../../functions/poller/poll-store.ts";
import type { AdaptiveSchedule } from "../../functions/poller/schedule.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import { ManualClock } from "../../sandbox/testkit.ts";
import {
  captureStdout,
  context,
  drainBodies,
  type OutputCapture,
  sandboxClientConfig,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

const MINUTE = 60_000;
const T0 = 1_800_000_000_000;
const ADAPTIVE: AdaptiveSchedule = {
  minMs: MINUTE,
  maxMs: 16 * MINUTE,
  missMemoryMs: 60 * MINUTE,
  tickMs: MINUTE,
  maxTasksPerRun: 100,
  // fauxqs honours DelaySeconds in real time; the simulated clock does not wait for it.
  maxDelaySeconds: 0,
  // Three stores fit the budget many times over: the budget's interval ceiling (docs/scale.md) would poll every store
  // every look-back + settle. This test is about the interval rule between min and max, so the ceiling is put at max
  // (test/unit/poll-schedule.test.ts tests the ceiling).
  ceilingFloorMs: 16 * MINUTE,
};

describe("adaptive polling", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([
      startLocalDynamo(),
      startLocalQueues(),
      startSandbox({ seed: 13, stores: ["QUIET", "HEALTHY", "LOST"], clock }),
    ]);
    output = captureStdout();
  });
  afterAll(async () => {
    output?.stop();
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });

  it("polls a quiet store with healthy callbacks less often, and a store whose callbacks are lost every minute", async () => {
    // Prepare
    const pollCalls = new Map<string, number>();
    const real = createPincodeClient(sandboxClientConfig(sandbox));
    const recorded: OrderPoller = {
      pollOrders(params, options) {
        pollCalls.set(params.serviceProviderId, (pollCalls.get(params.serviceProviderId) ?? 0) + 1);
        return real.pollOrders(params, options);
      },
    };
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: ["QUIET", "HEALTHY", "LOST"],
        storesFromTable: true,
        pincode: recorded,
        settings: {
          lookbackMs: 2 * MINUTE,
          settleMs: 30_000,
          initialLookbackMs: 10 * MINUTE,
          timeBudgetMs: 20_000,
          safetyMarginMs: 0,
          adaptive: ADAPTIVE,
        },
        now: () => clock.now(),
        ...testObservability("poller-adaptive-test"),
      }),
    );
    const orders = createOrderRepository(dynamo.client, dynamo.tableName);
    const runs = new Map<string, number>();
    const lostCreatedAt = new Map<string, number>();
    const lostFoundAt = new Map<string, number>();

    // Act: 60 scheduled runs, one a minute
    for (let tick = 0; tick < 60; tick++) {
      clock.set(T0 + tick * MINUTE);
      if (tick % 10 === 3) {
        const healthy = sandbox.createOrder({ storeId: "HEALTHY" });
        await orders.upsert({
          order: OrderSchema.parse(healthy),
          source: "callback",
          receivedAt: clock.now(),
          messageId: `cb-${tick}`,
        });
        const lost = sandbox.createOrder({ storeId: "LOST" });
        lostCreatedAt.set(String(lost.id), clock.now());
      }
      // The run starts a few seconds into the minute, the tasks' polls a little later.
      await handler(scheduledEvent({ time: new Date(clock.now()) }), context());
      clock.advance(5_000);
      const tasks = await drainBodies<{ storeId: string }>(queues.client, queues.pollQueueUrl);
      for (const task of tasks) runs.set(task.storeId, (runs.get(task.storeId) ?? 0) + 1);
      if (tasks.length > 0) {
        const response = await handler(sqsEventOf(tasks), context());
        expect(response.batchItemFailures).toEqual([]);
      }
      for (const message of await drainBodies<OrderChangedMessage>(queues.client, queues.eventsQueueUrl)) {
        if (lostCreatedAt.has(message.orderId) && !lostFoundAt.has(message.orderId))
          lostFoundAt.set(message.orderId, clock.now());
      }
    }

    // Assess
    const quiet = runs.get("QUIET") ?? 0;
    const healthy = runs.get("HEALTHY") ?? 0;
    const lost = runs.get("LOST") ?? 0;
    expect(quiet).toBeGreaterThan(0);
    expect(quiet).toBeLessThan(healthy);
    expect(healthy).toBeLessThan(lost / 2);
    // After its first missed callback, the lost store is polled every minute.
    expect(lost).toBeGreaterThanOrEqual(55);
    expect(pollCalls.get("LOST") ?? 0).toBeGreaterThan((pollCalls.get("QUIET") ?? 0) * 3);
    // Once its interval reaches look-back + settle, a quiet run pages the delayed pass and its live window as one
    // window: one Order Poll call a run (at most one separate delayed call while its interval was still short).
    expect(pollCalls.get("QUIET") ?? 0).toBeLessThanOrEqual(quiet + 1);
    // Every lost order is found, within the minimum interval + settle + the run's offset.
    expect([...lostFoundAt.keys()].sort()).toEqual([...lostCreatedAt.keys()].sort());
    const waits = [...lostCreatedAt].map(([id, at]) => (lostFoundAt.get(id) ?? Number.POSITIVE_INFINITY) - at);
    expect(Math.max(...waits)).toBeLessThanOrEqual(ADAPTIVE.maxMs);
    expect(waits.slice(1).every((w) => w <= 2 * MINUTE + 5_000)).toBe(true);
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    expect((await checkpoints.get("QUIET"))?.intervalMs).toBe(ADAPTIVE.maxMs);
    expect((await checkpoints.get("LOST"))?.intervalMs).toBe(ADAPTIVE.minMs);
    expect((await checkpoints.get("LOST"))?.lastMissAt).toBeGreaterThan(T0);
    // Nothing stays on the poll queue: each due store got exactly one task per run.
    const left = await queues.client.send(new ReceiveMessageCommand({ QueueUrl: queues.pollQueueUrl }));
    expect(left.Messages ?? []).toEqual([]);
  }, 120_000);

  it("puts a store added through the store repository (PUT /v1/stores/{id}) into the schedule within one minimum interval", async () => {
    // Prepare: 300 stores as data, a 5-minute minimum interval, and a handler whose pincode is never reached here
    const schedule: AdaptiveSchedule = { ...ADAPTIVE, minMs: 5 * MINUTE, maxMs: 20 * MINUTE };
    const storeRepo = createStoreRepository(dynamo.client, dynamo.tableName);
    const existing = Array.from({ length: 300 }, (_, i) => `BULK${String(i).padStart(3, "0")}`);
    for (const storeId of existing) await storeRepo.put({ storeId }, clock.now());
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [],
        storesFromTable: true,
        pincode: createPincodeClient(sandboxClientConfig(sandbox)),
        settings: { adaptive: schedule },
        now: () => clock.now(),
        ...testObservability("poller-adaptive-test"),
      }),
    );
    const start = T0 + 120 * MINUTE;
    clock.set(start);
    await storeRepo.put({ storeId: "ADDED-1" }, clock.now());
    // Act: one scheduled run a minute; nothing is polled (the tasks are only counted), so no store gets a due time
    const firstTick = new Map<string, number>();
    const perTick: number[] = [];
    for (let tick = 0; tick < 5; tick++) {
      clock.set(start + tick * MINUTE);
      const result = await handler(scheduledEvent({ time: new Date(clock.now()) }), context());
      const tasks = await drainBodies<{ storeId: string }>(queues.client, queues.pollQueueUrl);
      perTick.push(tasks.length);
      expect(result).toMatchObject({ tasks: tasks.length });
      for (const task of tasks) if (!firstTick.has(task.storeId)) firstTick.set(task.storeId, tick);
    }
    // Assess: the added store and every other store without a due time were sent once within the 5 ticks of one
    // minimum interval, spread over them rather than all in the first
    expect(firstTick.has("ADDED-1")).toBe(true);
    for (const storeId of existing) expect(firstTick.has(storeId), storeId).toBe(true);
    expect(Math.max(...perTick)).toBeLessThan(existing.length / 2);
    expect(perTick.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(existing.length + 1);
  }, 120_000);
});

describe("adaptive polling with updatedAt frozen", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;
  const clock = new ManualClock(T0);

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([
      startLocalDynamo(),
      startLocalQueues(),
      startSandbox({ seed: 14, stores: ["FROZEN-OK", "FROZEN-LOST"], clock, updatedAt: "frozen" }),
    ]);
    output = captureStdout();
  });
  afterAll(async () => {
    output?.stop();
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });

  it("counts a later change of an older order as delivered when its callback was written, and as missed when it was dropped", async () => {
    // Prepare: two stores, each with three orders created at T0 whose creation callbacks arrive
    const stores = ["FROZEN-OK", "FROZEN-LOST"] as const;
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [...stores],
        storesFromTable: true,
        pincode: createPincodeClient(sandboxClientConfig(sandbox)),
        settings: {
          lookbackMs: 2 * MINUTE,
          settleMs: 30_000,
          initialLookbackMs: 10 * MINUTE,
          timeBudgetMs: 20_000,
          safetyMarginMs: 0,
          adaptive: ADAPTIVE,
        },
        now: () => clock.now(),
        ...testObservability("poller-adaptive-test"),
      }),
    );
    // The processor's write of a callback's snapshot, on the simulated clock (the view's write time is the clock's).
    const orders = createOrderRepository(dynamo.client, dynamo.tableName, { now: () => clock.now() });
    const deliverCallback = (order: unknown, tick: number) =>
      orders.upsert({
        order: OrderSchema.parse(order),
        source: "callback",
        receivedAt: clock.now(),
        messageId: `cb-${tick}-${String((order as { id: unknown }).id)}`,
      });
    const seller = createPincodeClient(sandboxClientConfig(sandbox));
    const created = new Map<string, string[]>(stores.map((s) => [s, []]));
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    const okIntervals: number[] = [];

    // Act: 60 scheduled runs, one a minute. At minutes 20, 30 and 40 the seller accepts one of each store's orders
    // outside the bridge (Pincode's own seller app): ACCEPTED carries no time, and with updatedAt frozen the order's
    // content still says T0. FROZEN-OK's callback for it arrives; FROZEN-LOST's is dropped.
    for (let tick = 0; tick < 60; tick++) {
      clock.set(T0 + tick * MINUTE);
      if (tick === 0) {
        for (const storeId of stores) {
          for (let i = 0; i < 3; i++) {
            const order = sandbox.createOrder({ storeId });
            created.get(storeId)?.push(String(order.id));
            await deliverCallback(order, tick);
          }
        }
      }
      if (tick === 20 || tick === 30 || tick === 40) {
        const index = (tick - 20) / 10;
        for (const storeId of stores) {
          const orderId = created.get(storeId)?.[index] ?? "";
          await seller.updateOrder(orderId, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
          if (storeId === "FROZEN-OK") await deliverCallback(sandbox.getOrder(orderId), tick);
        }
      }
      await handler(scheduledEvent({ time: new Date(clock.now()) }), context());
      clock.advance(5_000);
      const tasks = await drainBodies<{ storeId: string }>(queues.client, queues.pollQueueUrl);
      if (tasks.length > 0) {
        const response = await handler(sqsEventOf(tasks), context());
        expect(response.batchItemFailures).toEqual([]);
        if (tasks.some((t) => t.storeId === "FROZEN-OK") && tick >= 20)
          okIntervals.push((await checkpoints.get("FROZEN-OK"))?.intervalMs ?? 0);
      }
      // The Status Checks the runs ask for are not processed: only callbacks write the views here.
      await drainBodies<OrderChangedMessage>(queues.client, queues.eventsQueueUrl);
    }

    // Assess: the three accepted orders were each seen by a live window (as a change in flight, never as a miss), so
    // the healthy store's interval shrank but never dropped to min and it never recorded a miss
    const ok = await checkpoints.get("FROZEN-OK");
    expect(ok?.lastMissAt).toBeUndefined();
    expect(okIntervals.length).toBeGreaterThan(0);
    expect(Math.min(...okIntervals)).toBeGreaterThan(ADAPTIVE.minMs);
    expect(okIntervals.some((ms) => ms < ADAPTIVE.maxMs)).toBe(true);
    // The store whose callbacks were dropped: its views were written at T0, before every window that saw a change.
    const lost = await checkpoints.get("FROZEN-LOST");
    expect(lost?.lastMissAt).toBeGreaterThanOrEqual(T0 + 40 * MINUTE);
    expect(lost?.intervalMs).toBe(ADAPTIVE.minMs);
  }, 120_000);

  it("reads a view's write time with its sync bound, and the sync bound alone for an item without writtenAt", async () => {
    // Prepare: an order created at A whose callback is written at B; its content (updatedAt frozen) says A
    const orders = createOrderRepository(dynamo.client, dynamo.tableName, { now: () => clock.now() });
    const createdAt = T0 + 200 * MINUTE;
    clock.set(createdAt);
    const order = sandbox.createOrder({ storeId: "FROZEN-OK" });
    const orderId = String(order.id);
    clock.set(createdAt + 7 * MINUTE);
    await orders.upsert({
      order: OrderSchema.parse(order),
      source: "callback",
      receivedAt: clock.now(),
      messageId: "m1",
    });

    // Act + Assess: the write time moves touchedAt, not the sync bound the Status Check decision uses
    expect((await orders.getSyncState([orderId])).get(orderId)).toEqual({
      syncedAt: createdAt,
      touchedAt: createdAt + 7 * MINUTE,
    });

    // Prepare: the same item without `writtenAt` (a view item that never carried it)
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tableName,
        Key: keyOf(keys.orderView(orderId)),
        UpdateExpression: "REMOVE writtenAt",
      }),
    );

    // Act + Assess: the signal falls back to the sync bound (the rule before the write time was read)
    expect((await orders.getSyncState([orderId])).get(orderId)).toEqual({ syncedAt: createdAt, touchedAt: createdAt });
  });
});
