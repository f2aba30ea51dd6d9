import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { PincodeResponseError, PincodeValidationError } from "../../functions/pincode/errors.ts";
import { type Harness, orderBody, REQUEST_ID, startHarness } from "./pincode-client.harness.ts";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/pincode/${name}`, import.meta.url), "utf8"));

const ORDER_ID = "OD2401121901140533863584";

describe("PincodeClient endpoints against a real HTTP server", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  describe("pollOrders", () => {
    it("sends the documented poll request with auth headers and omits nextPage on the first page", async () => {
      // Prepare
      h = await startHarness();
      h.server.script("POST /tsp/order/v1/changes", { status: 200, body: fixture("order_poll_response.json") });

      // Act
      const page = await h.client.pollOrders({
        serviceProviderId: "S01",
        fromTimestamp: 1713523439000,
        toTimestamp: 1718021525000,
        sortOrder: "ASC",
      });

      // Assess
      expect(page).toEqual({
        orderIds: ["OD2401121901140533863584", "OD24011219011405233863584"],
        nextPage: "eyJzdGFydCI6IkFUMVRiMVpYVnpSVmJrZ",
      });
      const [request] = h.server.requestsTo("/tsp/order/v1/changes");
      expect(request?.method).toBe("POST");
      expect(request?.headers.authorization).toBe("O-Bearer tok-1");
      expect(request?.headers.accept).toBe("application/json");
      expect(request?.headers["content-type"]).toBe("application/json");
      expect(request?.json).toEqual({
        requestContext: { requestId: expect.stringMatching(REQUEST_ID) },
        serviceProviderId: "S01",
        fromTimestamp: 1713523439000,
        toTimestamp: 1718021525000,
        sortOrder: "ASC",
        size: 10,
      });
      expect(request?.json).not.toHaveProperty("nextPage");
    });

    it("passes the cursor on later pages and treats a missing, null or empty cursor as the last page", async () => {
      // Prepare
      h = await startHarness();
      h.server.script(
        "POST /tsp/order/v1/changes",
        { status: 200, body: { response: { orderIds: ["OD1"] } } },
        { status: 200, body: { response: { orderIds: ["OD2"], nextPage: null } } },
        { status: 200, body: { response: { orderIds: [], nextPage: "" } } },
      );
      const window = { serviceProviderId: "S01", fromTimestamp: 1, toTimestamp: 2, size: 2 };

      // Act
      const pages = [
        await h.client.pollOrders({ ...window, nextPage: "cursor-1" }),
        await h.client.pollOrders({ ...window, nextPage: null }),
        await h.client.pollOrders({ ...window, nextPage: "" }),
      ];

      // Assess
      expect(pages).toEqual([
        { orderIds: ["OD1"], nextPage: null },
        { orderIds: ["OD2"], nextPage: null },
        { orderIds: [], nextPage: null },
      ]);
      const sent = h.server.requestsTo("/tsp/order/v1/changes").map((r) => r.json as Record<string, unknown>);
      expect(sent[0]).toMatchObject({ nextPage: "cursor-1", size: 2 });
      expect(sent[1]).not.toHaveProperty("nextPage");
      expect(sent[2]).not.toHaveProperty("nextPage");
    });

    it("rejects a 2xx poll answer without a response object as an unusable body", async () => {
      h = await startHarness();
      h.server.script("POST /tsp/order/v1/changes", { status: 200, body: { requestContext: { requestId: "x" } } });

      const call = h.client.pollOrders({ serviceProviderId: "S01", fromTimestamp: 1, toTimestamp: 2 });

      await expect(call).rejects.toBeInstanceOf(PincodeResponseError);
      await expect(call).rejects.toThrow(/response/);
    });
  });

  describe("getOrderStatus", () => {
    it("parses the reply with and without the ORDER_VIEW wrapper and sends transactionId = orderId", async () => {
      // Prepare
      h = await startHarness();
      const wrapped = fixture("order_view_callback.json");
      const { type: _type, ...bare } = wrapped;
      h.server.script("POST /tsp/order/v1/status", { status: 200, body: wrapped }, { status: 200, body: bare });

      // Act
      const first = await h.client.getOrderStatus(ORDER_ID);
      const second = await h.client.getOrderStatus(ORDER_ID);

      // Assess
      expect(first.id).toBe(ORDER_ID);
      expect(second.id).toBe(ORDER_ID);
      expect(first.orderState).toBe("COMPLETED");
      for (const request of h.server.requestsTo("/tsp/order/v1/status")) {
        expect(request.json).toEqual({
          requestContext: { requestId: expect.stringMatching(REQUEST_ID), transactionId: ORDER_ID },
          orderId: ORDER_ID,
        });
      }
    });

    it("refuses an empty order id before any HTTP call, naming the field", async () => {
      h = await startHarness();

      const call = h.client.getOrderStatus("  ");

      await expect(call).rejects.toBeInstanceOf(PincodeValidationError);
      await expect(call).rejects.toThrow(/orderId/);
      expect(h.server.requests).toHaveLength(0);
    });
  });

  describe("updateOrder", () => {
    it("sends actionType UPDATE with the order id as transactionId and returns the updated order", async () => {
      // Prepare
      h = await startHarness();
      h.server.script("POST /tsp/order/v1/update", { status: 200, body: fixture("order_update_response.json") });

      // Act
      const order = await h.client.updateOrder(ORDER_ID, [
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: "OF2401121901140543863862", fulfillmentState: "PACKED" },
        { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" },
      ]);

      // Assess
      expect(order.id).toBe(ORDER_ID);
      expect(order.orderState).toBe("COMPLETED"); // sample says "Completed": canonicalised by the schema
      const [request] = h.server.requestsTo("/tsp/order/v1/update");
      expect(request?.json).toEqual({
        requestContext: { requestId: expect.stringMatching(REQUEST_ID), transactionId: ORDER_ID, actionType: "UPDATE" },
        orderId: ORDER_ID,
        actions: [
          {
            type: "ORDER_FULFILMENT_STATE_UPDATE",
            fulfilmentId: "OF2401121901140543863862",
            fulfillmentState: "PACKED",
          },
          { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" },
        ],
      });
    });

    it("rejects a cancel reason outside the documented table without any HTTP call", async () => {
      // Prepare
      h = await startHarness();

      // Act
      const error = await h.client
        .updateOrder(ORDER_ID, [
          { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "MERCHANT_REJECTED" as never },
        ])
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(PincodeValidationError);
      expect((error as PincodeValidationError).field).toBe("actions[0].reason");
      expect((error as Error).message).toMatch(
        /actions\[0\]\.reason: expected a cancel reason: one of BUYER_NO_CONTACT/,
      );
      // The value never enters a message: a wrong-typed field may carry buyer data.
      expect((error as Error).message).not.toContain("MERCHANT_REJECTED");
      expect(h.server.requests).toHaveLength(0); // not even a token fetch
    });

    it("reads the order with Status Check when the update is answered 204 without a body", async () => {
      // Prepare
      h = await startHarness();
      h.server.script("POST /tsp/order/v1/update", { status: 204 });
      h.server.script("POST /tsp/order/v1/status", { status: 200, body: { response: orderBody(ORDER_ID) } });

      // Act
      const order = await h.client.updateOrder(ORDER_ID, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);

      // Assess
      expect(order).toMatchObject({ id: ORDER_ID, orderState: "ACCEPTED" });
      expect(h.server.requests.map((r) => r.path)).toEqual([
        "/olympus/im/v1/oauth/token",
        "/tsp/order/v1/update",
        "/tsp/order/v1/status",
      ]);
    });
  });

  describe("catalog and store writes", () => {
    it("toggleStore returns the submissionId and sends no transactionId", async () => {
      h = await startHarness();
      h.server.script("POST /tsp/catalog/v1/store", { status: 200, body: fixture("store_toggle_response.json") });
      const { messages } = fixture("store_toggle_request.json") as { messages: never[] };

      const result = await h.client.toggleStore(messages);

      const [request] = h.server.requestsTo("/tsp/catalog/v1/store");
      const sent = request?.json as { requestContext: Record<string, unknown>; messages: unknown };
      const sentContext = sent.requestContext;
      expect(result).toEqual({ submissionId: "28327398273927392", requestId: sentContext.requestId });
      expect(sentContext).toEqual({ requestId: expect.stringMatching(REQUEST_ID) });
      expect(sent.messages).toEqual(messages);
    });

    it("createListings and updateListings send transactionId = requestId, like the listing samples", async () => {
      h = await startHarness();
      h.server.always("POST /tsp/catalog/v1/listing", { status: 200, body: fixture("listing_create_response.json") });
      const { messages: createMessages } = fixture("listing_create_request.json") as { messages: never[] };
      const { messages: updateMessages } = fixture("listing_update_request.json") as { messages: never[] };

      const created = await h.client.createListings(createMessages);
      const updated = await h.client.updateListings(updateMessages);

      expect(created.submissionId).toBe("2832739827392739");
      expect(updated.submissionId).toBe("2832739827392739");
      for (const request of h.server.requestsTo("/tsp/catalog/v1/listing")) {
        const { requestId, transactionId } = (request.json as { requestContext: Record<string, string> })
          .requestContext;
        expect(requestId).toMatch(REQUEST_ID);
        expect(transactionId).toBe(requestId);
      }
    });

    it("treats 204 and an empty 200 as success for every catalog write (PINCODE-API A7)", async () => {
      // Prepare
      h = await startHarness();
      h.server.script("POST /tsp/catalog/v1/store", { status: 204 });
      h.server.script(
        "POST /tsp/catalog/v1/listing",
        { status: 204 },
        { status: 200, body: "" },
        { status: 202, body: "not json" },
        { status: 204 },
      );
      const store = (fixture("store_toggle_request.json") as { messages: never[] }).messages;
      const create = (fixture("listing_create_request.json") as { messages: never[] }).messages;
      const update = (fixture("listing_update_request.json") as { messages: never[] }).messages;
      const inward = (fixture("stock_inward_request.json") as { messages: never[] }).messages;
      const alter = (fixture("stock_alter_request.json") as { messages: never[] }).messages;

      // Act
      const results = [
        await h.client.toggleStore(store),
        await h.client.createListings(create),
        await h.client.updateListings(update),
        await h.client.stockInward(inward),
        await h.client.stockAlter(alter),
      ];

      // Assess
      const sentIds = h.server.requests
        .filter((r) => r.path.startsWith("/tsp/"))
        .map((r) => (r.json as { requestContext: { requestId: string } }).requestContext.requestId);
      expect(results).toEqual(sentIds.map((requestId) => ({ submissionId: null, requestId })));
      expect(sentIds).toHaveLength(5);
    });

    it("stockAlter sends the documented message and no transactionId", async () => {
      h = await startHarness();
      h.server.script("POST /tsp/catalog/v1/listing", { status: 200, body: fixture("stock_alter_response.json") });
      const { messages } = fixture("stock_alter_request.json") as { messages: never[] };

      const result = await h.client.stockAlter(messages);

      expect(result.submissionId).toBe("28327398273927392");
      const [request] = h.server.requestsTo("/tsp/catalog/v1/listing");
      expect(request?.json).toEqual({ requestContext: { requestId: result.requestId }, messages });
    });

    it("rejects an invalid listing message before any HTTP call, naming the field", async () => {
      h = await startHarness();
      const [message] = (fixture("listing_create_request.json") as { messages: Record<string, unknown>[] }).messages;

      const error = await h.client
        .createListings([{ ...message, operationType: "DELETE" } as never])
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PincodeValidationError);
      expect((error as PincodeValidationError).field).toBe("messages[0].operationType");
      expect(h.server.requests).toHaveLength(0);
    });
  });

  it("uses one cached token for many calls across endpoints", async () => {
    h = await startHarness();
    h.server.always("POST /tsp/order/v1/status", { status: 200, body: { response: orderBody(ORDER_ID) } });
    h.server.always("POST /tsp/order/v1/changes", { status: 200, body: { response: { orderIds: [] } } });

    for (let i = 0; i < 3; i++) {
      await h.client.getOrderStatus(ORDER_ID);
      await h.client.pollOrders({ serviceProviderId: "S01", fromTimestamp: 1, toTimestamp: 2 });
    }

    expect(h.server.requestsTo("/olympus/im/v1/oauth/token")).toHaveLength(1);
    expect(h.server.requests.filter((r) => r.path.startsWith("/tsp/"))).toHaveLength(6);
    expect(h.server.unscripted).toHaveLength(0);
  });
});
