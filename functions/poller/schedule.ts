/**
 * Adaptive polling (issue 13, docs/scale.md): each store's poll interval follows its need, and the scheduled fan-out
 * sends only the stores that are due, spread over the schedule's period, never more than the poll budget serves.
 * Pure functions: no I/O, no clock of their own.
 */

export interface AdaptiveSchedule {
  /** Shortest interval: a store whose callbacks seem lost, that is behind, or that was never polled. */
  minMs: number;
  /** Longest interval: a quiet store whose callbacks arrive. */
  maxMs: number;
  /** A store stays at `minMs` this long after its last missed callback. */
  missMemoryMs: number;
  /** The EventBridge schedule's period: one fan-out per tick. */
  tickMs: number;
  /** The most poll tasks one fan-out sends (the poll share of the Pincode budget over one tick). */
  maxTasksPerRun: number;
  /** Longest SQS DelaySeconds a task gets to spread it over the tick (default and at most 900, SQS's limit). */
  maxDelaySeconds?: number;
}

/** What one store's run saw in its live window. */
export interface PollObservation {
  /** Distinct order ids Order Poll reported in the live window. */
  changed: number;
  /** Of those, ids whose stored view was not touched since the window began: the callback never came. */
  missed: number;
  /** false when the run stopped before the live window's end (time budget, failure): the store is behind. */
  completed: boolean;
}

export interface StoreScheduleState {
  intervalMs?: number;
  lastMissAt?: number;
}

export type IntervalReason = "behind" | "missed" | "recent-miss" | "in-flight" | "quiet";

export interface NextInterval {
  intervalMs: number;
  lastMissAt?: number;
  reason: IntervalReason;
}

const clamp = (value: number, s: Pick<AdaptiveSchedule, "minMs" | "maxMs">) =>
  Math.min(s.maxMs, Math.max(s.minMs, Math.round(value)));

/**
 * The rule (docs/scale.md "The interval rule"):
 *  - behind (run did not reach the live window's end) -> min;
 *  - a missed callback in this run -> min, and remember when;
 *  - a missed callback within `missMemoryMs` -> min;
 *  - orders in flight, every one already delivered by its callback -> halve (not below min);
 *  - quiet -> double (not above max).
 * A store never polled before starts at min.
 */
export function nextPollInterval(
  state: StoreScheduleState,
  observation: PollObservation,
  now: number,
  s: AdaptiveSchedule,
): NextInterval {
  const previous = clamp(state.intervalMs ?? s.minMs, s);
  const keep = state.lastMissAt === undefined ? {} : { lastMissAt: state.lastMissAt };
  if (!observation.completed) return { intervalMs: s.minMs, ...keep, reason: "behind" };
  if (observation.missed > 0) return { intervalMs: s.minMs, lastMissAt: now, reason: "missed" };
  if (state.lastMissAt !== undefined && now - state.lastMissAt < s.missMemoryMs)
    return { intervalMs: s.minMs, ...keep, reason: "recent-miss" };
  if (observation.changed > 0) return { intervalMs: clamp(previous / 2, s), ...keep, reason: "in-flight" };
  return { intervalMs: clamp(previous * 2, s), ...keep, reason: "quiet" };
}

/** FNV-1a of the store id: a deterministic per-store offset in [0, periodMs), so stores never all start together. */
export function storeOffsetMs(storeId: string, periodMs: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < storeId.length; i++) {
    hash ^= storeId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return periodMs <= 0 ? 0 : hash % Math.max(1, Math.floor(periodMs));
}

/**
 * When a store is due. A store with no stored due time (never polled: added since the last run, or checkpointed by a
 * release without adaptive polling) is due at the next time, from `tickStart` on, that its offset within `periodMs`
 * comes round. `periodMs` is the minimum interval, or longer when the budget cannot poll every store once in it
 * (`firstPassPeriodMs`): 10,000 new stores spread over the time the budget needs to poll them all once, instead of
 * all being due in the first tick, and a store added through `PUT /v1/stores/{id}` is polled within one period.
 */
export function dueAtOf(storeId: string, storedDueAt: number | undefined, tickStart: number, periodMs: number) {
  if (storedDueAt !== undefined) return storedDueAt;
  const phase = storeOffsetMs(storeId, periodMs);
  return tickStart + ((((phase - tickStart) % periodMs) + periodMs) % periodMs);
}

/** The period over which never-polled stores are spread: one minimum interval, or as many ticks as the cap needs. */
export function firstPassPeriodMs(storeCount: number, s: AdaptiveSchedule): number {
  const ticks = Math.ceil(storeCount / Math.max(1, s.maxTasksPerRun));
  return Math.max(s.minMs, s.tickMs, ticks * s.tickMs);
}

export interface DueTask {
  storeId: string;
  dueAt: number;
  /** SQS DelaySeconds: spreads the tick's tasks over the tick (0..tick, at most SQS's 900 s). */
  delaySeconds: number;
}

export interface DueSelection {
  due: DueTask[];
  /** Due now but left for the next tick: the poll budget of this tick is spent. */
  deferred: number;
  /** Not due in this tick. */
  notDue: number;
}

/**
 * The stores this tick sends: due before the tick ends, the most overdue first, at most `maxTasksPerRun`. Each task
 * is delayed to its due time within the tick, or (already overdue) to its offset within the tick.
 */
export function selectDueStores(
  stores: readonly { storeId: string; dueAt?: number }[],
  tickStart: number,
  s: AdaptiveSchedule,
): DueSelection {
  const tickEnd = tickStart + s.tickMs;
  const period = firstPassPeriodMs(stores.length, s);
  const firstPolls: DueTask[] = [];
  const candidates: DueTask[] = [];
  let notDue = 0;
  for (const store of stores) {
    const dueAt = dueAtOf(store.storeId, store.dueAt, tickStart, period);
    if (dueAt >= tickEnd) {
      notDue++;
      continue;
    }
    const withinTick = dueAt > tickStart ? dueAt - tickStart : storeOffsetMs(store.storeId, s.tickMs);
    (store.dueAt === undefined ? firstPolls : candidates).push({
      storeId: store.storeId,
      dueAt,
      delaySeconds: Math.min(s.maxDelaySeconds ?? 900, 900, Math.max(0, Math.floor(withinTick / 1000))),
    });
  }
  // A store never polled comes first (nothing is known about it yet; the period keeps them within one tick's cap),
  // then the stores due again, the most overdue first.
  const byDue = (a: DueTask, b: DueTask) => a.dueAt - b.dueAt || (a.storeId < b.storeId ? -1 : 1);
  const ordered = [...firstPolls.sort(byDue), ...candidates.sort(byDue)];
  const due = ordered.slice(0, Math.max(0, s.maxTasksPerRun));
  return { due, deferred: ordered.length - due.length, notDue };
}

/**
 * How many poll tasks one tick may send: the poll share of the budget over the tick, divided by the calls one quiet
 * run makes (one live page, plus a delayed page every other run or so: 1.5).
 */
export function maxTasksPerTick(budgetPerSecond: number, tickMs: number, pollShare = 0.8, safetyFactor = 0.85) {
  return Math.max(1, Math.floor((budgetPerSecond * safetyFactor * pollShare * (tickMs / 1000)) / 1.5));
}
