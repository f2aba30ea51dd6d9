/**
 * Issue 8, "Order truth under Pincode's real payloads", through the real processor and poller on dynalite, fauxqs and
 * the sandbox over HTTP:
 *  - random lifecycles delivered shuffled, duplicated and partly dropped, then one poll cycle: every stored view equals
 *    the sandbox's truth, with `updatedAt` frozen (Pincode's own sample) and moving;
 *  - a late redelivery of an old callback does not make the poller skip the Status Check that repairs a lost one;
 *  - snapshots and Status Check answers with null optional fields and numeric strings reach the table;
 *  - Status Check 404 ORDER_NOT_FOUND is recorded and completes;
 *  - order views written by the previous release (f1 keys, syncedAt = callback receipt) still read and compare.
 */
import { readFileSync } from "node:fs";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createSqsDriver, lambdaContext, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { canonicalJson } from "../../functions/core/freshness.ts";
import { newEventsMessage } from "../../functions/core/messages.ts";
import { createPincodeClient, type PincodeClient } from "../../functions/pincode/client.ts";
import { parseInboundOrder } from "../../functions/pincode/schemas.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { createProcessorHandler, type ProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import type { UpdatedAtMode } from "../../sandbox/faults.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  historyOf,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";
import { startHarness } from "./pincode-client.harness.ts";

type Json = Record<string, unknown>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The normalised form the view stores, for comparing a stored view with Pincode's truth. */
const normalised = (raw: Json): string => {
  const parsed = parseInboundOrder(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return canonicalJson(JSON.parse(JSON.stringify(parsed.order)));
};

describe.each<UpdatedAtMode>(["frozen", "moves"])("order truth with updatedAt %s", (mode) => {
  const STORE = mode === "frozen" ? "SF1" : "SM1";
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let seller: PincodeClient;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([
      startLocalDynamo(),
      startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 3 }),
      startSandbox({ seed: mode === "frozen" ? 81 : 82, stores: [STORE], updatedAt: mode }),
    ]);
    seller = createPincodeClient(sandboxClientConfig(sandbox));
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });
  afterEach(() => output?.stop());

  const wire = (settleMs = 0) => {
    const pincode = sandboxClientConfig(sandbox);
    const processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events: recordingEvents(),
        pincode,
        ...testObservability("processor-truth"),
      }),
    );
    const poller = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [STORE],
        pincode,
        settings: { lookbackMs: 60_000, settleMs, initialLookbackMs: 3_600_000, timeBudgetMs: 20_000 },
        ...testObservability("poller-truth"),
      }),
    );
    /** One reconciliation cycle: the schedule fires, the store's poll task runs, every queued change is processed. */
    const reconcile = async () => {
      await poller(scheduledEvent(), lambdaContext({ timeoutMs: 60_000 }));
      await createSqsDriver({ sqs: queues.client, queueUrl: queues.pollQueueUrl, handler: poller }).drainUntilIdle();
      await createSqsDriver({
        sqs: queues.client,
        queueUrl: queues.eventsQueueUrl,
        handler: processor,
      }).drainUntilIdle();
    };
    return { processor, reconcile };
  };

  /** Plays one random lifecycle on a new order; returns every state it went through, as a callback would carry it. */
  async function lifecycle(choices: readonly number[]): Promise<{ id: string; snapshots: Json[] }> {
    const created = sandbox.createOrder({ storeId: STORE });
    const id = String(created.id);
    const snapshots: Json[] = [created];
    const truth = () => sandbox.getOrder(id) as Json;
    const legOf = (type: string) =>
      ((truth().fulfillments as Json[]).find((f) => f.type === type) ?? {}) as {
        fulfillmentId?: string;
        fulfillmentState?: string | null;
      };
    for (const [step, choice] of choices.entries()) {
      const order = truth();
      const state = String(order.orderState);
      const store = legOf("STORE");
      const delivery = legOf("DELIVERY");
      const items = order.items as { itemId: string; quantity: { count: number } }[];
      const cuttable = items.find((i) => i.quantity.count >= 1);
      const moves: (() => Promise<unknown>)[] = [];
      const update = (actions: Parameters<PincodeClient["updateOrder"]>[1]) => () => seller.updateOrder(id, actions);
      if (state === "CREATED") moves.push(update([{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]));
      if (state === "ACCEPTED" || state === "IN_PROGRESS") {
        if (!store.fulfillmentState) {
          moves.push(
            update([
              {
                type: "ORDER_FULFILMENT_STATE_UPDATE",
                fulfilmentId: store.fulfillmentId!,
                fulfillmentState: "PACKING",
              },
            ]),
          );
        } else if (store.fulfillmentState === "PACKING") {
          moves.push(
            update([
              { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: store.fulfillmentId!, fulfillmentState: "PACKED" },
            ]),
          );
        }
        if (delivery.fulfillmentState && delivery.fulfillmentState !== "DELIVERED") {
          moves.push(async () => sandbox.advanceOrder(id));
        }
        if (cuttable) {
          moves.push(
            update([
              {
                type: "ITEM_UNIT_UPDATE",
                itemId: cuttable.itemId,
                itemUnits: cuttable.quantity.count - 1,
                reason: "ITEM_UNAVAILABLE",
              },
            ]),
          );
        }
        moves.push(
          update([{ type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: `INV-${id}-${step}` } }]),
        );
        moves.push(update([{ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" }]));
      }
      if (state === "ACCEPTED") moves.push(update([{ type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" }]));
      if (state === "IN_PROGRESS") moves.push(update([{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }]));
      // PINCODE-API §3.2 sample: a CANCEL_ORDER action months after delivery; Pincode cancels a completed order.
      if (state === "COMPLETED") moves.push(async () => sandbox.cancelOrder(id, "FRAUD_PRESCRIPTION"));
      if (moves.length === 0) break;
      await moves[choice % moves.length]!();
      snapshots.push(truth());
    }
    return { id, snapshots };
  }

  it("converges every stored view on the sandbox's truth after shuffled, duplicated, partly dropped delivery and one poll cycle", async () => {
    output = captureStdout();
    const { processor, reconcile } = wire();
    const plan = fc.record({
      orders: fc.array(fc.array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 9 }), { minLength: 20, maxLength: 20 }),
      deliveries: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 200, maxLength: 200 }),
      order: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ orders, deliveries, order }) => {
        // Prepare: random lifecycles; each state becomes 0 (dropped), 1 or 2 (duplicated) callback deliveries.
        const played = [];
        for (const choices of orders) played.push(await lifecycle(choices));
        const messages = played
          .flatMap(({ snapshots }) => snapshots)
          .flatMap((snapshot, i) => {
            const message = snapshotMessage(snapshot);
            return Array.from({ length: deliveries[i % deliveries.length]! }, () => message);
          });
        const shuffled = messages
          .map((message, i) => ({ message, key: order[i % order.length]! + i / 1e6 }))
          .sort((a, b) => a.key - b.key)
          .map((m) => m.message);

        // Act: delivered in batches of up to 10 records, as the event source mapping does; then one poll cycle.
        for (let start = 0; start < shuffled.length; start += 10) {
          const response = await processor(sqsEventOf(shuffled.slice(start, start + 10)), context());
          expect(response.batchItemFailures).toEqual([]);
        }
        await reconcile();

        // Assess: every view is Pincode's truth, whatever reached us and in whatever order.
        const repository = createOrderRepository(dynamo.client, dynamo.tableName);
        for (const { id } of played) {
          const view = await repository.get(id);
          expect(view, id).toBeDefined();
          expect(canonicalJson(view!.order), id).toBe(normalised(sandbox.getOrder(id) as Json));
          expect(view!.settlePending, id).toBe(false);
        }
      }),
      { numRuns: 2, seed: mode === "frozen" ? 8 : 9 },
    );
    // Frozen updatedAt makes invoice ids and unit cuts tie often enough that Pincode had to settle some.
    if (mode === "frozen") expect(output.metricTotals().get("TieStatusChecks") ?? 0).toBeGreaterThan(0);
  }, 180_000);

  it("a late redelivery of an old callback does not make the poller skip the Status Check that repairs a lost one", async () => {
    output = captureStdout();
    const settleMs = 1_500;
    const { processor, reconcile } = wire(settleMs);
    const created = sandbox.createOrder({ storeId: STORE });
    const id = String(created.id);
    const accepted =
      (await seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }])) && sandbox.getOrder(id)!;
    const acceptedCallback = snapshotMessage(accepted);
    expect((await processor(sqsEventOf([acceptedCallback]), context())).batchItemFailures).toEqual([]);
    // The IN_PROGRESS callback is lost (say our endpoint answered 503 and Pincode gave up on it).
    await seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" }]);
    // Pincode retries the OLD callback later, after the change; the poll window then ends between the two.
    await sleep(settleMs + 100);
    const redelivery = newEventsMessage({
      ...acceptedCallback,
      messageId: "redelivered",
      receivedAt: Date.now(),
    } as never);
    expect((await processor(sqsEventOf([redelivery]), context())).batchItemFailures).toEqual([]);

    await reconcile();
    await reconcile();

    const view = await createOrderRepository(dynamo.client, dynamo.tableName).get(id);
    expect(view?.summary.orderState).toBe("IN_PROGRESS");
    expect(canonicalJson(view!.order)).toBe(normalised(sandbox.getOrder(id) as Json));
  }, 60_000);

  it("settles a tie (invoice id changed, nothing else moved) with one Status Check, whatever the delivery order", async () => {
    output = captureStdout();
    const { processor } = wire();
    const id = String(sandbox.createOrder({ storeId: STORE }).id);
    await seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    const invoice = async (sellerInvoiceId: string) => {
      await seller.updateOrder(id, [{ type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId } }]);
      return snapshotMessage(sandbox.getOrder(id)!);
    };
    const first = await invoice("INV-A");
    const second = await invoice("INV-B");
    const checksBefore = sandbox.stats().calls["/tsp/order/v1/status"]?.["200"] ?? 0;

    // Newest first: the older one then arrives last and ties on evidence in frozen mode.
    for (const message of [second, first]) {
      expect((await processor(sqsEventOf([message]), context())).batchItemFailures).toEqual([]);
    }

    const view = await createOrderRepository(dynamo.client, dynamo.tableName).get(id);
    expect((view!.order.clientOrderInfo as { sellerInvoiceId: string }).sellerInvoiceId).toBe("INV-B");
    expect(view!.settlePending).toBe(false);
    const checks = (sandbox.stats().calls["/tsp/order/v1/status"]?.["200"] ?? 0) - checksBefore;
    // Frozen: the two snapshots tie and Pincode settles it (one extra Status Check). Moving updatedAt orders them.
    expect(checks).toBe(mode === "frozen" ? 1 : 0);
  }, 60_000);

  it("ingests callbacks and Status Check answers whose absent optional fields are null", async () => {
    output = captureStdout();
    const { processor, reconcile } = wire();
    sandbox.setFaults({ nullOptionalFields: true });
    try {
      const created = sandbox.createOrder({ storeId: STORE });
      const id = String(created.id);
      expect(created.clientOrderInfo).toBeNull();
      // A callback with nulls, then Status Check (through the poll cycle) answering with nulls after a change.
      expect((await processor(sqsEventOf([snapshotMessage(created)]), context())).batchItemFailures).toEqual([]);
      await seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
      await reconcile();
      const view = await createOrderRepository(dynamo.client, dynamo.tableName).get(id);
      expect(view?.summary.orderState).toBe("ACCEPTED");
      expect(view?.source).toBe("status-check");
      expect(output.metricTotals().get("PoisonMessages") ?? 0).toBe(0);
    } finally {
      sandbox.setFaults({});
    }
  }, 60_000);
});

describe("order truth: payloads the sandbox does not produce", () => {
  let dynamo: LocalDynamo;
  let output: OutputCapture;
  // The documented ORDER_VIEW sample: updatedAt frozen at createdAt, fulfilments into August, a cancel in November.
  const sampleText = readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8");
  const sample = (): Json => (JSON.parse(sampleText) as { response: Json }).response;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  afterEach(() => output?.stop());

  const processorWith = (pincode: Parameters<typeof wireProcessorDeps>[0]["pincode"]): ProcessorHandler =>
    createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events: recordingEvents(),
        pincode,
        ...testObservability("processor-odd"),
      }),
    );

  /** The payloads: nulls in optional fields and numeric strings where numbers belong. */
  function oddPayload(id: string): Json {
    const order = sample();
    order.id = id;
    (order.billing as Json).email = null;
    order.clientOrderInfo = null;
    const items = order.items as Json[];
    items[0]!.images = null;
    (items[0]!.price as Json).value = "700";
    (items[0]!.quantity as Json).count = "2";
    const fulfillments = order.fulfillments as { fulfilmentStatusHistory: Record<string, Json> }[];
    fulfillments[0]!.fulfilmentStatusHistory.PACKED!.promised = null;
    return order;
  }

  it("stores a callback snapshot with null optional fields and numeric strings", async () => {
    output = captureStdout();
    const processor = processorWith({ getOrderStatus: async () => Promise.reject(new Error("not called")) });
    const response = await processor(sqsEventOf([snapshotMessage(oddPayload("OD-ODD-1"))]), context());
    expect(response.batchItemFailures).toEqual([]);
    const view = await createOrderRepository(dynamo.client, dynamo.tableName).get("OD-ODD-1");
    const items = view!.order.items as { price: { value: unknown }; quantity: { count: unknown } }[];
    expect(items[0]!.price.value).toBe(700);
    expect(items[0]!.quantity.count).toBe(2);
    expect(view!.summary.orderState).toBe("COMPLETED");
  });

  it("stores a Status Check answer (over HTTP) with nulls, numeric strings and an unreadable field, counting the field", async () => {
    output = captureStdout();
    const h = await startHarness();
    try {
      const answer = oddPayload("OD-ODD-2");
      answer.updatedAt = "not a time";
      h.server.always("POST /tsp/order/v1/status", { status: 200, body: { type: "ORDER_VIEW", response: answer } });
      const processor = processorWith(h.client);
      const changed = newEventsMessage({
        kind: "order.changed",
        source: "poll",
        orderId: "OD-ODD-2",
        storeId: "P1",
        observedAt: Date.now(),
      } as never);
      expect((await processor(sqsEventOf([changed]), context())).batchItemFailures).toEqual([]);
      const view = await createOrderRepository(dynamo.client, dynamo.tableName).get("OD-ODD-2");
      expect(view?.source).toBe("status-check");
      expect((view!.order.items as { price: { value: unknown } }[])[0]!.price.value).toBe(700);
      const odd = output.metricsNamed("OddFieldValues");
      expect(odd.map((m) => m.field)).toEqual(["updatedAt"]);
      expect(output.lines.join("\n")).not.toContain("not a time");
    } finally {
      await h.stop();
    }
  });

  it("records Status Check 404 ORDER_NOT_FOUND on the order's history and completes the message", async () => {
    output = captureStdout();
    const h = await startHarness();
    try {
      h.server.always("POST /tsp/order/v1/status", {
        status: 404,
        body: { error: { errorCode: "ORDER_NOT_FOUND", message: "Order id OD-GONE not found" } },
      });
      const processor = processorWith(h.client);
      const changed = newEventsMessage({
        kind: "order.changed",
        source: "poll",
        orderId: "OD-GONE",
        storeId: "P1",
        observedAt: Date.now(),
      } as never);
      const response = await processor(sqsEventOf([changed]), context());
      expect(response.batchItemFailures).toEqual([]);
      expect(h.server.requestsTo("/tsp/order/v1/status")).toHaveLength(1);
      expect((await historyOf(dynamo, "OD-GONE")).map((e) => e.outcome)).toEqual(["not-found"]);
      expect(output.metricTotals().get("StatusCheckOrderNotFound")).toBe(1);
    } finally {
      await h.stop();
    }
  });

  it("reads and compares order views the previous release wrote (f1 key, syncedAt = callback receipt)", async () => {
    output = captureStdout();
    const h = await startHarness();
    try {
      // Prepare: a view exactly as the previous release wrote it for the documented sample, received by callback
      // long after it was true, so its syncedAt (receipt) proves nothing.
      const order = sample();
      order.id = "OD-OLD-1";
      const parsed = parseInboundOrder(order);
      if (!parsed.ok) throw new Error(parsed.reason);
      const receivedAt = Date.now() - 1_000;
      await dynamo.client.send(
        new PutItemCommand({
          TableName: dynamo.tableName,
          Item: {
            pk: { S: "ORDER#OD-OLD-1" },
            sk: { S: "VIEW" },
            kind: { S: "ORDER_VIEW" },
            orderId: { S: "OD-OLD-1" },
            storeId: { S: "P1" },
            freshness: { S: "f1|1|001713773187000|3|005|001722578383000|3c0e5b1f9a2d" },
            syncedAt: { N: String(receivedAt) },
            source: { S: "callback" },
            version: { N: "1" },
            receivedAt: { N: String(receivedAt) },
            updatedAt: { N: "1713773187000" },
            itemCount: { N: "1" },
            unitCount: { N: "2" },
            fulfillmentStates: { M: {} },
            summary: { S: JSON.stringify({ orderId: "OD-OLD-1", orderState: "COMPLETED" }) },
            snapshot: { S: JSON.stringify(parsed.order) },
            writtenAt: { N: String(receivedAt) },
          },
        }),
      );
      const repository = createOrderRepository(dynamo.client, dynamo.tableName);

      // Assess: its sync bound comes from its content, not the receipt time.
      const bound = (await repository.getSyncState(["OD-OLD-1"])).get("OD-OLD-1")?.syncedAt;
      expect(bound).toBe(1_722_578_383_000);

      // The same content again is a duplicate (no new version); the key is upgraded on the way.
      const processor = processorWith(h.client);
      await processor(sqsEventOf([snapshotMessage(order)]), context());
      let view = await repository.get("OD-OLD-1");
      expect(view?.version).toBe(1);
      expect(view?.freshness.startsWith("f3|")).toBe(true);

      // An older snapshot (before the cancel) is stale; a poll hit after the receipt is not skipped.
      const older = sample();
      older.id = "OD-OLD-1";
      older.actions = [];
      older.orderState = "COMPLETED";
      await processor(sqsEventOf([snapshotMessage(older)]), context());
      h.server.always("POST /tsp/order/v1/status", { status: 200, body: { response: order } });
      const changed = newEventsMessage({
        kind: "order.changed",
        source: "poll",
        orderId: "OD-OLD-1",
        storeId: "P1",
        observedAt: receivedAt,
      } as never);
      await processor(sqsEventOf([changed]), context());
      view = await repository.get("OD-OLD-1");
      expect(view?.version).toBe(1);
      expect(view?.summary.orderState).toBe("COMPLETED");
      expect(h.server.requestsTo("/tsp/order/v1/status")).toHaveLength(1);
      expect((await historyOf(dynamo, "OD-OLD-1")).map((e) => e.outcome).sort()).toEqual([
        "duplicate",
        "duplicate",
        "stale",
      ]);
    } finally {
      await h.stop();
    }
  });
});
