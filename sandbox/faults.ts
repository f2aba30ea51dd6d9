/**
 * Fault injection knobs. Decisions come from seeded PRNG streams so a test with a given seed and fault set sees the
 * same drops, duplicates and errors every run.
 */
import { z } from "zod";
import { deriveSeed, mulberry32, type Prng } from "./prng.ts";

export interface Faults {
  /** Share of callbacks never delivered (0-1). */
  callbackDropRate: number;
  /** Share of callbacks delivered twice (0-1). */
  callbackDuplicateRate: number;
  /** Share of ORDER_VIEW snapshots held back and delivered after the next, newer one for that order (0-1). */
  callbackReorderRate: number;
  /** Delay before every callback delivery, ms. */
  callbackDelayMs: number;
  /** Share of /tsp calls answered 500 INTERNAL_SERVER_ERROR (0-1). */
  apiErrorRate: number;
  /** Share of /tsp calls answered 429 with Retry-After (0-1). */
  apiRateLimitRate: number;
  /** Added latency on every /tsp response, ms. */
  latencyMs: number;
  /** Tokens stop working this long before their advertised expiry, ms. */
  tokenExpiresEarlyMs: number;
  /** The Retry-After value sent with an injected 429, seconds. */
  retryAfterSeconds: number;
  /**
   * Order and billing `updatedAt` stay at creation time, as in the documented ORDER_VIEW sample (`frozen` mode);
   * false: `updatedAt` moves on every change (`moves` mode). Omitted in a PUT: the mode the sandbox started with.
   */
  frozenUpdatedAt: boolean;
  /** Absent optional fields (clientOrderInfo, fulfillmentState, history times, empty actions) rendered as null. */
  nullOptionalFields: boolean;
  /**
   * Share of Order Update calls that are APPLIED and then lose their response (0-1): half of them by dropping the
   * connection, half by answering 502. The failure that makes exactly-once hard (issue 9).
   */
  updateResponseLossRate: number;
  /**
   * Share of callbacks held back `callbackLateMs` outside the order's delivery queue, so every later snapshot of that
   * order overtakes them and they arrive long stale (0-1): Pincode retrying a callback hours late (issue 10, chaos).
   */
  callbackLateRate: number;
  /** How long a late callback is held back, ms. */
  callbackLateMs: number;
}

export const NO_FAULTS: Faults = {
  callbackDropRate: 0,
  callbackDuplicateRate: 0,
  callbackReorderRate: 0,
  callbackDelayMs: 0,
  apiErrorRate: 0,
  apiRateLimitRate: 0,
  latencyMs: 0,
  tokenExpiresEarlyMs: 0,
  retryAfterSeconds: 1,
  frozenUpdatedAt: false,
  nullOptionalFields: false,
  updateResponseLossRate: 0,
  callbackLateRate: 0,
  callbackLateMs: 0,
};

const rate = z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1");
const ms = z.number().int("must be a whole number of milliseconds").min(0).max(600_000);

/** PUT /_sandbox/faults body: omitted knobs are 0 (PUT replaces the whole fault set). Unknown keys are rejected. */
export const FaultsInputSchema = z.strictObject({
  callbackDropRate: rate.optional(),
  callbackDuplicateRate: rate.optional(),
  callbackReorderRate: rate.optional(),
  callbackDelayMs: ms.optional(),
  apiErrorRate: rate.optional(),
  apiRateLimitRate: rate.optional(),
  latencyMs: ms.optional(),
  tokenExpiresEarlyMs: z.number().int().min(0).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  frozenUpdatedAt: z.boolean().optional(),
  nullOptionalFields: z.boolean().optional(),
  updateResponseLossRate: rate.optional(),
  callbackLateRate: rate.optional(),
  callbackLateMs: ms.optional(),
});

/** How `updatedAt` behaves: SANDBOX_UPDATED_AT=moves|frozen, or the `frozenUpdatedAt` fault at runtime. */
export type UpdatedAtMode = "moves" | "frozen";

export function completeFaults(input: Partial<Faults> | undefined, updatedAt: UpdatedAtMode = "moves"): Faults {
  return { ...NO_FAULTS, frozenUpdatedAt: updatedAt === "frozen", ...(input ?? {}) };
}

export type ApiFault = { kind: "rate-limit"; retryAfterSeconds: number } | { kind: "error" } | undefined;

/** How an applied Order Update loses its response. */
export type ResponseLoss = "drop-connection" | "bad-gateway" | undefined;

export interface CallbackDecision {
  drop: boolean;
  duplicate: boolean;
  reorder: boolean;
  /** Held back `callbackLateMs` outside the order's queue (callbackLateRate). */
  late: boolean;
}

/** The dice: independent seeded streams for API faults and callback faults. */
export class FaultDice {
  private api: Prng;
  private callbacks: Prng;

  constructor(private readonly seed: number) {
    this.api = mulberry32(deriveSeed(seed, "api-faults"));
    this.callbacks = mulberry32(deriveSeed(seed, "callback-faults"));
    this.updateLoss = mulberry32(deriveSeed(seed, "update-response-loss"));
    this.late = mulberry32(deriveSeed(seed, "callback-late"));
  }

  private updateLoss: Prng;
  /** Its own stream, so turning callbackLateRate on does not shift the other callback decisions. */
  private late: Prng;

  /** Whether an applied Order Update's response is lost, and how (its own stream: other rates do not shift it). */
  updateResponseLoss(faults: Faults): ResponseLoss {
    const lost = this.updateLoss.chance(faults.updateResponseLossRate);
    const drop = this.updateLoss.chance(0.5);
    if (!lost) return undefined;
    return drop ? "drop-connection" : "bad-gateway";
  }

  reset(): void {
    this.api = mulberry32(deriveSeed(this.seed, "api-faults"));
    this.callbacks = mulberry32(deriveSeed(this.seed, "callback-faults"));
    this.updateLoss = mulberry32(deriveSeed(this.seed, "update-response-loss"));
    this.late = mulberry32(deriveSeed(this.seed, "callback-late"));
  }

  apiFault(faults: Faults): ApiFault {
    // Both rolls are always taken so changing one rate does not shift the other's sequence.
    const limited = this.api.chance(faults.apiRateLimitRate);
    const failed = this.api.chance(faults.apiErrorRate);
    if (limited) return { kind: "rate-limit", retryAfterSeconds: faults.retryAfterSeconds };
    if (failed) return { kind: "error" };
    return undefined;
  }

  callback(faults: Faults): CallbackDecision {
    const drop = this.callbacks.chance(faults.callbackDropRate);
    const duplicate = this.callbacks.chance(faults.callbackDuplicateRate);
    const reorder = this.callbacks.chance(faults.callbackReorderRate);
    const late = faults.callbackLateRate > 0 && this.late.chance(faults.callbackLateRate);
    return { drop, duplicate, reorder, late };
  }
}
