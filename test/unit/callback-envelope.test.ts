import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { interpretCallback } from "../../functions/core/callback-envelope.ts";
import { EventsQueueMessageSchema } from "../../functions/core/messages.ts";

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

  it("reports unknown enum values without rejecting them (A16)", () => {
    const body = orderView();
    (body.response as Record<string, unknown>).orderState = "AWAITING_PICKUP";
    const result = interpretCallback(body, NOW);
    expect(result.ok && result.unknownEnumValues).toEqual([{ path: "orderState", value: "AWAITING_PICKUP" }]);
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
    // An unreadable updatedAt is no longer a reason to refuse (issue 8): the processor drops and counts it.
    [
      "an ORDER_VIEW with an empty requestId",
      () => ({ ...orderView(), requestContext: { requestId: " " } }),
      "ORDER_VIEW requestContext.requestId: must be a non-empty string",
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
});
