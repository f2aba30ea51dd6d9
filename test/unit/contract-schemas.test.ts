import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  buildCallbackAck,
  CallbackAckSchema,
  classifyCallback,
  describeIssues,
  EpochMs,
  ErrorEnvelopeSchema,
  FulfillmentSchema,
  findUnknownEnumValues,
  ListingCreateRequestSchema,
  ListingUpdateRequestSchema,
  OrderPollRequestSchema,
  OrderPollResponseSchema,
  OrderSchema,
  OrderUpdateRequestSchema,
  OrderUpdateResponseSchema,
  OrderViewCallbackSchema,
  parseInboundOrder,
  parseSubmissionResponse,
  StatusCheckRequestSchema,
  StatusCheckResponseSchema,
  StockAlterRequestSchema,
  StockInwardRequestSchema,
  StoreToggleRequestSchema,
  SubmissionResponseSchema,
  SubmissionResultCallbackSchema,
  TokenResponseSchema,
  toEpochMs,
} from "../../functions/pincode/schemas.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "pincode");
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

/** Every sample from the Pincode docs, with the schema that must accept it. */
const SAMPLE_SCHEMAS: Record<string, z.ZodType> = {
  "auth_token_response.json": TokenResponseSchema,
  "callback_error_payload.json": ErrorEnvelopeSchema,
  "callback_expected_ack.json": CallbackAckSchema,
  "error_response_order_not_found.json": ErrorEnvelopeSchema,
  "listing_create_request.json": ListingCreateRequestSchema,
  "listing_create_response.json": SubmissionResponseSchema,
  "listing_update_request.json": ListingUpdateRequestSchema,
  "order_poll_error_payload.json": ErrorEnvelopeSchema,
  "order_poll_request.json": OrderPollRequestSchema,
  "order_poll_response.json": OrderPollResponseSchema,
  "order_update_error_response.json": ErrorEnvelopeSchema,
  "order_update_response.json": OrderUpdateResponseSchema,
  "order_view_callback.json": OrderViewCallbackSchema,
  "status_check_request.json": StatusCheckRequestSchema,
  "stock_alter_request.json": StockAlterRequestSchema,
  "stock_alter_response.json": SubmissionResponseSchema,
  "stock_inward_request.json": StockInwardRequestSchema,
  "store_toggle_request.json": StoreToggleRequestSchema,
  "store_toggle_response.json": SubmissionResponseSchema,
  "store_toggle_submission_callback.json": SubmissionResultCallbackSchema,
};

describe("documented samples", () => {
  it("covers every sample file in the fixtures folder", () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
    const covered = [...Object.keys(SAMPLE_SCHEMAS), "fulfillment_callback_merchant_delivery.json"];
    covered.push("order_update_request.json");
    expect(files.sort()).toEqual(covered.sort());
  });

  it.each(Object.entries(SAMPLE_SCHEMAS))("%s parses with its schema", (file, schema) => {
    const result = schema.safeParse(fixture(file));
    expect(result.success ? "ok" : describeIssues(result.error)).toBe("ok");
  });

  it("parses each fulfilment of the merchant-delivery sample", () => {
    const fulfilments = fixture("fulfillment_callback_merchant_delivery.json") as unknown[];
    const parsed = fulfilments.map((f) => FulfillmentSchema.parse(f));
    expect(parsed.map((f) => f.fulfillmentState)).toEqual(["PACKED", "OUT_FOR_DELIVERY"]);
    expect(parsed[1]?.fulfilmentStatusHistory?.AGENT_ASSIGNED?.actual?.endTime).toBe(1722577843000);
  });

  it("rejects the order-update request sample only where its reasons are not in the documented tables", () => {
    const result = OrderUpdateRequestSchema.safeParse(fixture("order_update_request.json"));
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => ({ path: i.path.join("."), code: i.code })) ?? [];
    // actions[1]: "item quantity update" is free text; actions[2]: "MERCHANT_REJECTED" is not a cancel reason
    // (and a reason is only valid with CANCELLED). Nothing else in the sample is wrong.
    expect(issues).toEqual([
      { path: "actions.1.reason", code: "custom" },
      { path: "actions.2.reason", code: "custom" },
    ]);
  });

  it("accepts the order-update request sample once its reasons come from the tables", () => {
    const sample = structuredClone(fixture("order_update_request.json")) as {
      actions: Array<Record<string, unknown>>;
    };
    sample.actions[1] = { ...sample.actions[1], reason: "ITEM_UNAVAILABLE" };
    sample.actions[2] = { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" };
    expect(OrderUpdateRequestSchema.safeParse(sample).success).toBe(true);
  });
});

describe("tolerance for what Pincode sends", () => {
  const callback = () => structuredClone(fixture("order_view_callback.json")) as Record<string, any>;

  it("keeps unknown fields", () => {
    const body = callback();
    body.response.paymentMode = "PREPAID";
    body.response.items[0].batchCode = "B1";
    const parsed = OrderViewCallbackSchema.parse(body);
    expect((parsed.response as Record<string, unknown>).paymentMode).toBe("PREPAID");
    expect((parsed.response.items![0] as Record<string, unknown>).batchCode).toBe("B1");
  });

  it("accepts unknown enum values and flags them", () => {
    const body = callback();
    body.response.orderState = "RETURN_REQUESTED";
    body.response.fulfillments[1].fulfillmentState = "RTO_INITIATED";
    const parsed = OrderViewCallbackSchema.parse(body);
    expect(parsed.response.orderState).toBe("RETURN_REQUESTED");
    expect(findUnknownEnumValues(parsed.response)).toEqual([
      { path: "orderState", value: "RETURN_REQUESTED" },
      { path: "fulfillments[1].fulfillmentState", value: "RTO_INITIATED" },
    ]);
  });

  it("flags nothing in the documented samples", () => {
    expect(findUnknownEnumValues(OrderViewCallbackSchema.parse(callback()).response)).toEqual([]);
  });

  it("normalises epoch-ms numbers, epoch-ms strings and ISO strings to epoch ms", () => {
    const iso = OrderUpdateResponseSchema.parse(fixture("order_update_response.json"));
    const str = OrderViewCallbackSchema.parse(callback());
    expect(iso.response.updatedAt).toBe(Date.parse("2024-02-21T10:41:53.842Z"));
    expect(iso.response.billing?.createdAt).toBe(1708512113842);
    expect(str.response.updatedAt).toBe(1713773187000);
    expect(str.response.billing?.updatedAt).toBe(1713773187000);
    expect(str.response.actions?.[0]?.createdAt).toBe(1732517746206);
    expect(toEpochMs(1713773187000)).toBe(1713773187000);
  });

  it("drops a timestamp it cannot read and names the field, never the value", () => {
    const body = callback();
    body.response.updatedAt = "yesterday";
    const parsed = parseInboundOrder(body.response);
    expect(parsed.ok && parsed.order.updatedAt).toBeUndefined();
    expect(parsed.ok && parsed.oddFields).toEqual(["updatedAt"]);
    expect(OrderViewCallbackSchema.parse(body).response.id).toBe(body.response.id);
    const refused = EpochMs.safeParse("yesterday");
    expect(describeIssues(refused.error!)).toMatch(/^\(root\): expected epoch seconds, milliseconds or microseconds/);
    expect(describeIssues(refused.error!)).not.toContain("yesterday");
  });

  it('canonicalises "Completed" to "COMPLETED"', () => {
    const parsed = OrderUpdateResponseSchema.parse(fixture("order_update_response.json"));
    expect(parsed.response.orderState).toBe("COMPLETED");
    expect(OrderSchema.parse({ id: "OD1", orderState: "cancelled" }).orderState).toBe("CANCELLED");
  });

  it("accepts a 2xx with an empty body for catalog writes", () => {
    expect(parseSubmissionResponse("")).toEqual({});
    expect(parseSubmissionResponse(undefined).response?.submissionId).toBeUndefined();
    expect(parseSubmissionResponse('{"response":{"submissionId":283}}').response?.submissionId).toBe("283");
  });

  it("parses a Status Check response with or without the ORDER_VIEW wrapper", () => {
    const withType = callback();
    const { type: _type, ...withoutType } = callback();
    expect(StatusCheckResponseSchema.parse(withType).response.id).toBe("OD2401121901140533863584");
    expect(StatusCheckResponseSchema.parse(withoutType).response.id).toBe("OD2401121901140533863584");
  });

  it("treats a missing, null or empty poll cursor as the last page", () => {
    const page = (nextPage: unknown) => OrderPollResponseSchema.parse({ response: { orderIds: ["OD1"], nextPage } });
    expect(page(undefined).response.nextPage).toBeNull();
    expect(page(null).response.nextPage).toBeNull();
    expect(page("").response.nextPage).toBeNull();
    expect(page("abc").response.nextPage).toBe("abc");
  });
});

describe("callback classification", () => {
  it("recognises ORDER_VIEW, submission results without a type, and unknown kinds", () => {
    expect(classifyCallback(fixture("order_view_callback.json"))).toBe("ORDER_VIEW");
    expect(classifyCallback(fixture("store_toggle_submission_callback.json"))).toBe("SUBMISSION_RESULT");
    expect(classifyCallback({ type: "RETURN_VIEW", requestContext: { requestId: "R1" } })).toBe("UNKNOWN");
    expect(classifyCallback([1, 2])).toBe("UNKNOWN");
  });

  it("builds the documented ACK echoing requestContext", () => {
    expect(
      buildCallbackAck({ requestId: "OMS2402220921362644329327", transactionId: "OD2401121901140533863584" }),
    ).toEqual(fixture("callback_expected_ack.json"));
  });
});

describe("strictness for what we send", () => {
  const update = (actions: unknown[]) => ({
    requestContext: { requestId: "R1", transactionId: "OD1", actionType: "UPDATE" },
    orderId: "OD1",
    actions,
  });

  it("names the field and the allowed values for a bad cancel reason", () => {
    const result = OrderUpdateRequestSchema.safeParse(
      update([{ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "FOO" }]),
    );
    expect(describeIssues(result.error!)).toMatch(
      /^actions\[0\]\.reason: expected a cancel reason: one of BUYER_NO_CONTACT, .*INVALID_PRESCRIPTION, FRAUD_PRESCRIPTION$/,
    );
    expect(describeIssues(result.error!)).not.toContain("FOO");
  });

  it("requires a reason to cancel and refuses one otherwise", () => {
    expect(
      describeIssues(
        OrderUpdateRequestSchema.safeParse(update([{ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED" }])).error!,
      ),
    ).toMatch(/actions\[0\]\.reason: a cancel reason is required/);
    expect(
      OrderUpdateRequestSchema.safeParse(
        update([{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED", reason: "ITEM_UNAVAILABLE" }]),
      ).success,
    ).toBe(false);
  });

  it("rejects unknown keys, unknown action types, fulfilment states Pincode sets, and a mismatched transactionId", () => {
    expect(
      OrderUpdateRequestSchema.safeParse(update([{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED", x: 1 }]))
        .success,
    ).toBe(false);
    expect(OrderUpdateRequestSchema.safeParse(update([{ type: "REFUND" }])).success).toBe(false);
    expect(
      OrderUpdateRequestSchema.safeParse(
        update([{ type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: "OF1", fulfillmentState: "AGENT_ASSIGNED" }]),
      ).success,
    ).toBe(false);
    expect(
      OrderUpdateRequestSchema.safeParse({
        ...update([{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]),
        orderId: "OD2",
      }).success,
    ).toBe(false);
    expect(OrderUpdateRequestSchema.safeParse(update([])).success).toBe(false);
  });

  it("enforces the poll page size of 1 to 10", () => {
    const poll = (size: number) => ({
      requestContext: { requestId: "R1" },
      serviceProviderId: "S01",
      fromTimestamp: 1,
      toTimestamp: 2,
      size,
    });
    expect(OrderPollRequestSchema.safeParse(poll(10)).success).toBe(true);
    expect(OrderPollRequestSchema.safeParse(poll(11)).success).toBe(false);
    expect(OrderPollRequestSchema.safeParse(poll(0)).success).toBe(false);
  });

  it("accepts each of the four listing partial updates and rejects a selling price above MRP", () => {
    const body = fixture("listing_update_request.json") as { messages: Array<Record<string, any>> };
    expect(body.messages.map((m) => m.data.type)).toEqual(["PRICE", "STATUS", "QUANTITY_LIMIT", "INVENTORY"]);
    const bad = structuredClone(body);
    bad.messages[0]!.data.price.sellingPrice = 500;
    expect(describeIssues(ListingUpdateRequestSchema.safeParse(bad).error!)).toMatch(
      /messages\[0\]\.data\.price\.sellingPrice: sellingPrice must not exceed mrp/,
    );
  });

  it("accepts ENABLED for store toggle, which the docs only imply", () => {
    const body = structuredClone(fixture("store_toggle_request.json")) as { messages: Array<Record<string, any>> };
    body.messages[0]!.data.orderAcceptance.status = "ENABLED";
    // store-toggle-api.txt: validTill "is only applicable when the status is disabled".
    expect(describeIssues(StoreToggleRequestSchema.safeParse(body).error!)).toBe(
      "messages[0].data.orderAcceptance.validTill: validTill is only allowed with status DISABLED",
    );
    delete body.messages[0]!.data.orderAcceptance.validTill;
    expect(StoreToggleRequestSchema.safeParse(body).success).toBe(true);
    body.messages[0]!.data.orderAcceptance.status = "PAUSED";
    expect(StoreToggleRequestSchema.safeParse(body).success).toBe(false);
  });
});
