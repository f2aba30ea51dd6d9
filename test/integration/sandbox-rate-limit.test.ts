/** The sandbox's rate budget over HTTP: a real token bucket per credential, 429 + Retry-After, per-second stats. */
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "#sandbox/sandbox.ts";
import { admin, ManualClock, PincodeCaller } from "#sandbox/testkit.ts";

const started: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function sandboxWith(options: SandboxOptions = {}) {
  const clock = new ManualClock(1_722_570_000_000);
  const sandbox = await startSandbox({ seed: 5, clock, ...options });
  started.push(sandbox);
  const pincode = new PincodeCaller(sandbox.url, sandbox);
  return { sandbox, clock, pincode };
}

const poll = (pincode: PincodeCaller, n: number) =>
  pincode.post("/tsp/order/v1/changes", {
    requestContext: { requestId: `P-${n}` },
    serviceProviderId: "S01",
    fromTimestamp: 0,
    toTimestamp: 1,
    size: 10,
  });
const status = (pincode: PincodeCaller, orderId: string) =>
  pincode.post("/tsp/order/v1/status", {
    requestContext: { requestId: `S-${orderId}`, transactionId: orderId },
    orderId,
  });

describe("sandbox rate budget over HTTP", () => {
  it("answers 429 TOO_MANY_REQUESTS with Retry-After once the credential's bucket is empty, and counts it", async () => {
    const { sandbox, clock, pincode } = await sandboxWith({ rateLimit: { perSecond: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await poll(pincode, i)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);

    const refused = await poll(pincode, 9);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    // Refused before the body is read (like a 401), so no requestContext is echoed.
    expect(refused.json).toEqual({
      error: {
        errorCode: "TOO_MANY_REQUESTS",
        message: expect.stringMatching(/rate budget exceeded \(all endpoints\)/),
      },
    });

    clock.advance(334); // one token back at 3/s
    expect((await poll(pincode, 10)).status).toBe(200);
    const stats = sandbox.stats();
    expect(stats.budget429s).toBe(2);
    expect(stats.budget429sByScope).toEqual({ total: 2 });
    // A refused call still reached Pincode: it counts in the per-second figures.
    expect(stats.rates.total).toMatchObject({ calls: 6, peakPerSecond: 6 });
  });

  it("limits a family separately from the total", async () => {
    const { sandbox, pincode } = await sandboxWith({ rateLimit: { perSecond: 10, families: { poll: 1 } } });
    const order = sandbox.createOrder({ storeId: "S01" });
    expect((await poll(pincode, 1)).status).toBe(200);
    const second = await poll(pincode, 2);
    expect(second.status).toBe(429);
    expect((second.json as { error: { message: string } }).error.message).toMatch(/\(poll endpoints\)/);
    expect((await status(pincode, String(order.id))).status).toBe(200);
    expect(sandbox.stats().budget429sByScope).toEqual({ poll: 1 });
  });

  it("reports peak and mean calls per one-second window per endpoint and family", async () => {
    const { sandbox, clock, pincode } = await sandboxWith();
    const order = sandbox.createOrder({ storeId: "S01" });
    for (let i = 0; i < 4; i++) await poll(pincode, i);
    clock.advance(1_000);
    await poll(pincode, 5);
    await status(pincode, String(order.id));
    const { rates, budget429s, rateLimit } = (await admin(sandbox.url, "GET", "/_sandbox/stats")).json as ReturnType<
      Sandbox["stats"]
    >;
    expect(rateLimit).toEqual({ perSecond: null, families: {}, burstSeconds: 1 });
    expect(budget429s).toBe(0);
    expect(rates.byEndpoint["/tsp/order/v1/changes"]).toMatchObject({ calls: 5, peakPerSecond: 4, meanPerSecond: 2.5 });
    expect(rates.byEndpoint["/tsp/order/v1/status"]).toMatchObject({ calls: 1, peakPerSecond: 1, meanPerSecond: 1 });
    expect(rates.byFamily.poll).toMatchObject({ calls: 5, peakPerSecond: 4 });
    expect(rates.total).toMatchObject({ calls: 6, peakPerSecond: 4, meanPerSecond: 3 });
  });

  it("is set at runtime through PUT /_sandbox/rate-limit, validated, and kept out of the fault knobs", async () => {
    const { sandbox, pincode } = await sandboxWith();
    const bad = await admin(sandbox.url, "PUT", "/_sandbox/rate-limit", { perSecond: -1 });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { message: string } }).error.message).toMatch(/perSecond/);

    const set = await admin(sandbox.url, "PUT", "/_sandbox/rate-limit", { perSecond: 1, families: { status: 1 } });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ perSecond: 1, families: { status: 1 }, burstSeconds: 1 });
    expect((await admin(sandbox.url, "GET", "/_sandbox/rate-limit")).json).toEqual(set.json);

    expect((await poll(pincode, 1)).status).toBe(200);
    expect((await poll(pincode, 2)).status).toBe(429);

    // PUT replaces the whole configuration: an empty body lifts the budget.
    await admin(sandbox.url, "PUT", "/_sandbox/rate-limit", {});
    for (let i = 3; i < 10; i++) expect((await poll(pincode, i)).status).toBe(200);
    expect(sandbox.getFaults().apiRateLimitRate).toBe(0);
  });

  it("reset() restores the configured budget and clears the per-second figures", async () => {
    const { sandbox, pincode } = await sandboxWith({ rateLimit: { perSecond: 2 } });
    sandbox.setRateLimit({});
    await poll(pincode, 1);
    sandbox.reset();
    expect(sandbox.getRateLimit().perSecond).toBe(2);
    expect(sandbox.stats().rates.total.calls).toBe(0);
    expect(() => sandbox.setRateLimit({ perSecond: 0 })).toThrow(/perSecond/);
  });
});
