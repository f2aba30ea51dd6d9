import { describe, expect, it } from "vitest";
import {
  completeRateLimit,
  RateLimiter,
  RateLimitInputSchema,
  RateStats,
  rateLimitFromEnv,
  TokenBucket,
} from "../../sandbox/rate-limit.ts";
import { generateStoreIds, parseStoresSpec } from "../../sandbox/store-ids.ts";
import { ManualClock } from "../../sandbox/testkit.ts";

describe("sandbox token bucket", () => {
  it("starts full with one second's worth, then refills at the rate", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(4, 1, clock);
    for (let i = 0; i < 4; i++) {
      expect(bucket.waitMs()).toBe(0);
      bucket.take();
    }
    expect(bucket.waitMs()).toBe(250);
    clock.advance(249);
    expect(bucket.waitMs()).toBe(1);
    clock.advance(1);
    expect(bucket.waitMs()).toBe(0);
  });

  it("holds a single token with burstSeconds 0, so calls must be evenly spaced", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(10, 0, clock);
    bucket.take();
    expect(bucket.waitMs()).toBe(100);
    clock.advance(1_000);
    bucket.take();
    expect(bucket.waitMs()).toBe(100);
  });
});

describe("sandbox rate limiter", () => {
  it("is unlimited until configured", () => {
    const limiter = new RateLimiter(undefined, new ManualClock());
    for (let i = 0; i < 1_000; i++) expect(limiter.admit("c", "poll").ok).toBe(true);
  });

  it("limits the total per client credential: another credential has its own bucket", () => {
    const limiter = new RateLimiter(completeRateLimit({ perSecond: 2 }), new ManualClock());
    expect(limiter.admit("a", "poll").ok).toBe(true);
    expect(limiter.admit("a", "status").ok).toBe(true);
    expect(limiter.admit("a", "update")).toEqual({ ok: false, scope: "total", retryAfterSeconds: 1 });
    expect(limiter.admit("b", "update").ok).toBe(true);
  });

  it("limits a family on top of the total, and a refused call takes no token from the total", () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(completeRateLimit({ perSecond: 3, families: { poll: 1 } }), clock);
    expect(limiter.admit("a", "poll").ok).toBe(true);
    expect(limiter.admit("a", "poll")).toEqual({ ok: false, scope: "poll", retryAfterSeconds: 1 });
    expect(limiter.admit("a", "status").ok).toBe(true);
    expect(limiter.admit("a", "status").ok).toBe(true);
    expect(limiter.admit("a", "status")).toEqual({ ok: false, scope: "total", retryAfterSeconds: 1 });
  });

  it("answers Retry-After in whole seconds rounded up for slow rates", () => {
    const limiter = new RateLimiter(completeRateLimit({ perSecond: 0.25 }), new ManualClock());
    expect(limiter.admit("a", "catalog").ok).toBe(true);
    expect(limiter.admit("a", "catalog")).toEqual({ ok: false, scope: "total", retryAfterSeconds: 4 });
  });

  it("starts full again after configure()", () => {
    const limiter = new RateLimiter(completeRateLimit({ perSecond: 1 }), new ManualClock());
    expect(limiter.admit("a", "poll").ok).toBe(true);
    expect(limiter.admit("a", "poll").ok).toBe(false);
    limiter.configure(completeRateLimit({ perSecond: 1 }));
    expect(limiter.admit("a", "poll").ok).toBe(true);
  });

  it("validates the admin body, naming the field", () => {
    const bad = RateLimitInputSchema.safeParse({ perSecond: 0, families: { orders: 5 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["perSecond"]));
    expect(RateLimitInputSchema.safeParse({ perSecond: 5, extra: 1 }).success).toBe(false);
  });
});

describe("sandbox rate stats", () => {
  it("reports the peak and the mean over one-second windows, per endpoint, per family and in total", () => {
    const clock = new ManualClock(1_722_570_000_000);
    const stats = new RateStats(clock);
    for (let i = 0; i < 3; i++) stats.countCall("/tsp/order/v1/changes");
    clock.advance(1_000);
    stats.countCall("/tsp/order/v1/changes");
    stats.countCall("/tsp/order/v1/status");
    clock.advance(2_000); // one quiet window in between
    stats.countCall("/tsp/catalog/v1/store");
    stats.countCall("/tsp/catalog/v1/listing");
    const snapshot = stats.snapshot();
    expect(snapshot.total).toEqual({
      calls: 7,
      peakPerSecond: 3,
      meanPerSecond: 1.75,
      peakWindowStart: 1_722_570_000_000,
    });
    expect(snapshot.byEndpoint["/tsp/order/v1/changes"]).toMatchObject({
      calls: 4,
      peakPerSecond: 3,
      meanPerSecond: 2,
    });
    expect(snapshot.byFamily.catalog).toMatchObject({ calls: 2, peakPerSecond: 2, meanPerSecond: 2 });
  });

  it("counts budget 429s by scope", () => {
    const stats = new RateStats(new ManualClock());
    stats.countBudget429("total");
    stats.countBudget429("poll");
    stats.countBudget429("poll");
    expect(stats.budget429s).toBe(3);
    expect(stats.budget429sByScope).toEqual({ total: 1, poll: 2 });
  });
});

describe("sandbox configuration from the environment", () => {
  it("reads SANDBOX_RATE_LIMIT_PER_S, SANDBOX_RATE_LIMITS and SANDBOX_RATE_LIMIT_BURST_S", () => {
    expect(rateLimitFromEnv({})).toEqual({ perSecond: null, families: {}, burstSeconds: 1 });
    expect(
      rateLimitFromEnv({
        SANDBOX_RATE_LIMIT_PER_S: "20",
        SANDBOX_RATE_LIMITS: "poll:5,status:10,update:5,catalog:2",
        SANDBOX_RATE_LIMIT_BURST_S: "0.5",
      }),
    ).toEqual({ perSecond: 20, families: { poll: 5, status: 10, update: 5, catalog: 2 }, burstSeconds: 0.5 });
  });

  it("rejects bad values naming the variable and the expected form", () => {
    expect(() => rateLimitFromEnv({ SANDBOX_RATE_LIMIT_PER_S: "-1" })).toThrow(/SANDBOX_RATE_LIMIT_PER_S must be/);
    expect(() => rateLimitFromEnv({ SANDBOX_RATE_LIMITS: "orders:5" })).toThrow(
      /SANDBOX_RATE_LIMITS: each entry must be <family>:<calls per second>/,
    );
    expect(() => rateLimitFromEnv({ SANDBOX_RATE_LIMITS: "poll:x" })).toThrow(/the rate of 'poll' must be/);
  });

  it("accepts SANDBOX_STORES as a count or a list", () => {
    expect(parseStoresSpec(undefined)).toEqual(["S01", "S02", "S03"]);
    expect(parseStoresSpec("3")).toEqual(["S01", "S02", "S03"]);
    expect(parseStoresSpec("A, B,,A")).toEqual(["A", "B"]);
    const many = parseStoresSpec("10000");
    expect(many).toHaveLength(10_000);
    expect([many[0], many[9_999]]).toEqual(["S00001", "S10000"]);
    expect(new Set(many).size).toBe(10_000);
    expect(generateStoreIds(100).at(-1)).toBe("S100");
    expect(() => parseStoresSpec("0")).toThrow(/SANDBOX_STORES as a count must be from 1/);
  });
});
