import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  createEventBridgePublisher,
  type DomainEvent,
  EventPublishError,
  ORDER_CHANGED,
} from "../../functions/adapters/event-publisher.ts";
import { messageOutcomes, submissionOutcome } from "../../functions/adapters/submission-result-repository.ts";
import { SubmissionResultCallbackSchema } from "../../functions/pincode/schemas.ts";
import { PoisonMessageError, parseEventsMessage } from "../../functions/processor/create-handler.ts";
import { parseProcessorEnv } from "../../functions/processor/env.ts";

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const event = (orderId: string): DomainEvent => ({
  detailType: ORDER_CHANGED,
  detail: {
    orderId,
    storeId: "S01",
    before: null,
    after: {
      orderId,
      storeId: "S01",
      orderState: "ACCEPTED",
      fulfillments: [],
      createdAt: 1,
      updatedAt: 2,
      itemCount: 1,
      unitCount: 1,
      totalPaise: 100,
    },
    source: "callback",
    receivedAt: 3,
    version: 1,
  },
});

describe("EventBridge publisher", () => {
  it("puts OrderChanged on the bus with source pincode-bridge, 10 entries per call", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: "ap-south-1" }), "orders-bus");
    await publisher.publish(Array.from({ length: 12 }, (_, i) => event(`OD${i}`)));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2]);
    const first = calls[0]?.args[0].input.Entries?.[0];
    expect(first).toMatchObject({ EventBusName: "orders-bus", Source: "pincode-bridge", DetailType: "OrderChanged" });
    expect(JSON.parse(first?.Detail ?? "{}")).toMatchObject({ orderId: "OD0", version: 1, before: null });
  });

  it("throws when EventBridge refuses an entry, so the record is retried", async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: "e1" }, { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" }],
    });
    const publisher = createEventBridgePublisher(new EventBridgeClient({ region: "ap-south-1" }), "orders-bus");
    const failure = publisher.publish([event("OD1"), event("OD2")]);
    await expect(failure).rejects.toBeInstanceOf(EventPublishError);
    await expect(failure).rejects.toThrow(/1 of 2.*ThrottlingException/);
  });
});

describe("events-queue envelope", () => {
  it("calls a non-JSON body or an unknown kind poison, naming the problem", () => {
    expect(() => parseEventsMessage("{oops")).toThrow(new PoisonMessageError("body is not JSON"));
    expect(() => parseEventsMessage(JSON.stringify({ v: 1, kind: "order.deleted" }))).toThrow(/kind/);
    expect(() =>
      parseEventsMessage(
        JSON.stringify({ v: 1, kind: "order.changed", messageId: "m", receivedAt: 1, source: "poll" }),
      ),
    ).toThrow(/orderId/);
  });
});

describe("submission outcome (PINCODE-API §3.4)", () => {
  const result = (issues: unknown[], summary?: unknown) =>
    SubmissionResultCallbackSchema.parse({
      submissionId: "1",
      requestContext: { requestId: "R1" },
      processingStatus: "COMPLETED",
      issues,
      ...(summary ? { summary } : {}),
    });

  it("fails the messages with ERROR issues and keeps warnings apart", () => {
    const r = result([
      { messageId: "M1", severity: "ERROR", code: 1 },
      { messageId: "M2", severity: "WARNING" },
      { messageId: "M2", severity: "WARNING" },
    ]);
    expect(messageOutcomes(r)).toEqual({ M1: "FAILED", M2: "WARNING" });
  });

  it("reads the documented sample (total 0, one error) as failed, and a clean result as succeeded", () => {
    expect(submissionOutcome(result([{ messageId: "M1" }], { errors: 1, warnings: 0, success: 0, total: 0 }))).toBe(
      "FAILED",
    );
    expect(submissionOutcome(result([{ messageId: "M1" }], { errors: 1, success: 2, total: 3 }))).toBe("PARTIAL");
    expect(submissionOutcome(result([]))).toBe("SUCCEEDED");
  });
});

describe("processor configuration", () => {
  it("names the missing variable", () => {
    expect(() =>
      parseProcessorEnv({
        TABLE_NAME: "t",
        PINCODE_API_BASE_URL: "https://x.example",
        PINCODE_AUTH_URL: "https://y.example",
        PINCODE_CREDENTIALS_SECRET_ARN: "arn",
      }),
    ).toThrow(/EVENT_BUS_NAME/);
  });
});
