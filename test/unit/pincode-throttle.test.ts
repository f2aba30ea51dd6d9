import { describe, expect, it } from "vitest";
import { FamilyThrottle, TokenBucket } from "../../functions/pincode/throttle.ts";

function manualClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => (t += ms),
    clock: { now: () => t, sleep: async (ms: number) => void sleeps.push(ms) },
  };
}

describe("TokenBucket", () => {
  it("lets a burst through, then one request per interval", () => {
    const { clock } = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, clock);

    const waits = [1, 2, 3, 4, 5].map(() => bucket.reserve());

    expect(waits).toEqual([0, 0, 0, 500, 1_000]);
  });

  it("refills with time but never above the burst", () => {
    const m = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 2 }, m.clock);
    bucket.reserve();
    bucket.reserve();

    m.advance(10_000); // long idle: refills to 2, not 40

    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 250]);
  });

  it("counts at most rate * seconds + burst grants in any window", () => {
    const m = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 1 }, m.clock);
    const sentAt: number[] = [];
    for (let i = 0; i < 50; i++) {
      const wait = bucket.reserve();
      m.advance(wait);
      sentAt.push(m.clock.now());
      m.advance(7); // callers keep coming every 7 ms
    }

    const inFirstSecond = sentAt.filter((t) => t < 1_000).length;
    expect(inFirstSecond).toBeLessThanOrEqual(5 + 1);
    expect(sentAt.at(-1)! - sentAt[0]!).toBeGreaterThanOrEqual(49 * 200);
  });

  it("rejects nonsense limits", () => {
    const { clock } = manualClock();
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }, clock)).toThrow(/ratePerSecond/);
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0 }, clock)).toThrow(/burst/);
  });
});

describe("FamilyThrottle", () => {
  it("uses the documented defaults and merges overrides per family", async () => {
    const m = manualClock();
    const throttle = new FamilyThrottle({ catalog: { ratePerSecond: 0.5 } }, m.clock);

    expect(throttle.limits).toEqual({
      poll: { ratePerSecond: 2, burst: 2 },
      status: { ratePerSecond: 5, burst: 5 },
      update: { ratePerSecond: 5, burst: 5 },
      catalog: { ratePerSecond: 0.5, burst: 1 },
    });
    await throttle.acquire("catalog");
    await throttle.acquire("catalog");
    await throttle.acquire("update");
    expect(m.sleeps).toEqual([2_000]);
  });
});
