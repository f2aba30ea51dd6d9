import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorEnvelopeSchema, OrderPollResponseSchema, StatusCheckResponseSchema } from "#pincode/schemas.ts";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { admin, ManualClock, PincodeCaller } from "#sandbox/testkit.ts";

const clock = new ManualClock();
let sandbox: Sandbox;
let pincode: PincodeCaller;
let rid = 0;
const requestId = () => `TEST${++rid}`;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11, clock, tokenTtlMs: 60_000 });
  pincode = new PincodeCaller(sandbox.url, sandbox);
});
afterAll(() => sandbox.stop());
beforeEach(() => {
  sandbox.reset();
  pincode.forgetToken();
});

function poll(body: Record<string, unknown>) {
  return pincode.post("/tsp/order/v1/changes", {
    requestContext: { requestId: requestId() },
    serviceProviderId: "S01",
    fromTimestamp: 0,
    toTimestamp: clock.now() + 1_000,
    size: 10,
    ...body,
  });
}

function update(orderId: string, actions: unknown[]) {
  return pincode.post("/tsp/order/v1/update", {
    requestContext: { requestId: requestId(), transactionId: orderId, actionType: "UPDATE" },
    orderId,
    actions,
  });
}

function expectEnvelope(json: unknown, errorCode: string, requestContext?: Record<string, string>) {
  const envelope = ErrorEnvelopeSchema.parse(json);
  expect(envelope.error.errorCode).toBe(errorCode);
  expect(envelope.error.message).toEqual(expect.any(String));
  if (requestContext) expect(envelope.requestContext).toEqual(requestContext);
}

describe("identity-manager token endpoint", () => {
  it("grants an O-Bearer token for the client credentials, with its lifetime in seconds and epoch ms", async () => {
    const answer = await pincode.grant();
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: "O-Bearer",
      expires_in: 60,
      issued_at: clock.now(),
      expires_at: clock.now() + 60_000,
    });
  });

  it("answers 401 invalid_client for a wrong secret and 400 for a wrong grant or content type", async () => {
    const wrong = new PincodeCaller(sandbox.url, { clientId: "sandbox-client", clientSecret: "nope" });
    expect(await wrong.grant()).toMatchObject({ status: 401, json: { error: "invalid_client" } });
    expect(await pincode.grant({ grant_type: "password" })).toMatchObject({
      status: 400,
      json: { error: "unsupported_grant_type" },
    });
    const asJson = await fetch(sandbox.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        client_id: "sandbox-client",
        client_secret: "sandbox-secret",
      }),
    });
    expect(asJson.status).toBe(400);
  });

  it("exchanges a refresh token once", async () => {
    const first = (await pincode.grant()).json as { refresh_token: string };
    const refreshed = await pincode.grant({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(refreshed.status).toBe(200);
    const reused = await pincode.grant({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(reused).toMatchObject({ status: 400, json: { error: "invalid_grant" } });
  });
});

describe("O-Bearer authentication on /tsp", () => {
  it.each([
    ["no header", null],
    ["the Bearer scheme", "Bearer x"],
    ["an unknown token", "O-Bearer not-a-token"],
  ])("refuses %s with 401 in the error envelope", async (_name, header) => {
    const answer = await pincode.post("/tsp/order/v1/changes", { requestContext: { requestId: "R1" } }, header);
    expect(answer.status).toBe(401);
    expectEnvelope(answer.json, "UNAUTHORIZED");
  });

  it("refuses a token once it has expired", async () => {
    const token = await pincode.accessToken();
    clock.advance(60_000);
    const answer = await pincode.post("/tsp/order/v1/changes", {}, `O-Bearer ${token}`);
    expect(answer.status).toBe(401);
    expect((answer.json as { error: { message: string } }).error.message).toMatch(/expired/);
  });
});

describe("Order Poll /tsp/order/v1/changes", () => {
  it("returns the orders updated in the window, paged by an opaque cursor, with no cursor on the last page", async () => {
    // Prepare
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(10);
      ids.push(String(sandbox.createOrder({ storeId: "S01" }).id));
    }
    sandbox.createOrder({ storeId: "S02" });

    // Act
    const pages: string[][] = [];
    let nextPage: string | undefined;
    do {
      const answer = await poll({ size: 1, sortOrder: "ASC", ...(nextPage ? { nextPage } : {}) });
      expect(answer.status).toBe(200);
      const body = answer.json as { response: { orderIds: string[]; nextPage?: string } };
      pages.push(body.response.orderIds);
      nextPage = body.response.nextPage;
    } while (nextPage);
    const desc = OrderPollResponseSchema.parse((await poll({ sortOrder: "DESC" })).json);

    // Assess
    expect(pages).toEqual([[ids[0]], [ids[1]], [ids[2]]]);
    expect(desc.response.orderIds).toEqual([...ids].reverse());
    expect(desc.response.nextPage).toBeNull();
  });

  it("filters on the order's update time, with both bounds inclusive", async () => {
    const old = String(sandbox.createOrder({ storeId: "S01" }).id);
    clock.advance(1_000);
    const from = clock.now();
    sandbox.createOrder({ storeId: "S01" }); // created inside the window
    const fresh = String(sandbox.listOrders("S01")[1]!.id);
    clock.advance(1_000);
    await update(old, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    const to = clock.now();
    clock.advance(1_000);
    sandbox.createOrder({ storeId: "S01" }); // after the window

    const answer = await poll({ fromTimestamp: from, toTimestamp: to });
    expect((answer.json as { response: { orderIds: string[] } }).response.orderIds.sort()).toEqual([fresh, old].sort());
  });

  it.each([0, 11])("refuses size %i with 400 in the error envelope, echoing the requestContext", async (size) => {
    const answer = await pincode.post("/tsp/order/v1/changes", {
      requestContext: { requestId: "POLL-SIZE" },
      serviceProviderId: "S01",
      fromTimestamp: 0,
      toTimestamp: 1,
      size,
    });
    expect(answer.status).toBe(400);
    expectEnvelope(answer.json, "INVALID_REQUEST", { requestId: "POLL-SIZE" });
    expect((answer.json as { error: { message: string } }).error.message).toMatch(/^size/);
  });

  it("refuses a cursor reused with a different query, a foreign cursor, and an unknown store", async () => {
    for (let i = 0; i < 3; i++) sandbox.createOrder({ storeId: "S01" });
    const first = (await poll({ size: 1, fromTimestamp: 0 })).json as { response: { nextPage: string } };
    const reused = await poll({ size: 1, fromTimestamp: 1, nextPage: first.response.nextPage });
    expect(reused.status).toBe(400);
    expect((reused.json as { error: { message: string } }).error.message).toMatch(/different query/);
    expect((await poll({ nextPage: "eyJzdGFydCI6IkFUMVRiMVpYVnpSVmJrZ" })).status).toBe(400);
    const unknownStore = await poll({ serviceProviderId: "S99" });
    expect(unknownStore.status).toBe(400);
    expect((unknownStore.json as { error: { message: string } }).error.message).toMatch(/S99/);
  });
});

describe("Status Check /tsp/order/v1/status", () => {
  it("answers with the ORDER_VIEW body of the current order", async () => {
    const created = sandbox.createOrder({ storeId: "S03" });
    const answer = await pincode.post("/tsp/order/v1/status", {
      requestContext: { requestId: "ST1", transactionId: created.id },
      orderId: created.id,
    });
    expect(answer.status).toBe(200);
    const body = StatusCheckResponseSchema.parse(answer.json);
    expect(body.type).toBe("ORDER_VIEW");
    expect(body.requestContext).toEqual({ requestId: "ST1", transactionId: created.id });
    expect((answer.json as { response: unknown }).response).toEqual(sandbox.getOrder(String(created.id)));
  });

  it("answers 404 ORDER_NOT_FOUND for an unknown order and 400 for a request without transactionId", async () => {
    const missing = await pincode.post("/tsp/order/v1/status", {
      requestContext: { requestId: "ST2", transactionId: "OD404" },
      orderId: "OD404",
    });
    expect(missing.status).toBe(404);
    expectEnvelope(missing.json, "ORDER_NOT_FOUND", { requestId: "ST2", transactionId: "OD404" });
    const bad = await pincode.post("/tsp/order/v1/status", { requestContext: { requestId: "ST3" }, orderId: "OD1" });
    expect(bad.status).toBe(400);
    expectEnvelope(bad.json, "INVALID_REQUEST");
  });
});

describe("Order Update /tsp/order/v1/update", () => {
  it("applies valid actions and answers with the updated order in Pincode's update-response form", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const storeLeg = (sandbox.getOrder(orderId)!.fulfillments as { fulfillmentId: string; type: string }[])[0]!;
    const answer = await update(orderId, [
      { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
      { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: storeLeg.fulfillmentId, fulfillmentState: "PACKED" },
      { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV-42" } },
    ]);
    expect(answer.status).toBe(200);
    const body = answer.json as { requestContext: unknown; response: Record<string, unknown> };
    expect(body.requestContext).toMatchObject({ transactionId: orderId });
    // PINCODE-API §2.2 sample: mixed-case state and ISO-8601 times in the update response.
    expect(body.response.orderState).toBe("Accepted");
    expect(body.response.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(body.response.clientOrderInfo).toEqual({ sellerInvoiceId: "INV-42" });
    const truth = sandbox.getOrder(orderId)!;
    expect(truth.orderState).toBe("ACCEPTED");
    expect((truth.fulfillments as { fulfillmentState?: string }[]).map((f) => f.fulfillmentState)).toEqual([
      "PACKED",
      "SEARCHING_FOR_AGENT",
    ]);
  });

  it("refuses an invalid transition with 400 ACTION_NOT_ALLOWED and leaves the order as it was", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const before = sandbox.getOrder(orderId);
    const answer = await update(orderId, [
      { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV-1" } },
      { type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" },
    ]);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.json, "ACTION_NOT_ALLOWED", {
      requestId: expect.any(String) as never,
      transactionId: orderId,
    });
    expect(sandbox.getOrder(orderId)).toEqual(before);
  });

  it("refuses bad units with 400 INVALID_ITEM_UNITS", async () => {
    const order = sandbox.createOrder({
      storeId: "S01",
      items: [{ serviceProviderItemId: "GRO-TOOR-1KG", quantity: 2 }],
    });
    const itemId = (order.items as { itemId: string }[])[0]!.itemId;
    const answer = await update(String(order.id), [
      { type: "ITEM_UNIT_UPDATE", itemId, itemUnits: 5, reason: "ITEM_UNAVAILABLE" },
    ]);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.json, "INVALID_ITEM_UNITS");
  });

  it("answers 404 ORDER_NOT_FOUND for an unknown order", async () => {
    const answer = await update("OD000404", [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    expect(answer.status).toBe(404);
    expectEnvelope(answer.json, "ORDER_NOT_FOUND");
  });

  it("refuses an undocumented reason with 400 naming the field", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const answer = await update(orderId, [
      { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "MERCHANT_REJECTED" },
    ]);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.json, "INVALID_REQUEST");
    expect((answer.json as { error: { message: string } }).error.message).toMatch(/actions\[0\]\.reason/);
  });

  it("moves updatedAt strictly forward on every change, even within the same millisecond", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const times = [Number(sandbox.getOrder(orderId)!.updatedAt)];
    for (const invoice of ["A", "B", "C"]) {
      const answer = await update(orderId, [
        { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: invoice } },
      ]);
      times.push(Date.parse((answer.json as { response: { updatedAt: string } }).response.updatedAt));
    }
    expect(times).toEqual([times[0], times[0]! + 1, times[0]! + 2, times[0]! + 3]);
  });

  it("counts every update call that reached the order logic, per order", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    await update(orderId, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    await update(orderId, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]); // refused, still counted
    await pincode.post("/tsp/order/v1/update", { orderId }, "O-Bearer bad"); // 401: never reached
    const stats = (await admin(sandbox.url, "GET", "/_sandbox/stats")).json as {
      updatesByOrder: Record<string, number>;
      calls: Record<string, Record<string, number>>;
    };
    expect(stats.updatesByOrder).toEqual({ [orderId]: 2 });
    expect(stats.calls["/tsp/order/v1/update"]).toEqual({ "200": 1, "400": 1, "401": 1 });
  });
});

describe("catalog and store writes", () => {
  const listing = {
    requestContext: { requestId: "L1", transactionId: "L1" },
    messages: [
      {
        messageId: "M1",
        serviceProviderId: "S01",
        operationType: "CREATE",
        serviceProviderItemId: "SKU-1",
        data: {
          psin: "U1234567890123456789012",
          price: { mrp: 202.32, sellingPrice: 189, currency: "INR" },
          maxOrderQuantity: 4,
          inventory: { type: "COUNT", count: 10 },
          status: "ACTIVE",
        },
      },
    ],
  };

  it("acknowledges a listing write with a numeric-string submissionId and applies it", async () => {
    const answer = await pincode.post("/tsp/catalog/v1/listing", listing);
    expect(answer.status).toBe(200);
    const body = answer.json as { requestContext: unknown; response: { submissionId: string } };
    expect(body.requestContext).toEqual({ requestId: "L1", transactionId: "L1" });
    expect(body.response.submissionId).toMatch(/^\d{10,}$/);
    const catalog = (await admin(sandbox.url, "GET", "/_sandbox/catalog")).json as { listings: unknown[] };
    expect(catalog.listings).toEqual([
      expect.objectContaining({ serviceProviderItemId: "SKU-1", inventoryCount: 10, mrp: 202.32 }),
    ]);
  });

  it("acknowledges a store toggle and stops new orders for a disabled store", async () => {
    const answer = await pincode.post("/tsp/catalog/v1/store", {
      requestContext: { requestId: "T1" },
      messages: [
        {
          messageId: "M1",
          operationType: "PARTIAL_UPDATE",
          serviceProviderId: "S02",
          data: { type: "STORE_TOGGLE", orderAcceptance: { status: "DISABLED", validTill: clock.now() + 60_000 } },
        },
      ],
    });
    expect(answer).toMatchObject({ status: 200, json: { response: { submissionId: expect.any(String) } } });
    const refused = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S02" });
    expect(refused).toMatchObject({ status: 409, json: { error: { errorCode: "STORE_NOT_ACCEPTING_ORDERS" } } });
    clock.advance(60_000);
    expect((await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S02" })).status).toBe(201);
  });

  it.each([
    ["no messages", { requestContext: { requestId: "X" }, messages: [] }, "/tsp/catalog/v1/listing"],
    ["no requestId", { requestContext: {}, messages: [{ messageId: "M" }] }, "/tsp/catalog/v1/listing"],
    [
      "two stores in one toggle",
      { requestContext: { requestId: "X" }, messages: [{ messageId: "A" }, { messageId: "B" }] },
      "/tsp/catalog/v1/store",
    ],
  ])("refuses a write with %s synchronously, in the error envelope", async (_name, body, path) => {
    const answer = await pincode.post(path, body);
    expect(answer.status).toBe(400);
    expectEnvelope(answer.json, "INVALID_REQUEST");
  });

  it("answers non-JSON bodies and unknown paths with the error envelope", async () => {
    const notJson = await pincode.post("/tsp/order/v1/status", "{oops");
    expect(notJson.status).toBe(400);
    expectEnvelope(notJson.json, "INVALID_REQUEST");
    const unknown = await pincode.post("/tsp/order/v1/nothing", {});
    expect(unknown.status).toBe(404);
    expectEnvelope(unknown.json, "NOT_FOUND");
  });
});
