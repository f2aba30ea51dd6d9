import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { interpretCallback } from "../../functions/core/callback-envelope.ts";
import {
  EventsQueueMessageSchema,
  newEventsMessage,
  type OrderSnapshotMessage,
} from "../../functions/core/messages.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/pincode/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
const orderView = () => fixture("order_view_callback.json");
const submission = () => fixture("store_toggle_submission_callback.json");
const NOW = 1_736_935_200_000;

describe("interpretCallback", () => {
  it("turns an ORDER_VIEW into an order.snapshot carrying the order exactly as received", () => {
    // Prepare
    const body = orderView();
    // Act
    const result = interpretCallback(body, NOW);
    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.kind).toBe("order_view");
    expect(result.orderId).toBe("OD2401121901140533863584");
    expect(result.requestContext).toEqual(body.requestContext);
    expect(result.message).toMatchObject({
      kind: "order.snapshot",
      source: "callback",
      requestId: "OMS2402220921362644329327",
      orderId: "OD2401121901140533863584",
      receivedAt: NOW,
    });
    // Not normalised here: "1713773187000" stays a string, as Pincode sent it.
    expect(result.message.kind === "order.snapshot" && result.message.order).toEqual(body.response);
    expect(EventsQueueMessageSchema.parse(result.message)).toEqual(result.message);
  });

  it.each([
    ["an unknown enum value (A16)", (o: Record<string, unknown>) => (o.orderState = "AWAITING_PICKUP")],
    ["an unreadable updatedAt", (o: Record<string, unknown>) => (o.updatedAt = "yesterday")],
    ["null optional fields", (o: Record<string, unknown>) => Object.assign(o, { billing: null, promised: null })],
    ["a numeric string price", (o: Record<string, unknown>) => (o.items = [{ price: "700", quantity: "2" }])],
    ["items that are not an array", (o: Record<string, unknown>) => (o.items = { 0: "x" })],
  ])("leaves the order's content to the processor: %s is queued as received (issue 8)", (_case, edit) => {
    const body = orderView();
    edit(body.response as Record<string, unknown>);
    const result = interpretCallback(body, NOW);
    expect(result.ok).toBe(true);
    expect(result.ok && result.message.kind === "order.snapshot" && result.message.order).toEqual(body.response);
    expect(EventsQueueMessageSchema.safeParse(result.ok && result.message).success).toBe(true);
  });

  it("builds the message the previous release built, field for field (stored messages outlive code)", () => {
    const body = orderView();
    const result = interpretCallback(body, NOW);
    if (!result.ok) throw new Error(result.reason);
    // What newEventsMessage (the zod-validated builder the callback used before issue 11) makes of the same callback.
    const previous = newEventsMessage<OrderSnapshotMessage>(
      {
        kind: "order.snapshot",
        source: "callback",
        requestId: "OMS2402220921362644329327",
        orderId: "OD2401121901140533863584",
        order: body.response as Record<string, unknown>,
        messageId: result.message.messageId,
      },
      NOW,
    );
    expect(JSON.parse(JSON.stringify(result.message))).toEqual(JSON.parse(JSON.stringify(previous)));
  });

  it("recognises a submission result without a type (§3.4)", () => {
    const result = interpretCallback(submission(), NOW);
    expect(result.ok && result.kind).toBe("submission_result");
    expect(result.ok && result.message).toMatchObject({
      kind: "submission.result",
      submissionId: "28327398273927392",
      requestId: "R212121231231",
      body: submission(),
    });
  });

  it("keeps an unknown kind with a usable requestContext as callback.unknown", () => {
    const body = { type: "RETURN_VIEW", requestContext: { requestId: "R-1" }, response: { id: "RT1" } };
    const result = interpretCallback(body, NOW);
    expect(result.ok && result.message).toMatchObject({
      kind: "callback.unknown",
      callbackType: "RETURN_VIEW",
      requestId: "R-1",
      body,
    });
  });

  it.each([
    [
      "an ORDER_VIEW without response.id",
      () => ({ ...orderView(), response: { items: [] } }),
      "ORDER_VIEW response.id:",
    ],
    [
      "an ORDER_VIEW whose response is not an object",
      () => ({ ...orderView(), response: "OD1" }),
      "ORDER_VIEW response: expected an object, got a string",
    ],
    [
      "an ORDER_VIEW with a numeric order id",
      () => ({ ...orderView(), response: { id: 12 } }),
      "ORDER_VIEW response.id: expected a non-empty string, got a number",
    ],
    [
      "an ORDER_VIEW without id or requestContext: both named",
      () => ({ type: "ORDER_VIEW", response: { id: "" } }),
      "ORDER_VIEW response.id: expected a non-empty string, got an empty string; requestContext: expected an object, got missing",
    ],
    [
      "a submission result with a null submissionId",
      () => ({ ...submission(), submissionId: null }),
      "submission result submissionId: expected a non-empty string, got null",
    ],
    [
      "an ORDER_VIEW with an empty requestId",
      () => ({ ...orderView(), requestContext: { requestId: " " } }),
      "ORDER_VIEW requestContext.requestId: expected a non-empty string, got an empty string",
    ],
    [
      "a submission result without requestContext",
      () => {
        const { requestContext: _, ...rest } = submission();
        return rest;
      },
      "submission result requestContext:",
    ],
    [
      "an unknown kind without requestContext",
      () => ({ type: "RETURN_VIEW", response: {} }),
      'callback of type "RETURN_VIEW": requestContext:',
    ],
    ["an untyped body without requestContext", () => ({ hello: "world" }), "callback without a type: requestContext:"],
  ])("refuses %s, naming the field", (_name, body, reason) => {
    const result = interpretCallback(body(), NOW);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });

  it("never quotes a value in a reason, only its JSON kind", () => {
    const secretish = "9876543210-buyer-phone";
    for (const body of [
      { type: "ORDER_VIEW", requestContext: { requestId: secretish }, response: { id: 9876543210 } },
      { type: "ORDER_VIEW", requestContext: { requestId: 42 }, response: { id: secretish, phone: secretish } },
      { submissionId: 9876543210, processingStatus: secretish, requestContext: { requestId: secretish } },
      { type: `X ${secretish}`, requestContext: secretish },
    ]) {
      const result = interpretCallback(body as Record<string, unknown>, NOW);
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.reason).not.toMatch(/9876543210|buyer phone/);
    }
  });
});
