import { afterEach, describe, expect, it } from "vitest";
import { PincodeApiError, PincodeAuthError } from "../../functions/pincode/errors.ts";
import { OAuthTokenProvider } from "../../functions/pincode/token-provider.ts";
import { startScriptedServer } from "../support/scripted-http-server.ts";
import {
  CREDENTIALS,
  fakeClock,
  type Harness,
  orderBody,
  requestIds,
  startHarness,
  TOKEN_ROUTE,
} from "./pincode-client.harness.ts";

const ORDER_ID = "OD2401121901140533863584";
const STATUS_ROUTE = "POST /tsp/order/v1/status";
const TOKEN_PATH = "/olympus/im/v1/oauth/token";

describe("PincodeClient authentication against a real HTTP server", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it("fetches the token with the documented form-encoded client-credentials grant", async () => {
    // Prepare
    h = await startHarness();
    h.server.always(STATUS_ROUTE, { status: 200, body: { response: orderBody(ORDER_ID) } });

    // Act
    await h.client.getOrderStatus(ORDER_ID);

    // Assess
    const [tokenRequest] = h.server.requestsTo(TOKEN_PATH);
    expect(tokenRequest?.method).toBe("POST");
    expect(tokenRequest?.headers.accept).toBe("application/json");
    expect(tokenRequest?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(tokenRequest?.form ?? [])).toEqual({
      client_id: CREDENTIALS.clientId,
      client_secret: CREDENTIALS.clientSecret,
      grant_type: "client_credentials",
    });
  });

  it("caches the token and renews it at the expires_at reading (A2 sample: 86.4 s) minus the clamped margin", async () => {
    // Prepare: the A2 sample; expires_in 86400 would be 24 h, expires_at - issued_at is 86.4 s.
    h = await startHarness();
    h.server.always(STATUS_ROUTE, { status: 200, body: { response: orderBody(ORDER_ID) } });

    // Act
    for (let i = 0; i < 5; i++) await h.client.getOrderStatus(ORDER_ID);
    h.clock.advance(60_000); // within 86.4 s - min(60 s, 20% of 86.4 s) = 69.12 s
    await h.client.getOrderStatus(ORDER_ID);
    const tokensBeforeExpiry = h.server.requestsTo(TOKEN_PATH).length;
    h.clock.advance(10_000); // 70 s: past the renewal point
    await h.client.getOrderStatus(ORDER_ID);
    await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(tokensBeforeExpiry).toBe(1);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(2);
    const auth = h.server.requestsTo("/tsp/order/v1/status").map((r) => r.headers.authorization);
    expect(auth).toEqual([...Array(6).fill("O-Bearer tok-1"), "O-Bearer tok-2", "O-Bearer tok-2"]);
  });

  it("honours expires_in (seconds) when it is the earlier reading", async () => {
    // Prepare: expires_in 30 s, expires_at an hour away -> renew at 30 s - min(60 s, 6 s) = 24 s.
    h = await startHarness({
      token: (issuedAt) => ({ expires_in: 30, expires_at: issuedAt + 3_600_000, issued_at: issuedAt }),
    });
    h.server.always(STATUS_ROUTE, { status: 200, body: { response: orderBody(ORDER_ID) } });

    // Act
    await h.client.getOrderStatus(ORDER_ID);
    h.clock.advance(23_000);
    await h.client.getOrderStatus(ORDER_ID);
    const tokensAt23s = h.server.requestsTo(TOKEN_PATH).length;
    h.clock.advance(2_000);
    await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(tokensAt23s).toBe(1);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(2);
  });

  it("shares one token fetch between concurrent callers", async () => {
    // Prepare: a slow token endpoint so all callers arrive while the fetch is in flight.
    h = await startHarness();
    h.server.script(TOKEN_ROUTE, {
      status: 200,
      delayMs: 50,
      body: { access_token: "slow-token", expires_in: 86_400 },
    });
    h.server.always(STATUS_ROUTE, { status: 200, body: { response: orderBody(ORDER_ID) } });

    // Act
    const orders = await Promise.all(Array.from({ length: 10 }, () => h.client.getOrderStatus(ORDER_ID)));

    // Assess
    expect(orders).toHaveLength(10);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(1);
    const auth = new Set(h.server.requestsTo("/tsp/order/v1/status").map((r) => r.headers.authorization));
    expect([...auth]).toEqual(["O-Bearer slow-token"]);
  });

  it.each([401, 412])("on %i re-authenticates once and retries once with the new token", async (status) => {
    // Prepare
    h = await startHarness();
    h.server.script(
      STATUS_ROUTE,
      { status, body: { error: { errorCode: "TOKEN_EXPIRED", message: "session expired" } } },
      { status: 200, body: { response: orderBody(ORDER_ID) } },
    );

    // Act
    const order = await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(order.id).toBe(ORDER_ID);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(2);
    const statusCalls = h.server.requestsTo("/tsp/order/v1/status");
    expect(statusCalls.map((r) => r.headers.authorization)).toEqual(["O-Bearer tok-1", "O-Bearer tok-2"]);
    expect(new Set(requestIds(h.server)).size).toBe(2);
    expect(h.sleeps).toEqual([]); // re-auth retries at once, no backoff
  });

  it("surfaces a second 401 as PincodeApiError after exactly one re-auth and one retry", async () => {
    // Prepare
    h = await startHarness();
    h.server.always(STATUS_ROUTE, {
      status: 401,
      body: { error: { errorCode: "UNAUTHORIZED", message: "bad token" } },
    });

    // Act
    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({ status: 401, errorCode: "UNAUTHORIZED", attempts: 2, retryable: false });
    expect(h.server.requestsTo("/tsp/order/v1/status")).toHaveLength(2);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(2);
    // Secrets never leak into the error.
    expect((error as Error).message).not.toMatch(/tok-|test-secret-value|test-client/);
  });

  it("renews with the refresh_token grant after a 401 and falls back to client_credentials when it fails", async () => {
    // Prepare
    h = await startHarness();
    let issued = 0;
    h.server.always(TOKEN_ROUTE, (request) => {
      if (request.form?.get("grant_type") === "refresh_token" && request.form.get("refresh_token") === "rt-2") {
        return { status: 400, body: { error: "invalid_grant" } };
      }
      issued += 1;
      return { status: 200, body: { access_token: `tok-${issued}`, refresh_token: `rt-${issued}`, expires_in: 600 } };
    });
    h.server.script(
      STATUS_ROUTE,
      { status: 401 },
      { status: 200, body: { response: orderBody(ORDER_ID) } },
      { status: 412 },
      { status: 200, body: { response: orderBody(ORDER_ID) } },
    );

    // Act
    await h.client.getOrderStatus(ORDER_ID); // 401 -> refresh grant with rt-1 -> tok-2
    await h.client.getOrderStatus(ORDER_ID); // 412 -> refresh grant with rt-2 refused -> client_credentials -> tok-3

    // Assess
    const grants = h.server
      .requestsTo(TOKEN_PATH)
      .map((r) => [r.form?.get("grant_type"), r.form?.get("refresh_token") ?? null, r.form?.get("client_id")]);
    expect(grants).toEqual([
      ["client_credentials", null, CREDENTIALS.clientId],
      ["refresh_token", "rt-1", CREDENTIALS.clientId],
      ["refresh_token", "rt-2", CREDENTIALS.clientId],
      ["client_credentials", null, CREDENTIALS.clientId],
    ]);
    expect(h.server.requestsTo("/tsp/order/v1/status").map((r) => r.headers.authorization)).toEqual([
      "O-Bearer tok-1",
      "O-Bearer tok-2",
      "O-Bearer tok-2",
      "O-Bearer tok-3",
    ]);
  });

  it("fails with PincodeAuthError and calls no /tsp endpoint when the credentials are refused", async () => {
    // Prepare
    h = await startHarness();
    h.server.always(TOKEN_ROUTE, { status: 401, body: { error: "invalid_client" } });

    // Act
    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PincodeAuthError);
    expect(error).toMatchObject({ status: 401, errorCode: "invalid_client", endpoint: TOKEN_PATH });
    expect((error as Error).message).not.toContain(CREDENTIALS.clientSecret);
    expect(h.server.requestsTo("/tsp/order/v1/status")).toHaveLength(0);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(1); // a refused credential is not retried
  });

  it("retries a token endpoint 503 with backoff, then proceeds", async () => {
    h = await startHarness();
    h.server.script(TOKEN_ROUTE, { status: 503 });
    h.server.always(STATUS_ROUTE, { status: 200, body: { response: orderBody(ORDER_ID) } });

    const order = await h.client.getOrderStatus(ORDER_ID);

    expect(order.id).toBe(ORDER_ID);
    expect(h.server.requestsTo(TOKEN_PATH)).toHaveLength(2);
    expect(h.sleeps).toEqual([50]); // random 0.5 * base 100
  });
});

describe("OAuthTokenProvider", () => {
  it("keeps a newer token when a stale one is invalidated by a late 401", async () => {
    // Prepare
    const server = await startScriptedServer();
    let n = 0;
    server.always(TOKEN_ROUTE, () => ({ status: 200, body: { access_token: `t${++n}`, expires_in: 600 } }));
    const clock = fakeClock();
    const provider = new OAuthTokenProvider({ authBaseUrl: server.url, credentials: CREDENTIALS, now: clock.now });

    try {
      // Act
      const first = await provider.getToken();
      provider.invalidate(first);
      const second = await provider.getToken();
      provider.invalidate(first); // a late 401 from a request that still carried the old token
      const third = await provider.getToken();

      // Assess
      expect([first, second, third]).toEqual(["t1", "t2", "t2"]);
      expect(server.requestsTo(TOKEN_PATH)).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });

  it("loads credentials lazily from a loader function", async () => {
    const server = await startScriptedServer();
    server.always(TOKEN_ROUTE, { status: 200, body: { access_token: "lazy", expires_in: 600 } });
    let loads = 0;
    const provider = new OAuthTokenProvider({
      authBaseUrl: `${server.url}/`,
      credentials: async () => {
        loads += 1;
        return { clientId: "loaded-id", clientSecret: "loaded-secret" };
      },
    });

    try {
      expect(loads).toBe(0);
      expect(await provider.getToken()).toBe("lazy");
      expect(server.requestsTo(TOKEN_PATH)[0]?.form?.get("client_id")).toBe("loaded-id");
      expect(loads).toBe(1);
    } finally {
      await server.stop();
    }
  });
});
