/**
 * The sandbox's rate budget: a real token bucket per client credential, one for all /tsp calls and optionally one
 * per endpoint family, plus per-second call counting for /_sandbox/stats. PINCODE-API A8: Pincode has rate limits
 * but publishes no numbers and blacklists abusers; the sandbox makes the limit explicit so a client can be proven to
 * stay under it (peak calls in every one-second window <= the budget, and 0 budget 429s).
 */
import { z } from "zod";
import type { Clock } from "./clock.ts";

export const RATE_FAMILIES = ["poll", "status", "update", "catalog"] as const;
export type RateFamily = (typeof RATE_FAMILIES)[number];

/** Which family a /tsp path belongs to (the same families as the client's throttle). */
export const FAMILY_OF_PATH: Readonly<Record<string, RateFamily>> = {
  "/tsp/order/v1/changes": "poll",
  "/tsp/order/v1/status": "status",
  "/tsp/order/v1/update": "update",
  "/tsp/catalog/v1/listing": "catalog",
  "/tsp/catalog/v1/store": "catalog",
};

export interface RateLimitConfig {
  /** Calls per second for all /tsp endpoints together, per client credential; null = unlimited. */
  perSecond: number | null;
  /** Calls per second per family, on top of `perSecond`; a family not named is limited by `perSecond` only. */
  families: Partial<Record<RateFamily, number>>;
  /**
   * Bucket size in seconds of the rate (default 1: a bucket holds one second's worth of calls, at least 1 token).
   * Smaller is stricter: 0 makes the bucket hold a single token, i.e. calls must be evenly spaced.
   */
  burstSeconds: number;
}

export const NO_RATE_LIMIT: RateLimitConfig = { perSecond: null, families: {}, burstSeconds: 1 };

const perSecond = z.number().positive("must be a number of calls per second > 0").max(100_000);

/** PUT /_sandbox/rate-limit body: replaces the whole configuration (omitted = unlimited / default). */
export const RateLimitInputSchema = z.strictObject({
  perSecond: perSecond.nullable().optional(),
  families: z.partialRecord(z.enum(RATE_FAMILIES), perSecond).optional(),
  burstSeconds: z.number().min(0).max(60).optional(),
});
export type RateLimitInput = z.input<typeof RateLimitInputSchema>;

export function completeRateLimit(input: RateLimitInput | undefined): RateLimitConfig {
  return {
    perSecond: input?.perSecond ?? null,
    families: { ...(input?.families ?? {}) },
    burstSeconds: input?.burstSeconds ?? 1,
  };
}

/**
 * Parses the env form: `SANDBOX_RATE_LIMIT_PER_S=20` and `SANDBOX_RATE_LIMITS=poll:5,status:10,update:5,catalog:2`.
 * Throws an Error naming the variable and the expected form (never echoing more than the offending entry's key).
 */
export function rateLimitFromEnv(env: Record<string, string | undefined>): RateLimitConfig {
  const total = env.SANDBOX_RATE_LIMIT_PER_S?.trim();
  let perSecondValue: number | null = null;
  if (total) {
    const value = Number(total);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error("SANDBOX_RATE_LIMIT_PER_S must be a number of calls per second > 0");
    }
    perSecondValue = value;
  }
  const families = parseFamilyRates(env.SANDBOX_RATE_LIMITS, "SANDBOX_RATE_LIMITS");
  const burstRaw = env.SANDBOX_RATE_LIMIT_BURST_S?.trim();
  let burstSeconds = 1;
  if (burstRaw) {
    burstSeconds = Number(burstRaw);
    if (!Number.isFinite(burstSeconds) || burstSeconds < 0 || burstSeconds > 60) {
      throw new Error("SANDBOX_RATE_LIMIT_BURST_S must be a number of seconds from 0 to 60");
    }
  }
  return { perSecond: perSecondValue, families, burstSeconds };
}

/** `poll:5,status:10` -> { poll: 5, status: 10 }; empty/undefined -> {}. */
export function parseFamilyRates(raw: string | undefined, name: string): Partial<Record<RateFamily, number>> {
  const out: Partial<Record<RateFamily, number>> = {};
  if (!raw || raw.trim() === "") return out;
  for (const entry of raw.split(",")) {
    const [key, value, extra] = entry.split(":").map((s) => s.trim());
    if (!key || !(RATE_FAMILIES as readonly string[]).includes(key) || extra !== undefined) {
      throw new Error(
        `${name}: each entry must be <family>:<calls per second> with family one of ${RATE_FAMILIES.join(", ")}`,
      );
    }
    const rate = Number(value);
    if (!value || !Number.isFinite(rate) || rate <= 0) {
      throw new Error(`${name}: the rate of '${key}' must be a number of calls per second > 0`);
    }
    out[key as RateFamily] = rate;
  }
  return out;
}

/** A classic token bucket on an injected clock: `capacity` tokens, refilled at `rate` per second. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  readonly capacity: number;

  constructor(
    readonly rate: number,
    burstSeconds: number,
    private readonly clock: Clock,
  ) {
    this.capacity = Math.max(1, rate * burstSeconds);
    this.tokens = this.capacity;
    this.updatedAt = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
    this.updatedAt = now;
  }

  /** Milliseconds until one token is available (0 = available now). Takes nothing. */
  waitMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    // The epsilon keeps float noise (0.996 tokens after 249 ms at 4/s) from adding a millisecond.
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate - 1e-9));
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }
}

export type RateDecision = { ok: true } | { ok: false; scope: "total" | RateFamily; retryAfterSeconds: number };

/** The buckets of every client credential, built lazily from the current configuration. */
export class RateLimiter {
  private config: RateLimitConfig;
  private buckets = new Map<string, { total?: TokenBucket; families: Partial<Record<RateFamily, TokenBucket>> }>();

  constructor(
    config: RateLimitConfig | undefined,
    private readonly clock: Clock,
  ) {
    this.config = config ?? NO_RATE_LIMIT;
  }

  get current(): RateLimitConfig {
    return structuredClone(this.config);
  }

  /** Replaces the configuration; buckets start full again. */
  configure(config: RateLimitConfig): RateLimitConfig {
    this.config = structuredClone(config);
    this.buckets.clear();
    return this.current;
  }

  get enabled(): boolean {
    return this.config.perSecond !== null || Object.keys(this.config.families).length > 0;
  }

  /**
   * Takes one token from the credential's total bucket and from its family's bucket, or none when either is empty
   * (then the answer says which one and when to retry, in whole seconds, at least 1).
   */
  admit(clientId: string, family: RateFamily | undefined): RateDecision {
    if (!this.enabled) return { ok: true };
    let entry = this.buckets.get(clientId);
    if (!entry) {
      entry = { families: {} };
      if (this.config.perSecond !== null) {
        entry.total = new TokenBucket(this.config.perSecond, this.config.burstSeconds, this.clock);
      }
      this.buckets.set(clientId, entry);
    }
    let familyBucket: TokenBucket | undefined;
    const familyRate = family ? this.config.families[family] : undefined;
    if (family && familyRate !== undefined) {
      familyBucket = entry.families[family] ?? new TokenBucket(familyRate, this.config.burstSeconds, this.clock);
      entry.families[family] = familyBucket;
    }
    const totalWait = entry.total?.waitMs() ?? 0;
    const familyWait = familyBucket?.waitMs() ?? 0;
    if (totalWait > 0 || familyWait > 0) {
      const scope = familyWait >= totalWait && family ? family : "total";
      return { ok: false, scope, retryAfterSeconds: Math.max(1, Math.ceil(Math.max(totalWait, familyWait) / 1000)) };
    }
    entry.total?.take();
    familyBucket?.take();
    return { ok: true };
  }

  reset(config: RateLimitConfig | undefined): void {
    this.configure(config ?? NO_RATE_LIMIT);
  }
}

/** Peak and mean calls per one-second window (aligned to the clock's whole seconds) of one endpoint. */
export interface RateWindowStats {
  /** All calls received (every status, 429s included: they reached Pincode too). */
  calls: number;
  /** Most calls in one one-second window. */
  peakPerSecond: number;
  /** calls / number of one-second windows from the first call's window to the last call's (quiet ones count). */
  meanPerSecond: number;
  /** Start (epoch ms) of the window that had the peak. */
  peakWindowStart: number | null;
}

class WindowCounter {
  calls = 0;
  peak = 0;
  peakWindow: number | null = null;
  private firstWindow: number | null = null;
  private lastWindow: number | null = null;
  private currentCount = 0;

  count(window: number): void {
    if (this.firstWindow === null) this.firstWindow = window;
    if (window !== this.lastWindow) {
      // Calls arrive in clock order on one server; a late one (clock stepped back) joins the current window.
      if (this.lastWindow === null || window > this.lastWindow) {
        this.lastWindow = window;
        this.currentCount = 0;
      }
    }
    this.currentCount += 1;
    this.calls += 1;
    if (this.currentCount > this.peak) {
      this.peak = this.currentCount;
      this.peakWindow = this.lastWindow;
    }
  }

  snapshot(): RateWindowStats {
    const windows = this.firstWindow === null || this.lastWindow === null ? 0 : this.lastWindow - this.firstWindow + 1;
    return {
      calls: this.calls,
      peakPerSecond: this.peak,
      meanPerSecond: windows > 0 ? Math.round((this.calls / windows) * 1000) / 1000 : 0,
      peakWindowStart: this.peakWindow === null ? null : this.peakWindow * 1000,
    };
  }
}

/** Per-second counting of /tsp calls per endpoint, per family and in total, plus the budget 429s sent. */
export class RateStats {
  private byEndpoint = new Map<string, WindowCounter>();
  private byFamily = new Map<string, WindowCounter>();
  private total = new WindowCounter();
  budget429s = 0;
  budget429sByScope: Record<string, number> = {};

  constructor(private readonly clock: Clock) {}

  countCall(endpoint: string): void {
    const window = Math.floor(this.clock.now() / 1000);
    this.counter(this.byEndpoint, endpoint).count(window);
    const family = FAMILY_OF_PATH[endpoint];
    if (family) this.counter(this.byFamily, family).count(window);
    this.total.count(window);
  }

  countBudget429(scope: string): void {
    this.budget429s += 1;
    this.budget429sByScope[scope] = (this.budget429sByScope[scope] ?? 0) + 1;
  }

  private counter(map: Map<string, WindowCounter>, key: string): WindowCounter {
    let counter = map.get(key);
    if (!counter) {
      counter = new WindowCounter();
      map.set(key, counter);
    }
    return counter;
  }

  snapshot(): {
    total: RateWindowStats;
    byEndpoint: Record<string, RateWindowStats>;
    byFamily: Record<string, RateWindowStats>;
  } {
    return {
      total: this.total.snapshot(),
      byEndpoint: Object.fromEntries([...this.byEndpoint].map(([k, c]) => [k, c.snapshot()])),
      byFamily: Object.fromEntries([...this.byFamily].map(([k, c]) => [k, c.snapshot()])),
    };
  }

  reset(): void {
    this.byEndpoint.clear();
    this.byFamily.clear();
    this.total = new WindowCounter();
    this.budget429s = 0;
    this.budget429sByScope = {};
  }
}
