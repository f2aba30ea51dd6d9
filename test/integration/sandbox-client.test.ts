/**
 * The project's real Pincode client against the sandbox: proves the two agree on the contract (paths, auth scheme,
 * request shapes, response quirks, error envelope, retry signals).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPincodeClient, type PincodeClientConfig } from "#pincode/client.ts";
import { PincodeApiError } from "#pincode/errors.ts";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { ManualClock } from "#sandbox/testkit.ts";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 61, tokenTtlMs: 600_000 });
});
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const unthrottled = { ratePerSecond: 10_000, burst: 10_000 };
function client(overrides: Partial<PincodeClientConfig> = {}) {
  return createPincodeClient({
    baseUrl: sandbox.apiBaseUrl,
    authBaseUrl: sandbox.authBaseUrl,
    credentials: { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
    rateLimits: { poll: unthrottled, status: unthrottled, update: unthrottled, catalog: unthrottled },
    retry: { maxAttempts: 6, baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });
}

describe("the Pincode client against the sandbox", () => {
  it("polls every page, reads the status and applies an update", async () => {
    // Prepare
    const ids = Array.from({ length: 7 }, () => String(sandbox.createOrder({ storeId: "S01" }).id));
    const pincode = client();

    // Act
    const seen: string[] = [];
    const toTimestamp = Date.now() + 1_000; // the window must stay the same across pages
    let nextPage: string | null = null;
    do {
      const page = await pincode.pollOrders({
        serviceProviderId: "S01",
        fromTimestamp: 0,
        toTimestamp,
        size: 3,
        nextPage,
      });
      seen.push(...page.orderIds);
      nextPage = page.nextPage;
    } while (nextPage);
    const status = await pincode.getOrderStatus(ids[0]!);
    const storeLeg = status.fulfillments!.find((f) => f.type === "STORE")!;
    const updated = await pincode.updateOrder(ids[0]!, [
      { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
      { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: storeLeg.fulfillmentId!, fulfillmentState: "PACKING" },
    ]);

    // Assess
    expect(seen).toEqual(ids);
    expect(status.id).toBe(ids[0]);
    expect(updated.orderState).toBe("ACCEPTED"); // "Accepted" on the wire, canonicalised by the contract
    expect(updated.updatedAt).toBeGreaterThan(status.updatedAt as number);
    expect(sandbox.stats().updatesByOrder).toEqual({ [ids[0]!]: 1 });
  });

  it("surfaces a refused transition as a non-retryable 400 ACTION_NOT_ALLOWED", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const error = await client()
      .updateOrder(orderId, [{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PincodeApiError);
    expect(error).toMatchObject({ status: 400, errorCode: "ACTION_NOT_ALLOWED", retryable: false, attempts: 1 });
  });

  it("gets a submissionId for a store toggle and a listing create", async () => {
    const pincode = client();
    const toggle = await pincode.toggleStore([
      {
        messageId: "M1",
        operationType: "PARTIAL_UPDATE",
        serviceProviderId: "S01",
        data: { type: "STORE_TOGGLE", orderAcceptance: { status: "DISABLED", validTill: Date.now() + 3_600_000 } },
      },
    ]);
    const listing = await pincode.createListings([
      {
        messageId: "M2",
        serviceProviderId: "S02",
        operationType: "CREATE",
        serviceProviderItemId: "SKU-9",
        data: {
          psin: "U1234567890123456789012",
          price: { mrp: 202.32, sellingPrice: 189, currency: "INR" },
          inventory: { type: "COUNT", count: 10 },
          status: "ACTIVE",
        },
      },
    ]);
    expect(toggle.submissionId).toMatch(/^\d+$/);
    expect(listing.submissionId).toMatch(/^\d+$/);
    const outcomes = sandbox.submissions().map((s) => [s.kind, s.requestId, s.outcome.summary.errors]);
    expect(outcomes).toEqual([
      ["STORE_UPDATE", toggle.requestId, 0],
      ["LISTING_UPDATE", listing.requestId, 0],
    ]);
  });

  it("rides out injected 429s and 5xx, and the update reaches the order logic exactly once", async () => {
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    sandbox.setFaults({ apiErrorRate: 0.4, apiRateLimitRate: 0.3, retryAfterSeconds: 0 });
    const updated = await client({ retry: { maxAttempts: 20, baseDelayMs: 1, maxDelayMs: 2 } }).updateOrder(orderId, [
      { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
    ]);
    expect(updated.orderState).toBe("ACCEPTED");
    expect(sandbox.stats().updatesByOrder).toEqual({ [orderId]: 1 });
    const calls = sandbox.stats().calls["/tsp/order/v1/update"]!;
    expect(calls["200"]).toBe(1);
    expect((calls["429"] ?? 0) + (calls["500"] ?? 0)).toBeGreaterThan(0);
  });

  it("re-authenticates when a token dies before its advertised expiry", async () => {
    // Prepare: a sandbox on a hand-moved clock, so the client's own (wall-clock) cache still trusts its token.
    const clock = new ManualClock();
    const early = await startSandbox({ seed: 62, clock, tokenTtlMs: 600_000 });
    try {
      const pincode = createPincodeClient({
        baseUrl: early.apiBaseUrl,
        authBaseUrl: early.authBaseUrl,
        credentials: { clientId: early.clientId, clientSecret: early.clientSecret },
        rateLimits: { poll: unthrottled },
        useRefreshToken: false,
      });
      early.createOrder({ storeId: "S01" });
      const window = { serviceProviderId: "S01", fromTimestamp: 0, toTimestamp: clock.now() + 1 };
      await pincode.pollOrders(window);

      // Act: half the lifetime passes and tokens now die 300 s early, so the cached one is dead, a new one is not.
      clock.advance(300_000);
      early.setFaults({ tokenExpiresEarlyMs: 300_000 });
      const page = await pincode.pollOrders(window);

      // Assess
      expect(page.orderIds).toHaveLength(1);
      expect(early.stats().tokensIssued).toBe(2);
      expect(early.stats().calls["/tsp/order/v1/changes"]).toEqual({ "200": 2, "401": 1 });
    } finally {
      await early.stop();
    }
  });
});
