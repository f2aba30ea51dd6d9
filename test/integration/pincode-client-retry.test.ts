import { afterEach, describe, expect, it } from "vitest";
import { PincodeApiError, PincodeTransportError } from "../../functions/pincode/errors.ts";
import { startScriptedServer } from "../support/scripted-http-server.ts";
import { type Harness, orderBody, REQUEST_ID, requestIds, startHarness } from "./pincode-client.harness.ts";

const ORDER_ID = "OD2401121901140533863584";
const STATUS_ROUTE = "POST /tsp/order/v1/status";
const STATUS_PATH = "/tsp/order/v1/status";
const OK = { status: 200, body: { response: orderBody(ORDER_ID) } };

describe("PincodeClient retries and errors against a real HTTP server", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it("honours Retry-After in seconds on 429", async () => {
    h = await startHarness();
    h.server.script(STATUS_ROUTE, { status: 429, headers: { "retry-after": "3" } }, OK);

    const order = await h.client.getOrderStatus(ORDER_ID);

    expect(order.id).toBe(ORDER_ID);
    expect(h.sleeps).toEqual([3_000]);
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(2);
  });

  it("honours Retry-After as an HTTP date on 429", async () => {
    // Prepare: a date 5 s ahead of the fake clock (HTTP dates have whole-second precision).
    h = await startHarness();
    const retryAt = new Date(h.clock.now() + 5_000).toUTCString();
    const expectedDelay = Date.parse(retryAt) - h.clock.now();
    h.server.script(STATUS_ROUTE, { status: 429, headers: { "retry-after": retryAt } }, OK);

    // Act
    await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(expectedDelay).toBeGreaterThan(4_000);
    expect(h.sleeps).toEqual([expectedDelay]);
  });

  it("gives up at once when Retry-After exceeds maxRetryAfterMs", async () => {
    h = await startHarness({ config: { retry: { baseDelayMs: 100, maxRetryAfterMs: 10_000 } } });
    h.server.script(STATUS_ROUTE, { status: 429, headers: { "retry-after": "120" } }, OK);

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({ status: 429, retryable: true });
    expect(h.sleeps).toEqual([]);
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(1);
  });

  it("backs off exponentially with full jitter on 5xx, then succeeds", async () => {
    // Prepare: random() = 0.5, base 100 ms -> waits 0.5 * 100 then 0.5 * 200.
    h = await startHarness();
    h.server.script(STATUS_ROUTE, { status: 503 }, { status: 500, body: "<html>oops</html>" }, OK);

    // Act
    const order = await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(order.id).toBe(ORDER_ID);
    expect(h.sleeps).toEqual([50, 100]);
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(3);
  });

  it("stops after maxAttempts and surfaces the last 5xx", async () => {
    h = await startHarness({ config: { retry: { baseDelayMs: 100, maxAttempts: 3 } } });
    h.server.always(STATUS_ROUTE, {
      status: 500,
      body: { error: { errorCode: "INTERNAL_SERVER_ERROR", message: "boom" } },
    });

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({ status: 500, errorCode: "INTERNAL_SERVER_ERROR", attempts: 3, retryable: true });
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(3);
    expect(h.sleeps).toHaveLength(2);
  });

  it("stops retrying when the next wait would pass the call deadline", async () => {
    // Prepare: random ~1 -> waits ~400, ~800, ~1600 ms; the fake sleep advances the clock; deadline 1 s.
    h = await startHarness({
      config: {
        random: () => 0.999,
        retry: { baseDelayMs: 400, maxDelayMs: 10_000, maxAttempts: 10, deadlineMs: 1_000 },
      },
    });
    h.server.always(STATUS_ROUTE, { status: 503 });

    // Act
    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ status: 503 });
    expect(h.sleeps).toEqual([399]);
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(2);
  });

  it("does not retry other 4xx and maps the error envelope into PincodeApiError", async () => {
    // Prepare
    h = await startHarness();
    h.server.always("POST /tsp/order/v1/update", {
      status: 400,
      body: {
        requestContext: { requestId: "echo", transactionId: ORDER_ID },
        error: { errorCode: "ACTION_NOT_ALLOWED", message: "Action not allowed\nfor order state" },
      },
    });

    // Act
    const error = await h.client
      .updateOrder(ORDER_ID, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }])
      .catch((e: unknown) => e);

    // Assess
    const [sent] = requestIds(h.server);
    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({
      status: 400,
      errorCode: "ACTION_NOT_ALLOWED",
      pincodeMessage: "Action not allowed for order state",
      requestId: sent,
      endpoint: "/tsp/order/v1/update",
      attempts: 1,
      retryable: false,
    });
    expect((error as Error).message).toContain("HTTP 400 (ACTION_NOT_ALLOWED)");
    expect(h.server.requestsTo("/tsp/order/v1/update")).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it("maps a 404 ORDER_NOT_FOUND from the doc sample", async () => {
    h = await startHarness();
    h.server.always(STATUS_ROUTE, {
      status: 404,
      body: { requestContext: {}, error: { errorCode: "ORDER_NOT_FOUND", message: `Order id ${ORDER_ID} not found` } },
    });

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 404, errorCode: "ORDER_NOT_FOUND", endpoint: STATUS_PATH });
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(1);
  });

  it("tolerates a non-JSON error body", async () => {
    h = await startHarness({ config: { retry: { maxAttempts: 1 } } });
    h.server.always(STATUS_ROUTE, { status: 502, body: "<html><body>Bad Gateway</body></html>" });

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({ status: 502, errorCode: undefined, pincodeMessage: undefined });
    expect((error as Error).message).toMatch(/HTTP 502 \(no error envelope\)/);
    expect((error as Error).message).not.toContain("html");
  });

  it("keeps the request body (which may carry buyer-facing data) out of error messages", async () => {
    h = await startHarness();
    h.server.always("POST /tsp/order/v1/update", { status: 400, body: { error: { errorCode: "BAD" } } });

    const error = await h.client
      .updateOrder(ORDER_ID, [{ type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV-7781" } }])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeApiError);
    expect((error as Error).message).not.toContain("INV-7781");
    expect((error as Error).message).not.toContain("tok-1");
  });

  it("times out a slow attempt and retries it", async () => {
    // Prepare: first answer arrives after 2 s; the attempt timeout is 50 ms (real time).
    h = await startHarness({ config: { timeoutMs: 50 } });
    h.server.script(STATUS_ROUTE, { ...OK, delayMs: 2_000 }, OK);

    // Act
    const order = await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(order.id).toBe(ORDER_ID);
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(2);
    expect(h.metrics.filter((m) => m.family === "status").map((m) => m.outcome)).toEqual(["timeout", "success"]);
    expect(h.sleeps).toEqual([50]);
  });

  it("surfaces a timeout as PincodeTransportError when every attempt times out", async () => {
    // 250 ms, not less: the first attempt also fetches the token, and a loaded machine must not time that out instead.
    h = await startHarness({ config: { timeoutMs: 250, retry: { maxAttempts: 2, baseDelayMs: 1 } } });
    h.server.always(STATUS_ROUTE, { ...OK, delayMs: 2_000 });

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeTransportError);
    expect(error).toMatchObject({ reason: "timeout", attempts: 2, endpoint: STATUS_PATH });
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(2);
  });

  it("retries connection failures and reports them as network errors", async () => {
    // Prepare: an API base URL where nothing listens (a server started and stopped to free a port).
    const gone = await startScriptedServer();
    await gone.stop();
    h = await startHarness({ config: { baseUrl: gone.url, retry: { maxAttempts: 3, baseDelayMs: 10 } } });

    // Act
    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PincodeTransportError);
    expect(error).toMatchObject({ reason: "network", attempts: 3 });
    expect(h.metrics.filter((m) => m.family === "status").map((m) => m.outcome)).toEqual([
      "network_error",
      "network_error",
      "network_error",
    ]);
    expect(h.sleeps).toHaveLength(2);
  });

  it("sends a fresh unique requestId on every call and every retry", async () => {
    // Prepare: retries from 503, 429 and 401 mixed with plain calls.
    h = await startHarness();
    h.server.script(STATUS_ROUTE, { status: 503 }, { status: 429, headers: { "retry-after": "0" } }, { status: 401 });
    h.server.always(STATUS_ROUTE, OK);
    h.server.always("POST /tsp/order/v1/changes", { status: 200, body: { response: { orderIds: [] } } });

    // Act
    await h.client.getOrderStatus(ORDER_ID);
    await h.client.getOrderStatus(ORDER_ID);
    await Promise.all([
      h.client.pollOrders({ serviceProviderId: "S01", fromTimestamp: 1, toTimestamp: 2 }),
      h.client.pollOrders({ serviceProviderId: "S02", fromTimestamp: 1, toTimestamp: 2 }),
    ]);

    // Assess
    const ids = requestIds(h.server);
    expect(ids).toHaveLength(7); // 4 attempts for the first call, then 3 single calls
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(REQUEST_ID);
  });

  it("reports every attempt to the metrics hook, token call included", async () => {
    // Prepare
    h = await startHarness();
    h.server.script(STATUS_ROUTE, { status: 503 }, OK);
    h.server.script("POST /tsp/order/v1/update", {
      status: 400,
      body: { error: { errorCode: "INVALID_ITEM_UNITS", message: "bad units" } },
    });

    // Act
    await h.client.getOrderStatus(ORDER_ID);
    await h.client
      .updateOrder(ORDER_ID, [{ type: "ITEM_UNIT_UPDATE", itemId: "OI1", itemUnits: 9, reason: "ITEM_UNAVAILABLE" }])
      .catch(() => undefined);

    // Assess
    expect(h.metrics.map(({ latencyMs: _l, ...rest }) => rest)).toEqual([
      { endpoint: "/olympus/im/v1/oauth/token", family: "auth", outcome: "success", status: 200, attempt: 1 },
      { endpoint: STATUS_PATH, family: "status", outcome: "server_error", status: 503, attempt: 1 },
      { endpoint: STATUS_PATH, family: "status", outcome: "success", status: 200, attempt: 2 },
      {
        endpoint: "/tsp/order/v1/update",
        family: "update",
        outcome: "client_error",
        status: 400,
        attempt: 1,
        errorCode: "INVALID_ITEM_UNITS",
      },
    ]);
    for (const metric of h.metrics) expect(metric.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("keeps working when the metrics hook throws", async () => {
    h = await startHarness({
      config: {
        onMetric: () => {
          throw new Error("metrics backend down");
        },
      },
    });
    h.server.always(STATUS_ROUTE, OK);

    await expect(h.client.getOrderStatus(ORDER_ID)).resolves.toMatchObject({ id: ORDER_ID });
    expect(h.server.requestsTo(STATUS_PATH)).toHaveLength(1);
  });
});
