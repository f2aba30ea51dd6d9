/**
 * One Pincode rate budget for the whole stack, whatever the concurrency (docs/rate-budget.md).
 *
 * PINCODE-API A8: Pincode rate-limits poll and status check, publishes no numbers and blacklists abusers; a
 * per-container throttle (throttle.ts) lets N containers send N times the rate. Here every caller, in any container,
 * reserves a send time from a shared pacing schedule (GCRA: a "theoretical arrival time" per bucket, advanced by one
 * interval per call) kept in a PacingStore (DynamoDB in production: functions/adapters/rate-budget-store.ts). Sends
 * are spaced at least one interval apart across the whole stack, so every one-second window holds at most the budget.
 *
 * Commands first: a background caller (poll, Status Check) only reserves a slot when the schedule's tail is at most
 * `backgroundHorizonMs` ahead of now; otherwise it waits without reserving. A command reserves up to its own
 * deadline. So a command never queues behind more than `backgroundHorizonMs` of reconciliation traffic.
 */
import type { ThrottleFamily } from "./throttle.ts";

export type CallPriority = "command" | "background";

export interface RateGateRequest {
  family: ThrottleFamily;
  priority: CallPriority;
  /** Epoch ms after which the caller no longer wants to send. */
  deadline: number;
}

/** What the Pincode client asks before every HTTP attempt (PincodeClientConfig.rateGate). */
export interface RateGate {
  /** Resolves when the caller may send; rejects with RateBudgetDeadlineError when that would be after `deadline`. */
  acquire(request: RateGateRequest): Promise<void>;
}

export class RateBudgetDeadlineError extends Error {
  constructor(
    readonly family: ThrottleFamily,
    readonly priority: CallPriority,
  ) {
    super(`no ${family} rate budget for a ${priority} call before its deadline`);
    this.name = "RateBudgetDeadlineError";
  }
}

/** A reserved send time, or "the schedule is too full for you: try again at retryAt" (nothing reserved). */
export type PacingReservation = { slot: number } | { retryAt: number };

export interface PacingReserveInput {
  /** Bucket key, e.g. `pincode:total` or `pincode:poll`. */
  key: string;
  /** The slot may not be earlier than this (epoch ms). */
  notBefore: number;
  /** Spacing between two slots of this bucket, ms. */
  intervalMs: number;
  /** Reserve only a slot at or before this time (epoch ms); otherwise answer retryAt. */
  latestSlot: number;
}

/** The shared schedule: reserve atomically the next free slot of a bucket. */
export interface PacingStore {
  reserve(input: PacingReserveInput): Promise<PacingReservation>;
}

/** Called once per granted acquire: how long the caller waited for budget (metrics, the scale simulation). */
export type BudgetWaitSink = (event: { family: ThrottleFamily; priority: CallPriority; waitMs: number }) => void;

export interface SharedRateBudgetOptions {
  /** Calls per second for all families together; undefined = no total limit. */
  perSecond?: number;
  /** Calls per second per family, on top of the total. */
  families?: Partial<Record<ThrottleFamily, number>>;
  store: PacingStore;
  /** Prefix of the bucket keys (one schedule per Pincode credential / stage). Default `pincode`. */
  scope?: string;
  /**
   * Share of the budget actually paced (default 0.9): the rest absorbs timer lateness, network jitter and clock
   * skew between containers, so Pincode never sees more than the budget in a one-second window.
   */
  safetyFactor?: number;
  /** How far ahead of now a background caller may reserve (default 250 ms). */
  backgroundHorizonMs?: number;
  /** A caller that reaches its slot later than this gives it up and reserves again (default 60 ms). */
  lateToleranceMs?: number;
  onWait?: BudgetWaitSink;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface SharedRateBudgetCounters {
  granted: number;
  /** Background callers told to come back later (the schedule was full beyond their horizon). */
  deferred: number;
  /** Slots reserved in one bucket and given up because another bucket put the call later. */
  wastedSlots: number;
  /** Slots given up because the caller got to them more than `lateToleranceMs` late. */
  lateSlots: number;
  /** Of those, slots whose reservation answer itself came back after the slot (the store's round trip was slow). */
  lateAnswers: number;
  /** Longest wait for budget seen, by priority, ms. */
  maxWaitMs: Record<CallPriority, number>;
}

const MAX_ROUNDS = 6;
/**
 * 90%: at 20/s one slot every 56 ms, and 21 calls fit in a one-second window only when some call goes out
 * 20 x 56 - 1000 = 120 ms later than its slot relative to the others: 60 ms of our own lateness (lateToleranceMs),
 * 14 ms of family slack, 46 ms for the network and clock skew (docs/rate-budget.md "Safety factor").
 */
export const DEFAULT_SAFETY_FACTOR = 0.9;
/** The reservation lead never exceeds this (ms). */
const MAX_LEAD_MS = 250;
const MAX_DEFER_SPREAD_MS = 2_000;

export class SharedRateBudget implements RateGate {
  private readonly buckets: Partial<Record<ThrottleFamily | "total", { key: string; intervalMs: number }>> = {};
  private readonly store: PacingStore;
  private readonly horizonMs: number;
  private readonly slackMs: number;
  private readonly lateToleranceMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly onWait: BudgetWaitSink | undefined;
  readonly counters: SharedRateBudgetCounters = {
    granted: 0,
    deferred: 0,
    wastedSlots: 0,
    lateSlots: 0,
    lateAnswers: 0,
    maxWaitMs: { command: 0, background: 0 },
  };
  /**
   * How long a reservation's round trip takes (fast up, slow down). A caller asks for a slot no earlier than now +
   * this, so the answer arrives before the slot instead of after it: with an idle schedule a slot at "now" is
   * already late when a slow store answers, and a caller would give it up and reserve again, over and over (the
   * commands' wait at 10,000 stores, issue 13). Waiting the lead keeps every slot's meaning; it only starts later.
   */
  private reserveLatencyMs = 0;

  constructor(options: SharedRateBudgetOptions) {
    const safety = options.safetyFactor ?? DEFAULT_SAFETY_FACTOR;
    if (!(safety > 0 && safety <= 1)) throw new Error("safetyFactor must be in (0, 1]");
    const scope = options.scope ?? "pincode";
    const interval = (perSecond: number) => {
      if (!(perSecond > 0)) throw new Error(`rate must be > 0 calls per second, got ${perSecond}`);
      return Math.ceil(1000 / (perSecond * safety));
    };
    if (options.perSecond !== undefined) {
      this.buckets.total = { key: `${scope}:total`, intervalMs: interval(options.perSecond) };
    }
    for (const [family, rate] of Object.entries(options.families ?? {}) as [ThrottleFamily, number][]) {
      this.buckets[family] = { key: `${scope}:${family}`, intervalMs: interval(rate) };
    }
    this.store = options.store;
    this.horizonMs = options.backgroundHorizonMs ?? 250;
    const intervals = Object.values(this.buckets).map((b) => b.intervalMs);
    // Two buckets rarely give the same slot; a call may go this much after its slot in one of them.
    this.slackMs = intervals.length > 0 ? Math.floor(Math.min(...intervals) / 4) : 0;
    // Part of the jitter the safety margin absorbs (120 ms at 0.9); the rest is for the network and clock skew.
    this.lateToleranceMs = options.lateToleranceMs ?? 60;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.onWait = options.onWait;
  }

  /** The spacing paced per bucket, ms (for docs, metrics and tests). */
  intervals(): Partial<Record<ThrottleFamily | "total", number>> {
    return Object.fromEntries(Object.entries(this.buckets).map(([k, b]) => [k, b.intervalMs]));
  }

  async acquire(request: RateGateRequest): Promise<void> {
    const buckets = [this.buckets[request.family], this.buckets.total].filter((b) => b !== undefined);
    if (buckets.length === 0) return;
    const startedAt = this.now();
    let deferrals = 0;
    for (;;) {
      const now = this.now();
      if (now >= request.deadline) throw new RateBudgetDeadlineError(request.family, request.priority);
      const lead = Math.min(MAX_LEAD_MS, Math.ceil(this.reserveLatencyMs), Math.max(0, request.deadline - now));
      // The horizon counts from the earliest slot this caller can use (now + lead), not from now: otherwise a lead as
      // long as the horizon would leave a background caller no slot at all.
      const latest =
        request.priority === "command" ? request.deadline : Math.min(request.deadline, now + lead + this.horizonMs);
      const asked = this.now();
      const outcome = await this.reserveAll(buckets, now + lead, latest);
      const answered = this.now();
      const took = Math.max(0, answered - asked);
      this.reserveLatencyMs = took > this.reserveLatencyMs ? took : this.reserveLatencyMs * 0.9 + took * 0.1;
      if ("sendAt" in outcome) {
        const wait = outcome.sendAt - this.now();
        if (wait > 0) await this.sleep(wait);
        // Woken (or answered) too late: sending now could land together with the calls of the next slots. Give the
        // slot up and take a new one; a stalled process (GC, CPU starvation) must not turn into a burst at Pincode.
        if (this.now() - outcome.sendAt > this.lateToleranceMs) {
          this.counters.lateSlots += 1;
          if (answered - outcome.sendAt > this.lateToleranceMs) this.counters.lateAnswers += 1;
          continue;
        }
        const waited = Math.max(0, this.now() - startedAt);
        this.counters.granted += 1;
        if (waited > this.counters.maxWaitMs[request.priority]) this.counters.maxWaitMs[request.priority] = waited;
        try {
          this.onWait?.({ family: request.family, priority: request.priority, waitMs: waited });
        } catch {
          // a metrics sink must not fail the call
        }
        return;
      }
      this.counters.deferred += 1;
      deferrals += 1;
      // Only one deferred caller gets each freed slot: the others' retries spread out exponentially (full jitter),
      // so N waiters cost O(log) requests each instead of one per slot.
      const base = 2 * Math.min(...buckets.map((b) => b.intervalMs));
      const spread = Math.min(MAX_DEFER_SPREAD_MS, base * 2 ** Math.min(deferrals, 10));
      const retryAt = Math.max(outcome.retryAt, this.now()) + this.random() * spread;
      if (retryAt >= request.deadline) throw new RateBudgetDeadlineError(request.family, request.priority);
      await this.sleep(Math.max(1, retryAt - this.now()));
    }
  }

  /**
   * Reserves one slot in every bucket such that all slots lie within `slackMs` before one send time. A bucket whose
   * slot is too early for the others is reserved again at the later time (the early slot is wasted, never reused).
   */
  private async reserveAll(
    buckets: { key: string; intervalMs: number }[],
    now: number,
    latest: number,
  ): Promise<{ sendAt: number } | { retryAt: number }> {
    const slots = new Map<string, number>();
    let sendAt = now;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      for (const bucket of buckets) {
        const slot = slots.get(bucket.key);
        if (slot !== undefined && sendAt - slot <= this.slackMs) continue;
        if (slot !== undefined) this.counters.wastedSlots += 1;
        if (sendAt > latest) return { retryAt: sendAt - (latest - now) };
        const answer = await this.store.reserve({
          key: bucket.key,
          notBefore: sendAt,
          intervalMs: bucket.intervalMs,
          latestSlot: latest,
        });
        if ("retryAt" in answer) return answer;
        slots.set(bucket.key, answer.slot);
        if (answer.slot > sendAt) sendAt = answer.slot;
      }
      if (buckets.every((b) => sendAt - (slots.get(b.key) ?? Number.NEGATIVE_INFINITY) <= this.slackMs)) {
        return { sendAt };
      }
    }
    return { retryAt: sendAt };
  }
}

/** `poll:5,status:10` -> { poll: 5, status: 10 }. Throws naming `name` and the expected form. */
export function parseFamilyRates(raw: string | undefined, name: string): Partial<Record<ThrottleFamily, number>> {
  const families = ["poll", "status", "update", "catalog"];
  const out: Partial<Record<ThrottleFamily, number>> = {};
  if (!raw || raw.trim() === "") return out;
  for (const entry of raw.split(",")) {
    const [key, value, extra] = entry.split(":").map((s) => s.trim());
    if (!key || !families.includes(key) || extra !== undefined) {
      throw new Error(
        `${name}: each entry must be <family>:<calls per second> with family one of ${families.join(", ")}`,
      );
    }
    const rate = Number(value);
    if (!value || !Number.isFinite(rate) || rate <= 0) {
      throw new Error(`${name}: the rate of '${key}' must be a number of calls per second > 0`);
    }
    out[key as ThrottleFamily] = rate;
  }
  return out;
}

/** The priority a call gets when its caller names none: seller actions (update, catalog) first. */
export function defaultPriority(family: ThrottleFamily): CallPriority {
  return family === "update" || family === "catalog" ? "command" : "background";
}

/**
 * The same schedule in this process's memory: for a single process (tests, a simulation), never for Lambda, where
 * every container would have its own.
 */
export class MemoryPacingStore implements PacingStore {
  private readonly tat = new Map<string, number>();
  reservations = 0;

  async reserve(input: PacingReserveInput): Promise<PacingReservation> {
    const tat = this.tat.get(input.key);
    if (tat === undefined || tat < input.notBefore) {
      this.tat.set(input.key, input.notBefore + input.intervalMs);
      this.reservations += 1;
      return { slot: input.notBefore };
    }
    if (tat > input.latestSlot)
      return { retryAt: tat - (input.latestSlot - Math.min(input.latestSlot, input.notBefore)) };
    this.tat.set(input.key, tat + input.intervalMs);
    this.reservations += 1;
    return { slot: tat };
  }
}
