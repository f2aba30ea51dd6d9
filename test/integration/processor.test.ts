/**
 * The real processor handler against dynalite (and the sandbox for Status Check): snapshots become the order view,
 * freshness decides (not arrival order), every accepted change emits one OrderChanged event, and the other message
 * kinds land where they belong.
 */
import { GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import type { RecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { freshnessOf } from "../../functions/core/freshness.ts";
import {
  newEventsMessage,
  type OrderChangedMessage,
  type SubmissionResultMessage,
  type UnknownCallbackMessage,
} from "../../functions/core/messages.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createProcessorHandler, type ProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
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

describe("processor", () => {
  let dynamo: LocalDynamo;
  let sandbox: Sandbox;
  let events: RecordingEventPublisher;
  let handler: ProcessorHandler;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, sandbox] = await Promise.all([startLocalDynamo(), startSandbox({ seed: 11 })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), sandbox?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
    events = recordingEvents();
    handler = createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events,
        pincode: sandboxClientConfig(sandbox),
        ...testObservability("processor-test"),
      }),
    );
  });
  afterEach(() => output.stop());

  const view = (orderId: string) => createOrderRepository(dynamo.client, dynamo.tableName).get(orderId);

  it("stores a callback snapshot as the order view and emits OrderChanged without buyer data", async () => {
    // Prepare
    const order = sandbox.createOrder({ storeId: "S01" });
    // Act
    const response = await handler(sqsEventOf([snapshotMessage(order)]), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const stored = await view(String(order.id));
    expect(stored).toMatchObject({ orderId: order.id, storeId: "S01", version: 1, source: "callback" });
    expect(stored?.order).toEqual(OrderSchema.parse(order));
    const raw = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: `ORDER#${order.id}` }, sk: { S: "VIEW" } } }),
    );
    expect(raw.Item?.storeId?.S).toBe("S01");
    expect(Number(raw.Item?.updatedAt?.N)).toBe(Number(order.updatedAt));
    // The outbox: the view keeps the change it announced; the batched marker says version 1 was published (issue 11).
    const marker = await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: `PUBLISHED#${order.id}` }, sk: { S: "MARKER" } },
      }),
    );
    expect(marker.Item?.publishedVersion?.N).toBe("1");
    expect(stored?.pendingEvents).toEqual([]);
    expect(events.events).toHaveLength(1);
    expect(events.events[0]?.detail).toMatchObject({ orderId: order.id, storeId: "S01", before: null, version: 1 });
    const billing = order.billing as { name: string; phone: string };
    expect(JSON.stringify(events.events)).not.toContain(billing.phone);
    expect(JSON.stringify(events.events)).not.toContain(billing.name);
    expect(output.metricTotals().get("OrdersUpserted")).toBe(1);
    expect(output.lines.join("\n")).not.toContain(billing.phone);
  });

  it("keeps the newer view when an older snapshot arrives late, and records the late one in history", async () => {
    // Prepare
    const created = sandbox.createOrder({ storeId: "S02" });
    const orderId = String(created.id);
    await handler(sqsEventOf([snapshotMessage(created)]), context());
    const client = (await import("../../functions/pincode/client.ts")).createPincodeClient(
      sandboxClientConfig(sandbox),
    );
    const accepted = await client.updateOrder(orderId, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    await handler(sqsEventOf([snapshotMessage(sandbox.getOrder(orderId)!)]), context());
    // Act: the CREATED snapshot again, late
    const response = await handler(sqsEventOf([snapshotMessage(created)]), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const stored = await view(orderId);
    expect(stored?.summary.orderState).toBe(accepted.orderState);
    expect(stored?.version).toBe(2);
    const history = await historyOf(dynamo, orderId);
    expect(history.map((h) => h.outcome)).toEqual(["accepted", "accepted", "stale"]);
    expect(history[2]?.hasSnapshot).toBe(true);
    expect(history[2]?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 80 * 86_400);
    expect(events.events.map((e) => e.detail.after.orderState)).toEqual(["CREATED", "ACCEPTED"]);
    expect(events.events[1]?.detail.before?.orderState).toBe("CREATED");
    expect(output.metricTotals().get("OrdersStale")).toBe(1);
  });

  it("treats a duplicate as harmless: no new version, no event, history says duplicate", async () => {
    const order = sandbox.createOrder({ storeId: "S01" });
    await handler(sqsEventOf([snapshotMessage(order)]), context());
    const response = await handler(sqsEventOf([snapshotMessage(order), snapshotMessage(order)]), context());
    expect(response.batchItemFailures).toEqual([]);
    expect((await view(String(order.id)))?.version).toBe(1);
    expect(events.events).toHaveLength(1);
    const outcomes = (await historyOf(dynamo, String(order.id))).map((h) => h.outcome).sort();
    expect(outcomes).toEqual(["accepted", "duplicate", "duplicate"]);
    expect(output.metricTotals().get("OrdersDuplicate")).toBe(2);
  });

  it("re-emits the event of an accepted change when its publish failed, exactly once", async () => {
    // Prepare
    const order = sandbox.createOrder({ storeId: "S03" });
    const event = sqsEventOf([snapshotMessage(order)]);
    events.failNext(1);
    // Act: first delivery writes the view but cannot publish; SQS redelivers the same record
    const first = await handler(event, context());
    const second = await handler(event, context());
    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(events.events).toHaveLength(1);
    expect(events.events[0]?.detail).toMatchObject({ orderId: order.id, before: null, version: 1 });
    const stored = await view(String(order.id));
    expect(stored?.pendingEvents).toEqual([]);
    // the first outcome stays in history: the redelivery does not relabel it
    expect((await historyOf(dynamo, String(order.id))).map((h) => h.outcome)).toEqual(["accepted"]);
  });

  it("resolves order.changed through Status Check, and skips the call when the view is already synced", async () => {
    // Prepare
    const order = sandbox.createOrder({ storeId: "S02" });
    const orderId = String(order.id);
    const changed = (observedAt: number) =>
      newEventsMessage<OrderChangedMessage>({
        kind: "order.changed",
        source: "poll",
        orderId,
        storeId: "S02",
        observedAt,
      });
    const statusCalls = () =>
      Object.values(sandbox.stats().calls["/tsp/order/v1/status"] ?? {}).reduce((a, b) => a + b, 0);
    const before = statusCalls();
    // Act 1: nothing stored -> Status Check
    const t0 = Date.now();
    await handler(sqsEventOf([changed(t0 - 1_000)]), context());
    // Act 2: the view was synced after this poll window -> no call
    await handler(sqsEventOf([changed(t0 - 5_000)]), context());
    // Assess
    const stored = await view(orderId);
    expect(stored).toMatchObject({ source: "status-check", version: 1 });
    expect(stored?.syncedAt).toBeGreaterThanOrEqual(t0);
    expect(stored?.order).toEqual(OrderSchema.parse(sandbox.getOrder(orderId)));
    expect(statusCalls() - before).toBe(1);
    const totals = output.metricTotals();
    expect(totals.get("StatusChecksSkipped")).toBe(1);
    expect(output.metricsNamed("PincodeCalls").some((m) => m.endpoint === "/tsp/order/v1/status")).toBe(true);
    expect(output.metricsNamed("PincodeCalls").every((m) => typeof m.outcome === "string")).toBe(true);
  });

  it("merges a submission result into the submission item and keeps unknown callbacks", async () => {
    // Prepare
    const submission = newEventsMessage<SubmissionResultMessage>({
      kind: "submission.result",
      submissionId: "28327398273927392",
      requestId: "R212121231231",
      body: {
        submissionId: "28327398273927392",
        requestContext: { requestId: "R212121231231" },
        processingStatus: "COMPLETED",
        issues: [{ messageId: "M1123123", code: "90221", severity: "ERROR", message: "validTill should be epoch ms" }],
        summary: { errors: 1, warnings: 0, success: 0, total: 0 },
      },
    });
    const unknown = newEventsMessage<UnknownCallbackMessage>({
      kind: "callback.unknown",
      callbackType: "RETURN_VIEW",
      requestId: "RQ-UNKNOWN-1",
      body: { type: "RETURN_VIEW", requestContext: { requestId: "RQ-UNKNOWN-1" } },
    });
    // Act
    const response = await handler(sqsEventOf([submission, unknown]), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const item = await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: "SUBMISSION#28327398273927392" }, sk: { S: "STATE" } },
      }),
    );
    expect(item.Item?.processingStatus?.S).toBe("COMPLETED");
    expect(item.Item?.resultOutcome?.S).toBe("FAILED");
    expect(item.Item?.messageOutcomes?.M?.M1123123?.S).toBe("FAILED");
    const day = new Date(unknown.receivedAt).toISOString().slice(0, 10);
    const kept = await dynamo.client.send(
      new QueryCommand({
        TableName: dynamo.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: `UNKNOWN#${day}` } },
      }),
    );
    const keptItem = kept.Items?.find((i) => i.messageId?.S === unknown.messageId);
    expect(keptItem?.callbackType?.S).toBe("RETURN_VIEW");
    expect(Number(keptItem?.expiresAt?.N)).toBeGreaterThan(unknown.receivedAt / 1000);
  });

  it("fails only the bad records of a batch and logs why, never the body", async () => {
    // Prepare
    const good = sandbox.createOrder({ storeId: "S01" });
    const { id: _dropped, ...withoutId } = good;
    const broken = { ...snapshotMessage(good), order: withoutId };
    const event = sqsEventOf(["{not json", { v: 1, kind: "order.teleported" }, broken, snapshotMessage(good)]);
    // Act
    const response = await handler(event, context());
    // Assess
    const failedIds = response.batchItemFailures.map((f) => f.itemIdentifier);
    expect(failedIds).toEqual(event.Records.slice(0, 3).map((r) => r.messageId));
    expect((await view(String(good.id)))?.version).toBe(1);
    const reasons = output
      .logs()
      .filter((l) => l.message === "poison message: retried until it moves to the DLQ")
      .map((l) => [l.messageId, l.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [event.Records[0]?.messageId, "body is not JSON"],
        [event.Records[1]?.messageId, expect.stringContaining("kind")],
        [event.Records[2]?.messageId, expect.stringContaining("id")],
      ]),
    );
    expect(output.lines.join("\n")).not.toContain((good.billing as { phone: string }).phone);
  });

  it("records unknown enum values as they came and counts them", async () => {
    const order: Record<string, unknown> = { ...sandbox.createOrder({ storeId: "S03" }), orderState: "ON_HOLD" };
    const response = await handler(sqsEventOf([snapshotMessage(order)]), context());
    expect(response.batchItemFailures).toEqual([]);
    expect((await view(String(order.id)))?.summary.orderState).toBe("ON_HOLD");
    expect(freshnessOf(OrderSchema.parse(order)).startsWith("f3|0|0|")).toBe(true);
    expect(output.metricTotals().get("UnknownEnumValues")).toBeGreaterThanOrEqual(1);
    const warning = output.logs().find((l) => l.message === "order carries enum values outside the documented tables");
    expect(warning?.unknownEnumValues).toEqual(expect.arrayContaining([{ path: "orderState", value: "ON_HOLD" }]));
  });
});
