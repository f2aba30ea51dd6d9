import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  isAuthExpiredStatus,
  isRetryableStatus,
  parseRetryAfterMs,
} from "../../functions/pincode/retry.ts";

describe("backoffDelayMs (full jitter)", () => {
  it("stays within [0, min(max, base * 2^(n-1))) for any random draw", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, base, max, r) => {
          const delay = backoffDelayMs(retry, { baseDelayMs: base, maxDelayMs: max }, () => r);
          const ceiling = Math.min(max, base * 2 ** (retry - 1));
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });

  it("doubles the window each retry until the cap", () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };
    const nearlyOne = () => 0.9999;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, nearlyOne))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2024-06-23T18:38:00Z");

  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfterMs("7", now)).toBe(7_000);
    expect(parseRetryAfterMs(" 0 ", now)).toBe(0);
    expect(parseRetryAfterMs("Sun, 23 Jun 2024 18:38:05 GMT", now)).toBe(5_000);
  });

  it("treats a past date as 0 and ignores absent or unreadable values", () => {
    expect(parseRetryAfterMs("Sun, 23 Jun 2024 18:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs("", now)).toBeUndefined();
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs("-5", now)).toBeUndefined();
  });
});

describe("status classes", () => {
  it("retries 429 and 5xx only, and treats 401/412 as an expired token", () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 412, 422].some(isRetryableStatus)).toBe(false);
    expect([401, 412].every(isAuthExpiredStatus)).toBe(true);
    expect([400, 403, 429].some(isAuthExpiredStatus)).toBe(false);
  });
});
