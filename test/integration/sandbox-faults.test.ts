import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "#sandbox/sandbox.ts";
import { admin, type CallbackReceiver, ManualClock, PincodeCaller, startCallbackReceiver } from "#sandbox/testkit.ts";

const FAST_RETRY = { attempts: 3, baseBackoffMs: 2, timeoutMs: 2_000 };
const started: { stop(): Promise<void> }[] = [];
let rx: CallbackReceiver;

beforeAll(async () => {
  rx = await startCallbackReceiver();
});
afterAll(() => rx.stop());
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
  rx.received.length = 0;
});

async function sandboxWith(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ seed: 31, callbackRetry: FAST_RETRY, callback: { url: rx.url }, ...options });
  started.push(sandbox);
  return sandbox;
}

const requestIdOf = (body: Record<string, unknown>) => (body.requestContext as { requestId: string }).requestId;

function accept(pincode: PincodeCaller, orderId: string) {
  return pincode.post("/tsp/order/v1/update", {
    requestContext: { requestId: `U-${orderId}`, transactionId: orderId, actionType: "UPDATE" },
    orderId,
    actions: [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }],
  });
}

describe("callback faults", () => {
  it("drop: a dropped callback is never delivered, and the same seed drops the same ones", async () => {
    const runs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const sandbox = await sandboxWith({ faults: { callbackDropRate: 0.5 } });
      for (let i = 0; i < 20; i++) sandbox.createOrder({ storeId: "S01" });
      await sandbox.callbacksIdle();
      const delivered = rx.received.map((c) => String((c.body.response as { id: string }).id));
      const { dropped, acked } = sandbox.stats().callbacks;
      expect(dropped + acked).toBe(20);
      expect(delivered).toHaveLength(acked);
      runs.push(delivered);
      rx.received.length = 0;
    }
    expect(runs[0]!.length).toBeGreaterThan(0);
    expect(runs[0]!.length).toBeLessThan(20);
    expect(runs[1]).toEqual(runs[0]);
  });

  it("duplicate: each callback arrives twice with the same requestId", async () => {
    const sandbox = await sandboxWith({ faults: { callbackDuplicateRate: 1 } });
    sandbox.createOrder({ storeId: "S01" });
    sandbox.createOrder({ storeId: "S02" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(4);
    const ids = rx.received.map((c) => requestIdOf(c.body));
    expect(new Set(ids).size).toBe(2);
    expect(sandbox.stats().callbacks).toMatchObject({ duplicated: 2, acked: 4 });
  });

  it("reorder: an older snapshot is delivered after the newer one for the same order", async () => {
    const sandbox = await sandboxWith({ faults: { callbackReorderRate: 1 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    await accept(pincode, orderId);
    await sandbox.callbacksIdle();
    const states = rx.received.map((c) => (c.body.response as { orderState: string }).orderState);
    const times = rx.received.map((c) => Number((c.body.response as { updatedAt: string }).updatedAt));
    expect(states).toEqual(["ACCEPTED", "CREATED"]);
    expect(times[1]).toBeLessThan(times[0]!);
    expect(sandbox.stats().callbacks.reordered).toBe(1);
  });

  it("reorder: a held snapshot with no newer one is still delivered after the hold time", async () => {
    const sandbox = await sandboxWith({ faults: { callbackReorderRate: 1 }, reorderHoldMs: 20 });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(1);
    expect(sandbox.stats().callbacks).toMatchObject({ reordered: 0, acked: 1 });
  });

  it("late: a late snapshot is overtaken by every later one of its order, and the rate has its own dice", async () => {
    const sandbox = await sandboxWith({ faults: { callbackLateRate: 1, callbackLateMs: 1_500 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    // Only the first snapshot is late: the update's snapshot then goes out at once and overtakes it.
    sandbox.setFaults({ callbackLateRate: 0 });
    await accept(pincode, orderId);
    while (rx.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(rx.received.map((c) => (c.body.response as { orderState: string }).orderState)).toEqual(["ACCEPTED"]);
    await sandbox.callbacksIdle();
    expect(rx.received.map((c) => (c.body.response as { orderState: string }).orderState)).toEqual([
      "ACCEPTED",
      "CREATED",
    ]);
    expect(sandbox.stats().callbacks).toMatchObject({ late: 1, acked: 2 });

    // Turning the late fault on does not shift the drop decisions (its own PRNG stream).
    const drops: number[] = [];
    for (const late of [0, 0.5]) {
      const other = await sandboxWith({ faults: { callbackDropRate: 0.5, callbackLateRate: late, callbackLateMs: 5 } });
      for (let i = 0; i < 20; i++) other.createOrder({ storeId: "S01" });
      await other.callbacksIdle();
      drops.push(other.stats().callbacks.dropped);
      if (late > 0) expect(other.stats().callbacks.late).toBeGreaterThan(0);
    }
    expect(drops[1]).toBe(drops[0]);
  });

  it("applied updates: each applied Order Update is recorded with its requestId, a lost answer included", async () => {
    const sandbox = await sandboxWith({ faults: { updateResponseLossRate: 1 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    await accept(pincode, orderId).catch(() => undefined);
    sandbox.setFaults({ apiErrorRate: 1 });
    expect((await accept(pincode, orderId)).status).toBe(500);
    expect(sandbox.appliedUpdates()).toEqual([
      {
        requestId: `U-${orderId}`,
        orderId,
        actions: [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }],
        at: expect.any(Number),
      },
    ]);
    sandbox.reset();
    expect(sandbox.appliedUpdates()).toEqual([]);
  });

  it("delay: callbacks wait the configured time before delivery", async () => {
    const sandbox = await sandboxWith({ faults: { callbackDelayMs: 150 } });
    sandbox.createOrder({ storeId: "S01" });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(rx.received).toHaveLength(0);
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(1);
    expect(sandbox.stats().callbacks.delayed).toBe(1);
  });
});

describe("API faults", () => {
  const pollBody = {
    requestContext: { requestId: "P1" },
    serviceProviderId: "S01",
    fromTimestamp: 0,
    toTimestamp: 1,
    size: 5,
  };

  it("rate limit: answers 429 with Retry-After and the error envelope", async () => {
    const sandbox = await sandboxWith({ faults: { apiRateLimitRate: 1, retryAfterSeconds: 2 } });
    const answer = await new PincodeCaller(sandbox.url, sandbox).post("/tsp/order/v1/changes", pollBody);
    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBe("2");
    expect(answer.json).toMatchObject({
      requestContext: { requestId: "P1" },
      error: { errorCode: "TOO_MANY_REQUESTS" },
    });
  });

  it("5xx: answers 500 INTERNAL_SERVER_ERROR, and an update hit by it is not applied or counted", async () => {
    const sandbox = await sandboxWith({ faults: { apiErrorRate: 1 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const orderId = String(sandbox.createOrder({ storeId: "S01" }).id);
    const answer = await accept(pincode, orderId);
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ error: { errorCode: "INTERNAL_SERVER_ERROR" } });
    expect(sandbox.getOrder(orderId)!.orderState).toBe("CREATED");
    expect(sandbox.stats().updatesByOrder).toEqual({});
    expect(sandbox.stats().calls["/tsp/order/v1/update"]).toEqual({ "500": 1 });
  });

  it("rates: a share of calls fail, the same share for the same seed", async () => {
    const statuses: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const sandbox = await sandboxWith({ faults: { apiErrorRate: 0.3, apiRateLimitRate: 0.3, retryAfterSeconds: 0 } });
      const pincode = new PincodeCaller(sandbox.url, sandbox);
      const seen: number[] = [];
      for (let i = 0; i < 30; i++) seen.push((await pincode.post("/tsp/order/v1/changes", pollBody)).status);
      statuses.push(seen);
    }
    expect(new Set(statuses[0])).toEqual(new Set([200, 429, 500]));
    expect(statuses[1]).toEqual(statuses[0]);
  });

  it("latency: /tsp answers take at least the added latency", async () => {
    const sandbox = await sandboxWith({ faults: { latencyMs: 80 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    await pincode.accessToken();
    const startedAt = performance.now();
    const answer = await pincode.post("/tsp/order/v1/changes", pollBody);
    expect(answer.status).toBe(200);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(75);
  });

  it("early token expiry: a token stops working before its advertised expiry", async () => {
    const clock = new ManualClock();
    const sandbox = await sandboxWith({ clock, tokenTtlMs: 60_000, faults: { tokenExpiresEarlyMs: 30_000 } });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const grant = (await pincode.grant()).json as { access_token: string; expires_at: number };
    const call = () => pincode.post("/tsp/order/v1/changes", pollBody, `O-Bearer ${grant.access_token}`);
    expect((await call()).status).toBe(200);
    clock.advance(30_000);
    expect(clock.now()).toBeLessThan(grant.expires_at);
    expect((await call()).status).toBe(401);
  });

  it("can answer an expired token with 412, the other documented status", async () => {
    const clock = new ManualClock();
    const sandbox = await sandboxWith({ clock, tokenTtlMs: 1_000, expiredTokenStatus: 412 });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    await pincode.accessToken();
    clock.advance(1_000);
    expect((await pincode.post("/tsp/order/v1/changes", pollBody)).status).toBe(412);
  });
});

describe("setting faults", () => {
  it("replaces the whole fault set at runtime over HTTP, and reset restores the start-up faults", async () => {
    const sandbox = await sandboxWith({ faults: { latencyMs: 5 } });
    const put = await admin(sandbox.url, "PUT", "/_sandbox/faults", { callbackDropRate: 1, apiErrorRate: 0.25 });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ callbackDropRate: 1, apiErrorRate: 0.25, latencyMs: 0 });
    sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();
    expect(rx.received).toHaveLength(0);
    await admin(sandbox.url, "POST", "/_sandbox/reset");
    expect((await admin(sandbox.url, "GET", "/_sandbox/faults")).json).toMatchObject({
      latencyMs: 5,
      callbackDropRate: 0,
    });
  });

  it.each([
    [{ apiErrorRate: 1.5 }, /apiErrorRate/],
    [{ latencyMs: -1 }, /latencyMs/],
    [{ dropEverything: true }, /dropEverything/],
  ])("refuses %j with 400 naming the knob", async (body, pattern) => {
    const sandbox = await sandboxWith();
    const answer = await admin(sandbox.url, "PUT", "/_sandbox/faults", body);
    expect(answer.status).toBe(400);
    expect((answer.json as { error: { message: string } }).error.message).toMatch(pattern);
  });
});

describe("fidelity faults: updatedAt mode and null optional fields", () => {
  it("keeps order updatedAt at creation in frozen mode (option or PUT /_sandbox/faults), moving it otherwise", async () => {
    // Prepare
    const sandbox = await sandboxWith({ updatedAt: "frozen" });
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const order = sandbox.createOrder({ storeId: "S01" });
    const id = String(order.id);

    // Act
    await accept(pincode, id);
    const frozen = sandbox.getOrder(id)!;
    const put = await admin(sandbox.url, "PUT", "/_sandbox/faults", { frozenUpdatedAt: false });
    const moving = sandbox.getOrder(id)!;

    // Assess: like Pincode's sample, frozen shows the creation time although the order moved on.
    expect(frozen.orderState).toBe("ACCEPTED");
    expect(frozen.updatedAt).toBe(order.createdAt);
    expect((frozen.billing as { updatedAt: unknown }).updatedAt).toBe(Number(order.createdAt));
    expect((put.json as { frozenUpdatedAt: boolean }).frozenUpdatedAt).toBe(false);
    expect(Number(moving.updatedAt)).toBeGreaterThan(Number(order.createdAt));
    // A PUT that leaves the knob out goes back to the mode the sandbox started with.
    await admin(sandbox.url, "PUT", "/_sandbox/faults", {});
    expect(sandbox.getFaults().frozenUpdatedAt).toBe(true);
  });

  it("renders absent optional fields as null with nullOptionalFields, and cancels a completed order on request", async () => {
    const sandbox = await sandboxWith({ faults: { nullOptionalFields: true } });
    const order = sandbox.createOrder({ storeId: "S01" });
    const store = (order.fulfillments as Record<string, unknown>[])[0]!;
    expect(order.clientOrderInfo).toBeNull();
    expect(order.actions).toBeNull();
    expect(store.fulfillmentState).toBeNull();

    const cancelled = await admin(sandbox.url, "POST", `/_sandbox/orders/${String(order.id)}/cancel`, {
      reason: "FRAUD_PRESCRIPTION",
    });
    expect(cancelled.status).toBe(200);
    expect((cancelled.json as { orderState: string }).orderState).toBe("CANCELLED");
    const again = await admin(sandbox.url, "POST", `/_sandbox/orders/${String(order.id)}/cancel`);
    expect(again.status).toBe(409);
  });
});
