/**
 * Adaptive polling (issue 13, docs/scale.md): each store's poll interval follows its need, and the scheduled fan-out
 * sends only the stores that are due, spread over the schedule's period, never more than the poll budget serves.
 * Pure functions: no I/O, no clock of their own.
 */
import { DEFAULT_SAFETY_FACTOR } from "#pincode/rate-budget.ts";

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
  /**
   * The budget-derived ceiling (`intervalCeilingMs`) is never below this (default `minMs`); the poller sets it to
   * look-back + settle, the shortest interval at which a quiet run is one call (the ceiling's premise), so a stack with
   * few stores is not polled at the minimum just because its budget could afford it.
   */
  ceilingFloorMs?: number;
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

/**
 * The share of a tick's cap the rotation of every store through the ceiling may take (and a first pass over new
 * stores): 95%, so the stores reaching their ceiling arrive at 95% of the cap and a backlog (a slow tick, a wave of
 * stores at the minimum interval) drains instead of making every later store a tick late (docs/scale.md).
 */
export const CEILING_HEADROOM = 0.95;

/** Stores the rotation serves a tick: `floor(cap × 0.95)` (872 of 918 at 20/s). */
export function rotationPerTick(s: Pick<AdaptiveSchedule, "maxTasksPerRun">): number {
  return Math.max(1, Math.floor(Math.max(1, s.maxTasksPerRun) * CEILING_HEADROOM));
}

/** The period over which never-polled stores are spread: one minimum interval, or as many ticks as the rotation needs. */
export function firstPassPeriodMs(
  storeCount: number,
  s: Pick<AdaptiveSchedule, "minMs" | "tickMs" | "maxTasksPerRun">,
): number {
  const ticks = Math.ceil(storeCount / rotationPerTick(s));
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
 * The longest any store may go unpolled (issue 13, docs/scale.md "The ceiling"): the time the poll budget needs to
 * poll every store once at one call per quiet run, `stores ÷ (maxTasksPerRun / tick)`, never below the minimum
 * interval. Every store, including one whose callbacks were never proven, is polled within it, so a lost callback's
 * order is found within it plus the settle, the scheduling and its Status Check.
 */
export function intervalCeilingMs(
  storeCount: number,
  s: Pick<AdaptiveSchedule, "minMs" | "tickMs" | "maxTasksPerRun" | "ceilingFloorMs">,
) {
  const perTick = rotationPerTick(s);
  const floor = Math.max(s.minMs, s.ceilingFloorMs ?? s.minMs);
  return Math.max(floor, Math.ceil((Math.max(1, storeCount) * s.tickMs) / perTick));
}

export interface StoreDue {
  storeId: string;
  /** The stored next due time; undefined: never polled with adaptive polling. */
  dueAt?: number;
  /** Start of the store's last run (adaptive polling); with the ceiling it bounds the next due time. */
  lastPolledAt?: number;
}

/**
 * The stores this tick sends, at most `maxTasksPerRun`, each due before the tick ends, where a store's due time is
 * its stored one or, sooner, its last run + the ceiling (`intervalCeilingMs`). Order: never-polled stores first
 * (spread over `firstPassPeriodMs`: by a per-store phase when it is the minimum interval; when the budget makes it
 * longer, all due now, at most `rotationPerTick` a tick, so a first pass runs at the rotation's pace, exactly as the
 * stores will come back at their ceiling, and none is pushed to a later round by the hash's unevenness); then the stores whose ceiling falls in this tick, the oldest first, so that
 * stores at the minimum interval (missed callbacks) cannot starve the rest past the ceiling; then the other due
 * stores, the most overdue first. Each task is delayed to its due time within the tick, or (already overdue) to its
 * offset within the tick.
 */
export function selectDueStores(stores: readonly StoreDue[], tickStart: number, s: AdaptiveSchedule): DueSelection {
  const tickEnd = tickStart + s.tickMs;
  const period = firstPassPeriodMs(stores.length, s);
  const budgetBound = period > Math.max(s.minMs, s.tickMs);
  const ceiling = intervalCeilingMs(stores.length, s);
  const firstPolls: DueTask[] = [];
  const atCeiling: DueTask[] = [];
  const candidates: DueTask[] = [];
  let notDue = 0;
  for (const store of stores) {
    const limit = store.lastPolledAt === undefined ? undefined : store.lastPolledAt + ceiling;
    const stored =
      store.dueAt === undefined && budgetBound ? tickStart : dueAtOf(store.storeId, store.dueAt, tickStart, period);
    const dueAt = limit !== undefined && store.dueAt !== undefined ? Math.min(stored, limit) : stored;
    if (dueAt >= tickEnd) {
      notDue++;
      continue;
    }
    const withinTick = dueAt > tickStart ? dueAt - tickStart : storeOffsetMs(store.storeId, s.tickMs);
    const task = {
      storeId: store.storeId,
      dueAt,
      delaySeconds: Math.min(s.maxDelaySeconds ?? 900, 900, Math.max(0, Math.floor(withinTick / 1000))),
    };
    if (store.dueAt === undefined) firstPolls.push(task);
    else if (limit !== undefined && limit < tickEnd) atCeiling.push(task);
    else candidates.push(task);
  }
  const byDue = (a: DueTask, b: DueTask) => a.dueAt - b.dueAt || (a.storeId < b.storeId ? -1 : 1);
  const byPhase = (a: DueTask, b: DueTask) =>
    storeOffsetMs(a.storeId, 1 << 30) - storeOffsetMs(b.storeId, 1 << 30) || (a.storeId < b.storeId ? -1 : 1);
  const first = budgetBound ? firstPolls.sort(byPhase).slice(0, rotationPerTick(s)) : firstPolls.sort(byDue);
  const ordered = [...first, ...atCeiling.sort(byDue), ...candidates.sort(byDue)];
  const due = ordered.slice(0, Math.max(0, s.maxTasksPerRun));
  const candidatesCount = firstPolls.length + atCeiling.length + candidates.length;
  return { due, deferred: candidatesCount - due.length, notDue };
}

/**
 * Share of the paced budget the fan-out gives polls (the rest: Status Checks and commands). docs/rate-budget.md
 * "Budget shares" has the arithmetic behind 0.85.
 */
export const POLL_SHARE = 0.85;

/**
 * How many poll tasks one tick may send: the poll share of the paced budget over the tick, at one call per quiet run
 * (a quiet run pages the delayed pass and its live window as one window once its interval reaches the look-back:
 * poll-store.ts planSegments). The same figure sets the ceiling (`intervalCeilingMs`).
 */
export function maxTasksPerTick(
  budgetPerSecond: number,
  tickMs: number,
  pollShare = POLL_SHARE,
  safetyFactor = DEFAULT_SAFETY_FACTOR,
) {
  // 1e-9: 20 x 0.9 x 0.85 x 60 is 917.99999... in binary floating point.
  return Math.max(1, Math.floor(budgetPerSecond * safetyFactor * pollShare * (tickMs / 1000) + 1e-9));
}
