/**
 * No values in messages (issue 8): buyer data that arrives in wrong-typed fields, or that a seller puts in a wrong
 * field of a request, never reaches a log line, a metric or an error message. Only field paths and expected forms do.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { newEventsMessage } from "../../functions/core/messages.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  type OutputCapture,
  recordingEvents,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";
import { startHarness } from "./pincode-client.harness.ts";

/** Invented buyer data (no real person): a name, a phone number, an address. */
const NAME = "Meenakshi Raghavendran";
const PHONE = "9123456780";
const ADDRESS = "14 Lotus Garden Lane";
const PII = [NAME, PHONE, ADDRESS];

describe("buyer data in wrong-typed fields never reaches the logs", () => {
  let dynamo: LocalDynamo;
  let sandbox: Sandbox;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, sandbox] = await Promise.all([startLocalDynamo(), startSandbox({ seed: 5 })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), sandbox?.stop()]);
  });
  afterEach(() => output?.stop());

  /** A real sandbox order with buyer data pasted into fields that expect numbers, times or ids. */
  function garbled(id?: unknown): Record<string, unknown> {
    const order = sandbox.createOrder({ storeId: "S01" }) as Record<string, unknown>;
    const items = order.items as Record<string, unknown>[];
    items[0]!.price = { value: `${NAME} ${PHONE}` };
    items[0]!.quantity = { count: { name: NAME } };
    items[0]!.itemId = [ADDRESS];
    order.updatedAt = `${ADDRESS}, call ${PHONE}`;
    const fulfillments = order.fulfillments as { fulfilmentStatusHistory: Record<string, unknown>; end: unknown }[];
    fulfillments[0]!.fulfilmentStatusHistory.PACKING = { actual: { endTime: PHONE.repeat(3) } };
    order.quote = { price: { value: NAME } };
    order.actions = [{ type: "CANCEL_ORDER", channel: "TSP", createdAt: `${NAME}` }];
    if (id !== undefined) order.id = id;
    return order;
  }

  it("ingests the order, names the dropped fields, and logs none of the values", async () => {
    output = captureStdout();
    const h = await startHarness();
    try {
      // A Status Check answer with the same garbling, and one with buyer data where the order id belongs.
      h.server.script(
        "POST /tsp/order/v1/status",
        { status: 200, body: { response: garbled("OD-LOG-2") } },
        { status: 200, body: { response: garbled({ name: NAME, phone: PHONE }) } },
      );
      const processor = createProcessorHandler(
        wireProcessorDeps({
          dynamo: dynamo.client,
          tableName: dynamo.tableName,
          events: recordingEvents(),
          pincode: h.client,
          ...testObservability("processor-no-values"),
        }),
      );
      const changed = (orderId: string) =>
        newEventsMessage({ kind: "order.changed", source: "poll", orderId, storeId: "S01", observedAt: 1 } as never);
      const callback = garbled();
      const noId = garbled({ phone: PHONE });
      const badSubmission = newEventsMessage({
        kind: "submission.result",
        submissionId: "123",
        body: { submissionId: "123", requestContext: { requestId: "R1" }, processingStatus: { buyer: NAME } },
      } as never);

      const response = await processor(
        sqsEventOf([
          snapshotMessage(callback),
          { ...snapshotMessage(garbled()), orderId: "OD-OTHER", order: noId },
          changed("OD-LOG-2"),
          changed("OD-LOG-3"),
          badSubmission,
        ]),
        context(),
      );

      // The garbled callback and Status Check answer are ingested; the id-less bodies and the bad submission fail.
      expect(response.batchItemFailures).toHaveLength(3);
      const odd = output.metricsNamed("OddFieldValues").map((m) => m.field);
      expect(odd).toEqual(
        expect.arrayContaining(["items[].price.value", "items[].quantity.count", "items[].itemId", "updatedAt"]),
      );
      expect(odd).toEqual(expect.arrayContaining(["fulfillments[].fulfilmentStatusHistory.{}.actual.endTime"]));
      const text = output.lines.join("\n");
      expect(text).toContain("poison message");
      for (const value of PII) expect(text, value).not.toContain(value);

      // What we send: a seller's wrong field is refused naming the path, never quoting it.
      const refusal = await h.client
        .updateOrder("OD-LOG-1", [{ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: NAME as never }])
        .catch((e: unknown) => e as Error);
      const toggle = await h.client
        .toggleStore([
          {
            messageId: "M1",
            serviceProviderId: "S01",
            operationType: "PARTIAL_UPDATE",
            data: { type: "STORE_TOGGLE", orderAcceptance: { status: PHONE as never, validTill: ADDRESS as never } },
          },
        ])
        .catch((e: unknown) => e as Error);
      for (const error of [refusal, toggle]) {
        expect(error).toBeInstanceOf(Error);
        for (const value of PII) expect((error as Error).message, value).not.toContain(value);
      }
      expect((refusal as Error).message).toMatch(/actions\[0\]\.reason: expected a cancel reason/);
    } finally {
      await h.stop();
    }
  });
});
