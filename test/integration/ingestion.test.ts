/**
 * The ingestion pipeline end to end, with the real handlers on dynalite, fauxqs and the sandbox:
 *  (b) with every callback dropped, the scheduled poller alone brings every order in, in its current state;
 *  (e) a poison message ends in the events DLQ without blocking the rest of its batch, and its reason is logged.
 */
import { ReceiveMessageCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createSqsDriver, lambdaContext, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import type { RecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { createPincodeClient } from "../../functions/pincode/client.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createPollerHandler, type PollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { createProcessorHandler, type ProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import { admin } from "../../sandbox/testkit.ts";
import {
  captureStdout,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  snapshotMessage,
  testObservability,
} from "./ingestion.harness.ts";

const STORES = ["S01", "S02", "S03"];

describe("ingestion pipeline", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;
  let events: RecordingEventPublisher;
  let poller: PollerHandler;
  let processor: ProcessorHandler;

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([
      startLocalDynamo(),
      // (e): a failed record is visible again after 1 s and moves to the DLQ on its 3rd receive
      startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 }),
      startSandbox({ seed: 21, stores: STORES }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
    events = recordingEvents();
    const pincode = sandboxClientConfig(sandbox);
    poller = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: STORES,
        pincode,
        settings: { lookbackMs: 60_000, settleMs: 0, initialLookbackMs: 60_000, timeBudgetMs: 20_000 },
        ...testObservability("poller-e2e"),
      }),
    );
    processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events,
        pincode,
        ...testObservability("processor-e2e"),
      }),
    );
  });
  afterEach(() => output.stop());

  const pollDriver = () => createSqsDriver({ sqs: queues.client, queueUrl: queues.pollQueueUrl, handler: poller });
  const eventsDriver = () =>
    createSqsDriver({ sqs: queues.client, queueUrl: queues.eventsQueueUrl, handler: processor });

  /** One reconciliation cycle: the schedule fires, every poll task runs, every queued change is processed. */
  async function reconcile() {
    await poller(scheduledEvent(), lambdaContext({ timeoutMs: 60_000 }));
    const polled = await pollDriver().drainUntilIdle();
    const processed = await eventsDriver().drainUntilIdle();
    return { polled, processed };
  }

  async function sandboxTruth(orderId: string) {
    const answer = await admin(sandbox.url, "GET", `/_sandbox/orders/${orderId}`);
    expect(answer.status).toBe(200);
    return answer.json as Record<string, unknown>;
  }

  it("(b) brings every order in through the poller alone when every callback is dropped", async () => {
    // Prepare: no callback receiver is registered and drops are on: Pincode's push never reaches us
    sandbox.setFaults({ callbackDropRate: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: STORES[i % STORES.length] });
      expect(created.status).toBe(201);
      ids.push(String((created.json as { id: string }).id));
    }
    const seller = createPincodeClient(sandboxClientConfig(sandbox));
    const accept = (id: string) => seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    const storeLeg = async (id: string) =>
      String(
        ((await sandboxTruth(id)).fulfillments as { type: string; fulfillmentId: string }[]).find(
          (f) => f.type === "STORE",
        )?.fulfillmentId,
      );
    for (const id of ids.slice(0, 6)) await accept(id);
    for (const id of ids.slice(0, 3)) {
      const leg = await storeLeg(id);
      await seller.updateOrder(id, [
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: leg, fulfillmentState: "PACKING" },
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: leg, fulfillmentState: "PACKED" },
      ]);
    }
    expect((await admin(sandbox.url, "POST", `/_sandbox/orders/${ids[0]}/advance`)).status).toBe(200);
    await seller.updateOrder(String(ids[11]), [
      { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" },
    ]);

    // Act 1
    const first = await reconcile();

    // Assess 1: every order, in exactly the sandbox's current state
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    for (const id of ids) {
      const view = await repository.get(id);
      expect(view?.order, id).toEqual(OrderSchema.parse(await sandboxTruth(id)));
    }
    expect(first.polled.received).toBe(STORES.length);
    expect(first.processed.failed).toBe(0);
    expect(events.events.map((e) => e.detail.orderId).sort()).toEqual([...ids].sort());
    expect(sandbox.stats().callbacks.acked).toBe(0);

    // Act 2: the orders move on, the next scheduled run catches up
    await seller.updateOrder(String(ids[6]), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    expect((await admin(sandbox.url, "POST", `/_sandbox/orders/${ids[0]}/advance`)).status).toBe(200);
    const statusCallsBefore = Object.values(sandbox.stats().calls["/tsp/order/v1/status"] ?? {}).reduce(
      (a, b) => a + b,
      0,
    );
    const second = await reconcile();

    // Assess 2
    for (const id of ids) {
      expect((await repository.get(id))?.order, id).toEqual(OrderSchema.parse(await sandboxTruth(id)));
    }
    const statusCalls =
      Object.values(sandbox.stats().calls["/tsp/order/v1/status"] ?? {}).reduce((a, b) => a + b, 0) - statusCallsBefore;
    // only the two changed orders needed a Status Check: the rest were synced after the first window
    expect(statusCalls).toBe(2);
    expect(second.processed.received).toBe(2);
    expect(
      events.events
        .filter((e) => e.detail.version === 2)
        .map((e) => e.detail.orderId)
        .sort(),
    ).toEqual([ids[0], ids[6]].sort());
    expect(
      output
        .metricsNamed("PollLagMs")
        .map((m) => m.storeId)
        .sort(),
    ).toEqual(expect.arrayContaining(STORES));
  });

  it("runs the processor in the background the way local mode does, until stopped", async () => {
    // Prepare
    const order = sandbox.createOrder({ storeId: "S03" });
    const driver = createSqsDriver({
      sqs: queues.client,
      queueUrl: queues.eventsQueueUrl,
      handler: processor,
      waitTimeSeconds: 1,
    });
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    // Act
    driver.start();
    await queues.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.eventsQueueUrl,
        Entries: [{ Id: "1", MessageBody: JSON.stringify(snapshotMessage(order)) }],
      }),
    );
    let stored = await repository.get(String(order.id));
    for (let i = 0; i < 60 && !stored; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stored = await repository.get(String(order.id));
    }
    await driver.stop();
    // Assess
    expect(stored?.version).toBe(1);
    expect(driver.running).toBe(false);
  });

  it("(e) moves a poison message to the DLQ after maxReceiveCount without blocking its batch", async () => {
    // Prepare: one malformed message among good ones, in one batch
    const goods = [0, 1, 2].map(() => sandbox.createOrder({ storeId: "S02" }));
    const bodies = [
      JSON.stringify(snapshotMessage(goods[0]!)),
      '{"v":1,"kind":"order.snapshot","orderId":"OD-broken"',
      JSON.stringify(snapshotMessage(goods[1]!)),
      JSON.stringify(snapshotMessage(goods[2]!)),
    ];
    await queues.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queues.eventsQueueUrl,
        Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const driver = eventsDriver();

    // Act: receive 1, then again after the visibility timeout (receive 2), then once more (redriven to the DLQ)
    const first = await driver.drainOnce({ waitTimeSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const second = await driver.drainOnce({ waitTimeSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const third = await driver.drainOnce({ waitTimeSeconds: 0 });

    // Assess
    expect(first).toMatchObject({ received: 4, deleted: 3, failed: 1 });
    expect(second).toMatchObject({ received: 1, failed: 1 });
    expect(second.failedMessageIds).toEqual(first.failedMessageIds);
    expect(third.received).toBe(0);
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    for (const order of goods) expect((await repository.get(String(order.id)))?.version).toBe(1);
    const dlq = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(dlq.Messages?.map((m) => m.Body)).toEqual([bodies[1]]);
    const logged = output
      .logs()
      .filter((l) => l.message === "poison message: retried until it moves to the DLQ")
      .map((l) => ({ messageId: l.messageId, reason: l.reason, receiveCount: l.receiveCount }));
    expect(logged).toEqual([
      { messageId: first.failedMessageIds[0], reason: "body is not JSON", receiveCount: 1 },
      { messageId: first.failedMessageIds[0], reason: "body is not JSON", receiveCount: 2 },
    ]);
  });
});
