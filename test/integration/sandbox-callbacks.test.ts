import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OrderViewCallbackSchema, SubmissionResultCallbackSchema } from "#pincode/schemas.ts";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { admin, type CallbackReceiver, PincodeCaller, startCallbackReceiver } from "#sandbox/testkit.ts";

let sandbox: Sandbox;
let pincode: PincodeCaller;
const receivers: CallbackReceiver[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 21, callbackRetry: { attempts: 3, baseBackoffMs: 2, timeoutMs: 2_000 } });
  pincode = new PincodeCaller(sandbox.url, sandbox);
});
afterAll(() => sandbox.stop());
afterEach(async () => {
  sandbox.reset();
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function receiver(options: Parameters<typeof startCallbackReceiver>[0] = {}) {
  const started = await startCallbackReceiver(options);
  receivers.push(started);
  return started;
}

function accept(orderId: string) {
  return pincode.post("/tsp/order/v1/update", {
    requestContext: { requestId: `U-${orderId}`, transactionId: orderId, actionType: "UPDATE" },
    orderId,
    actions: [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }],
  });
}

describe("ORDER_VIEW callbacks", () => {
  it("sends a full snapshot on every order change, authenticated with an OAuth token it fetched and cached", async () => {
    // Prepare
    const rx = await receiver({ auth: { mode: "oauth", clientId: "pincode", clientSecret: "s3cret" } });
    const registered = await admin(sandbox.url, "PUT", "/_sandbox/callback", {
      url: rx.url,
      tokenUrl: rx.tokenUrl,
      clientId: "pincode",
      clientSecret: "s3cret",
      scope: "callbacks",
    });
    expect(registered.json).toMatchObject({ auth: "oauth", clientSecret: "***" });

    // Act
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    await accept(orderId);
    await sandbox.callbacksIdle();

    // Assess
    expect(rx.unauthorized).toBe(0);
    expect(rx.tokenGrants).toBe(1);
    expect(rx.received).toHaveLength(2);
    const [created, accepted] = rx.received.map((c) => OrderViewCallbackSchema.parse(c.body));
    expect(created!.requestContext.transactionId).toBe(orderId);
    expect(created!.requestContext.requestId).not.toBe(accepted!.requestContext.requestId);
    expect([created!.response.orderState, accepted!.response.orderState]).toEqual(["CREATED", "ACCEPTED"]);
    expect(accepted!.response.updatedAt).toBeGreaterThan(created!.response.updatedAt as number);
    // PINCODE-API §3.2 sample: order times are epoch-ms strings in callbacks.
    expect((rx.received[1]!.body.response as { updatedAt: unknown }).updatedAt).toEqual(expect.stringMatching(/^\d+$/));
    expect(rx.received[0]!.headers.authorization).toMatch(/^Bearer /);
    expect(sandbox.stats().callbacks).toMatchObject({ generated: 2, sent: 2, acked: 2, failed: 0 });
  });

  it("authenticates with a static token when no token URL is registered", async () => {
    const rx = await receiver({ auth: { mode: "static", token: "static-abc" } });
    sandbox.registerCallback({ url: rx.url, staticToken: "static-abc" });
    sandbox.createOrder({ storeId: "S02" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.headers.authorization).toBe("Bearer static-abc");
    expect(sandbox.stats().callbacks.acked).toBe(1);
  });

  it("counts a delivery failed when the receiver's token endpoint refuses the credentials", async () => {
    const rx = await receiver({ auth: { mode: "oauth", clientId: "pincode", clientSecret: "right" } });
    sandbox.registerCallback({ url: rx.url, tokenUrl: rx.tokenUrl, clientId: "pincode", clientSecret: "wrong" });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(0);
    expect(rx.tokenRejections).toBe(3);
    const stats = sandbox.stats();
    expect(stats.callbacks).toMatchObject({ sent: 3, retried: 2, acked: 0, failed: 1 });
    expect(stats.recentCallbackFailures[0]!.reason).toMatch(/token endpoint answered HTTP 401/);
  });

  it.each([
    ["a 5xx", () => ({ status: 503, body: { error: "busy" } })],
    ["a 2xx that is not an ACK", () => ({ status: 200, body: { ok: true } })],
    [
      "an ACK echoing another requestId",
      () => ({ status: 200, body: { status: "ACK", requestContext: { requestId: "other" } } }),
    ],
    ["an empty 204", () => ({ status: 204 })],
  ])("retries after %s and succeeds once the receiver ACKs", async (_name, failure) => {
    const rx = await receiver({ behaviour: (_cb, ack, index) => (index < 2 ? failure() : ack) });
    sandbox.registerCallback({ url: rx.url });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(3);
    expect(new Set(rx.received.map((c) => (c.body.requestContext as { requestId: string }).requestId)).size).toBe(1);
    expect(sandbox.stats().callbacks).toMatchObject({ sent: 3, retried: 2, acked: 1, failed: 0 });
  });

  it("gives up after the configured number of attempts", async () => {
    const rx = await receiver({ behaviour: () => ({ status: 500 }) });
    sandbox.registerCallback({ url: rx.url });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(3);
    expect(sandbox.stats().callbacks).toMatchObject({ sent: 3, acked: 0, failed: 1 });
    expect(sandbox.stats().recentCallbackFailures[0]).toMatchObject({
      kind: "ORDER_UPDATE",
      attempts: 3,
      reason: "HTTP 500",
    });
  });

  it("sends nothing when no receiver is registered, and only the subscribed kinds", async () => {
    sandbox.createOrder({ storeId: "S01" });
    expect(sandbox.stats().callbacks).toMatchObject({ skipped: 1, generated: 0 });
    const rx = await receiver();
    sandbox.registerCallback({ url: rx.url, subscriptions: ["LISTING_UPDATE"] });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(0);
  });

  it("can label callbacks form-encoded while sending JSON, as Pincode's docs describe (A1)", async () => {
    const quirky = await startSandbox({ quirks: { callbackContentType: "application/x-www-form-urlencoded" } });
    try {
      const rx = await receiver();
      quirky.registerCallback({ url: rx.url });
      quirky.createOrder({ storeId: "S01" });
      await quirky.callbacksIdle();
      expect(rx.received[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      expect(rx.received[0]!.body.type).toBe("ORDER_VIEW");
    } finally {
      await quirky.stop();
    }
  });
});

describe("submission-result callbacks", () => {
  it("reports per-message issues for a listing write, without a type field", async () => {
    // Prepare
    const rx = await receiver();
    sandbox.registerCallback({ url: rx.url });
    const message = (messageId: string, sku: string, psin: string, mrp: number, sellingPrice: number) => ({
      messageId,
      serviceProviderId: "S01",
      operationType: "CREATE",
      serviceProviderItemId: sku,
      data: {
        psin,
        price: { mrp, sellingPrice, currency: "INR" },
        inventory: { type: "COUNT", count: 0 },
        status: "ACTIVE",
      },
    });

    // Act
    const answer = await pincode.post("/tsp/catalog/v1/listing", {
      requestContext: { requestId: "LIST-1", transactionId: "LIST-1" },
      messages: [
        message("M-ok", "SKU-A", "U1234567890123456789012", 100, 90),
        message("M-psin", "SKU-B", "NOT-A-PSIN", 100, 90),
        message("M-price", "SKU-C", "U1234567890123456789013", 100, 120),
        {
          messageId: "M-alter",
          serviceProviderId: "S01",
          operationType: "INVENTORY_UPDATE",
          serviceProviderItemId: "SKU-A",
          serviceProviderTransactionId: "T1",
          reasonType: "AUDIT",
          data: { type: "INVENTORY_STOCK_ALTER", quantityToBeAltered: -1 },
        },
      ],
    });
    await sandbox.callbacksIdle();

    // Assess
    const submissionId = (answer.json as { response: { submissionId: string } }).response.submissionId;
    expect(rx.received).toHaveLength(1);
    const body = rx.received[0]!.body;
    expect(body).not.toHaveProperty("type");
    const result = SubmissionResultCallbackSchema.parse(body);
    expect(result).toMatchObject({
      submissionId,
      requestContext: { requestId: "LIST-1" },
      processingStatus: "COMPLETED",
    });
    const byMessage = (id: string) => result.issues.filter((i) => i.messageId === id);
    expect(byMessage("M-ok")).toEqual([expect.objectContaining({ severity: "WARNING", code: "90201" })]);
    expect(byMessage("M-psin")).toEqual([
      expect.objectContaining({ severity: "ERROR", code: "90101", attribute_errors: [{ psin: "unknown psin" }] }),
    ]);
    expect(byMessage("M-price")).toEqual([
      expect.objectContaining({
        severity: "ERROR",
        code: "90001",
        attribute_errors: [{ "data.price.sellingPrice": "sellingPrice must not exceed mrp" }],
      }),
    ]);
    expect(byMessage("M-alter")).toEqual([expect.objectContaining({ severity: "ERROR", code: "90104" })]);
    expect(result.summary).toEqual({ errors: 3, warnings: 1, success: 1, total: 4 });
  });

  it("reports a store toggle validTill in seconds as Pincode's documented issue 90221", async () => {
    const rx = await receiver();
    sandbox.registerCallback({ url: rx.url });
    await pincode.post("/tsp/catalog/v1/store", {
      requestContext: { requestId: "TOGGLE-1" },
      messages: [
        {
          messageId: "M1123123",
          operationType: "PARTIAL_UPDATE",
          serviceProviderId: "S01",
          data: { type: "STORE_TOGGLE", orderAcceptance: { status: "DISABLED", validTill: 1712155446 } },
        },
      ],
    });
    await sandbox.callbacksIdle();
    expect(rx.received.map((c) => c.body)).toEqual([
      expect.objectContaining({
        requestContext: { requestId: "TOGGLE-1" },
        issues: [
          {
            messageId: "M1123123",
            code: "90221",
            severity: "ERROR",
            message: "Valid Till Timing is Incorrect",
            attribute_errors: [{ validTill: "validTill should be in epoch milliSec" }],
          },
        ],
        summary: { errors: 1, warnings: 0, success: 0, total: 1 },
      }),
    ]);
    // The refused toggle changed nothing: the store still takes orders.
    expect(() => sandbox.createOrder({ storeId: "S01" })).not.toThrow();
  });
});
