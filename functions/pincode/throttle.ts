/**
 * Client-side token-bucket throttle, one bucket per endpoint family. PINCODE-API A8: rate limits exist for poll and
 * status check but no numbers are published and abuse can get a seller blacklisted, so we stay well under any
 * plausible limit. The buckets live in this process only: N concurrent Lambda instances may send N times the rate.
 */

export type ThrottleFamily = "poll" | "status" | "update" | "catalog";

export interface RateLimit {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Requests that may go out back-to-back after a quiet period (bucket size). */
  burst: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<Record<ThrottleFamily, RateLimit>> = {
  poll: { ratePerSecond: 2, burst: 2 },
  status: { ratePerSecond: 5, burst: 5 },
  update: { ratePerSecond: 5, burst: 5 },
  catalog: { ratePerSecond: 1, burst: 1 },
};

export interface ThrottleClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/**
 * A token bucket that hands out reservations: a caller that finds the bucket empty takes a token "on credit"
 * (the level goes negative) and sleeps until its token would have been refilled. Concurrent callers therefore queue
 * in arrival order without polling, and the schedule depends only on the injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: ThrottleClock,
  ) {
    if (!(limit.ratePerSecond > 0)) throw new Error(`ratePerSecond must be > 0, got ${limit.ratePerSecond}`);
    if (!(limit.burst >= 1)) throw new Error(`burst must be >= 1, got ${limit.burst}`);
    this.tokens = limit.burst;
    this.updatedAt = clock.now();
  }

  /** Milliseconds the caller must wait before sending; the token is already taken. */
  reserve(): number {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.limit.burst, this.tokens + (elapsed * this.limit.ratePerSecond) / 1000);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.limit.ratePerSecond);
  }

  async acquire(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.clock.sleep(wait);
  }
}

/** One bucket per family, so a burst of status checks never eats the budget of order updates. */
export class FamilyThrottle {
  private readonly buckets: Record<ThrottleFamily, TokenBucket>;
  readonly limits: Readonly<Record<ThrottleFamily, RateLimit>>;

  constructor(limits: Partial<Record<ThrottleFamily, Partial<RateLimit>>> | undefined, clock: ThrottleClock) {
    const merged = {} as Record<ThrottleFamily, RateLimit>;
    for (const family of Object.keys(DEFAULT_RATE_LIMITS) as ThrottleFamily[]) {
      merged[family] = { ...DEFAULT_RATE_LIMITS[family], ...limits?.[family] };
    }
    this.limits = merged;
    this.buckets = {
      poll: new TokenBucket(merged.poll, clock),
      status: new TokenBucket(merged.status, clock),
      update: new TokenBucket(merged.update, clock),
      catalog: new TokenBucket(merged.catalog, clock),
    };
  }

  acquire(family: ThrottleFamily): Promise<void> {
    return this.buckets[family].acquire();
  }
}
