/**
 * One store's reconciliation run (DESIGN.md flow 2): page Order Poll over [windowEnd - lookback, now - settle] and
 * put one `order.changed` message per changed order on the events queue; the processor resolves each through Status
 * Check. Progress is saved after every page, so a run that runs out of time (or fails) resumes at its cursor.
 *
 * PINCODE-API A9: the end-of-pages signal, inclusive bounds and the filtered timestamp are undocumented, so every
 * moment is paged a second time once it is at least `lookback` old (the delayed pass, issue 13) and ids are
 * de-duplicated within a run; duplicates across runs are harmless downstream.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { countMetric, dimensionedMetric } from "#adapters/metric-helpers.ts";
import { MetricUnit } from "#adapters/observability.ts";
import type { OrderRepository, SyncState } from "#adapters/order-repository.ts";
import type { PollCheckpoint, PollCheckpointRepository, StoreSchedule } from "#adapters/poll-checkpoint-repository.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import { newEventsMessage, type OrderChangedMessage } from "#core/messages.ts";
import type { CallOptions, PollOrdersParams, PollOrdersResult } from "#pincode/client.ts";
import { PincodeApiError, PincodeAuthError } from "#pincode/errors.ts";
import { type AdaptiveSchedule, type IntervalReason, nextPollInterval } from "./schedule.ts";

/** The one Pincode call the poller makes; the real PincodeClient satisfies it. */
export interface OrderPoller {
  pollOrders(params: PollOrdersParams, options?: CallOptions): Promise<PollOrdersResult>;
}

export interface PollSettings {
  /** Each moment is paged again once it is this old (the delayed pass catches changes Pincode indexed late, A9). */
  lookbackMs: number;
  /** A window ends this far before now, so changes still being written on Pincode's side are not missed. */
  settleMs: number;
  /** Order Poll `size`, 1..10 (order-poll-api.txt). */
  pageSize: number;
  /** Longest a store's run may page before it saves its cursor and stops. */
  timeBudgetMs: number;
  /** Where a store polled for the first time starts: now - initialLookbackMs. */
  initialLookbackMs: number;
  /** Longest window one run asks for; a store far behind catches up over several runs. */
  maxWindowMs: number;
  /** Time kept back from the Lambda's remaining time (and added to the lease) for the last page and the save. */
  safetyMarginMs: number;
  /** Adaptive polling (issue 13): absent, every scheduled run polls every store, as before. */
  adaptive?: AdaptiveSchedule;
}

export const DEFAULT_POLL_SETTINGS: PollSettings = {
  lookbackMs: 10 * 60_000,
  settleMs: 30_000,
  pageSize: 10,
  timeBudgetMs: 45_000,
  initialLookbackMs: 24 * 3_600_000,
  maxWindowMs: 24 * 3_600_000,
  safetyMarginMs: 5_000,
};

export interface PollStoreDeps {
  checkpoints: PollCheckpointRepository;
  orders: Pick<OrderRepository, "getSyncState">;
  queue: QueuePublisher;
  eventsQueueUrl: string;
  pincode: OrderPoller;
  settings: PollSettings;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
}

export interface PollStoreResult {
  storeId: string;
  /** false: another task holds the store's lease, nothing was done. */
  leased: boolean;
  /** true when the new window was paged to its end (windowEnd advanced). */
  completed: boolean;
  segments: { kind: SegmentKind; from: number; to: number; resumed: boolean; done: boolean; liveFrom?: number }[];
  pages: number;
  /** Distinct order ids seen in this run. */
  orderIds: number;
  enqueued: number;
  /** Ids whose stored view was already synced after the segment end: no Status Check needed. */
  skippedFresh: number;
  /** now - windowEnd after the run. */
  lagMs?: number;
  /** Distinct ids in the live window, and those of them whose callback never came (adaptive polling's signals). */
  changed: number;
  missed: number;
  /** Adaptive polling: the interval chosen for the store and why (docs/scale.md). */
  schedule?: { intervalMs: number; nextDueAt: number; reason: IntervalReason };
  /** The task was older than the store's last run: nothing was done. */
  alreadyPolled?: boolean;
}

/**
 * `new` pages from the last window end to now - settle (live). `delayed` pages again what was paged live before it was
 * a look-back old, once it is (changes Pincode indexed late, A9): each moment is paged at most twice, instead of being
 * re-paged by every run's look-back overlap (issue 11 measured 1.11x the minimum calls with that overlap). They are
 * paged separately so an id seen only in the delayed pass carries the older `observedAt`: a view synced after it
 * (typically by the Status Check the live pass caused) needs no second check. Checkpoints written before this read
 * `overlap` cursors as `delayed` ones (same meaning: a range at or before the window end).
 */
export type SegmentKind = "delayed" | "new";

export interface Segment {
  kind: SegmentKind;
  from: number;
  to: number;
  cursor: string | undefined;
  resumed: boolean;
  /**
   * A `new` segment that also pages the delayed pass (`from` = recheckedTo < windowEnd = `liveFrom`): the two were
   * contiguous and the live windows since `from` returned no ids (`busyTo`), so one Order Poll window serves both and a
   * quiet run costs one call (issue 13) without re-checking an order. Absent: the segment is live from `from`.
   */
  liveFrom?: number;
}

/** Where the delayed pass stands; an item written before issue 13 has none: its last look-back is re-paged once. */
export function recheckedToOf(checkpoint: PollCheckpoint | undefined, settings: Pick<PollSettings, "lookbackMs">) {
  if (checkpoint?.recheckedTo !== undefined) return checkpoint.recheckedTo;
  if (checkpoint?.windowEnd === undefined) return undefined;
  return Math.max(0, checkpoint.windowEnd - settings.lookbackMs);
}

/**
 * What this run pages, in order: a saved unfinished segment first, else the delayed pass (when due) and then the new
 * window. The delayed pass waits until at least one look-back of time has become a look-back old, so with runs more
 * frequent than the look-back most runs make no delayed call, and one delayed page covers many runs' windows.
 */
export function planSegments(checkpoint: PollCheckpoint | undefined, now: number, settings: PollSettings): Segment[] {
  const segments: Segment[] = [];
  const windowEnd = checkpoint?.windowEnd;
  if (checkpoint?.cursor && checkpoint.cursorFrom !== undefined && checkpoint.cursorTo !== undefined) {
    const kind: SegmentKind = windowEnd !== undefined && checkpoint.cursorTo <= windowEnd ? "delayed" : "new";
    // A merged window resumes as one: its live part starts at the stored windowEnd.
    const merged = kind === "new" && windowEnd !== undefined && checkpoint.cursorFrom < windowEnd;
    segments.push({
      kind,
      from: checkpoint.cursorFrom,
      to: checkpoint.cursorTo,
      cursor: checkpoint.cursor,
      resumed: true,
      ...(merged ? { liveFrom: windowEnd } : {}),
    });
    if (kind === "new") return segments;
  } else if (windowEnd !== undefined && settings.lookbackMs > 0) {
    const from = Math.min(recheckedToOf(checkpoint, settings) ?? windowEnd, windowEnd);
    const to = Math.min(windowEnd, now - settings.lookbackMs);
    const liveTo = Math.min(now - settings.settleMs, windowEnd + settings.maxWindowMs);
    // Merged only when no live window since `from` returned ids (absent busyTo: an item written before it, read as
    // quiet): then every id found needs its check anyway, and none was checked by an earlier live pass.
    const quiet = checkpoint?.busyTo === undefined || checkpoint.busyTo <= from;
    if (to === windowEnd && from < windowEnd && liveTo > windowEnd && quiet) {
      // Contiguous (the whole live window's predecessor is already a look-back old): one window for both passes.
      // Its ids carry the merged window's end as observedAt, the conservative choice (docs/scale.md "Merged window").
      return [{ kind: "new", from, to: liveTo, cursor: undefined, resumed: false, liveFrom: windowEnd }];
    }
    if (to - from >= settings.lookbackMs)
      segments.push({ kind: "delayed", from, to, cursor: undefined, resumed: false });
  }
  const from = windowEnd ?? Math.max(0, now - settings.initialLookbackMs);
  const to = Math.min(now - settings.settleMs, from + settings.maxWindowMs);
  if (to > from) segments.push({ kind: "new", from, to, cursor: undefined, resumed: false });
  return segments;
}

/** A final 4xx for the request itself (not throttling, not auth: the client handles those). */
const isRefusal = (error: unknown): error is PincodeApiError =>
  error instanceof PincodeApiError &&
  !(error instanceof PincodeAuthError) &&
  !error.retryable &&
  error.status >= 400 &&
  error.status < 500;

export async function pollStore(
  deps: PollStoreDeps,
  storeId: string,
  budgetMs: number,
  options: { scheduledAt?: number } = {},
): Promise<PollStoreResult> {
  const { checkpoints, settings, logger, metrics, now } = deps;
  const startedAt = now();
  const owner = randomUUID();
  const result: PollStoreResult = {
    storeId,
    leased: false,
    completed: false,
    segments: [],
    pages: 0,
    orderIds: 0,
    enqueued: 0,
    skippedFresh: 0,
    changed: 0,
    missed: 0,
  };

  const checkpoint = await checkpoints.acquireLease(
    storeId,
    owner,
    startedAt,
    startedAt + budgetMs + settings.safetyMarginMs,
  );
  if (!checkpoint) {
    countMetric(metrics, "PollTasksSkippedLeased");
    logger.info("store is being polled by another task; skipped", { storeId });
    return result;
  }
  result.leased = true;
  const adaptive = settings.adaptive;
  if (adaptive && options.scheduledAt !== undefined && (checkpoint.lastPolledAt ?? -1) >= options.scheduledAt) {
    // A task fanned out again while an earlier one waited (queue backlog): the store was polled since; skip it.
    result.alreadyPolled = true;
    countMetric(metrics, "PollTasksSkippedAlreadyPolled");
    await checkpoints.releaseLease(storeId, owner).catch(() => undefined);
    return result;
  }
  let windowEnd = checkpoint.windowEnd;
  let recheckedTo = recheckedToOf(checkpoint, settings);
  /** Order id -> the latest observedAt already queued for it in this run (de-duplication within the run). */
  const queued = new Map<string, number>();
  const seen = new Set<string>();
  const liveIds = new Set<string>();
  let schedule: StoreSchedule | undefined;

  const budgetSpent = () => now() - startedAt >= budgetMs;
  // Retries and Retry-After waits of the client (45 s deadline) would otherwise run past leaseUntil: a second task
  // could take the store and page it concurrently, or the function could time out mid-page.
  const callsEndBy = startedAt + budgetMs + settings.safetyMarginMs / 2;

  try {
    const segments = planSegments(checkpoint, startedAt, settings);
    if (segments.length === 0) logger.debug("no new window to poll yet", { storeId, windowEnd });

    for (const segment of segments) {
      const report = {
        kind: segment.kind,
        from: segment.from,
        to: segment.to,
        resumed: segment.resumed,
        done: false,
        ...(segment.liveFrom !== undefined ? { liveFrom: segment.liveFrom } : {}),
      };
      result.segments.push(report);
      let cursor = segment.cursor;
      let restarted = false;
      // A resumed live window had a full page in an earlier run; counted as busy (busyTo) like one returning ids now.
      let busy = segment.kind === "new" && segment.resumed;
      for (;;) {
        if (budgetSpent()) break;
        let page: PollOrdersResult;
        try {
          page = await deps.pincode.pollOrders(
            {
              serviceProviderId: storeId,
              fromTimestamp: segment.from,
              toTimestamp: segment.to,
              sortOrder: "ASC",
              size: settings.pageSize,
              ...(cursor ? { nextPage: cursor } : {}),
            },
            // The page must end inside the lease (and the Lambda's time), with half the margin left to queue and save.
            { timeLeftMs: Math.max(0, callsEndBy - now()) },
          );
        } catch (error) {
          // A9: a cursor's lifetime is undocumented. One Pincode refuses (4xx) would fail every later run of this
          // store, so the segment starts again from its first page; its ids are queued again, which is harmless.
          if (!cursor || restarted || !isRefusal(error)) throw error;
          logger.warn("Order Poll refused the saved cursor; restarting the segment from its first page", {
            storeId,
            status: error.status,
            errorCode: error.errorCode ?? null,
          });
          cursor = undefined;
          restarted = true;
          continue;
        }
        result.pages += 1;
        for (const id of page.orderIds) seen.add(id);
        if (page.orderIds.length > 0) busy = true;

        const candidates = [...new Set(page.orderIds)].filter((id) => (queued.get(id) ?? -1) < segment.to);
        // A view synced at or after the segment end already reflects every change in the segment.
        const synced =
          candidates.length > 0 ? await deps.orders.getSyncState(candidates) : new Map<string, SyncState>();
        const toCheck = candidates.filter((id) => (synced.get(id)?.syncedAt ?? Number.NEGATIVE_INFINITY) < segment.to);
        if (segment.kind === "new") {
          // Callback health (adaptive polling): a live change whose view was neither written nor synced since the live
          // window began was not delivered by its callback. The write time counts because a callback's content may
          // carry no time inside the window (updatedAt frozen, as in Pincode's ORDER_VIEW sample, §3.2). A signal for
          // the schedule only; the Status Check decision above stays on the sync bound.
          // Order Poll gives no change times, so in a merged window an id may come from its delayed part (a change
          // its earlier live pass already saw): it counts as missed only when its view is older than the merged
          // window's start (or absent: a new order whose callback never came). A change of a known order in the live
          // part whose view is younger than that is not counted: the store is then polled as quiet, within the
          // ceiling (docs/scale.md "Merged window").
          for (const id of candidates) {
            if (liveIds.has(id)) continue;
            liveIds.add(id);
            if ((synced.get(id)?.touchedAt ?? Number.NEGATIVE_INFINITY) < segment.from) result.missed += 1;
          }
        }
        result.skippedFresh += candidates.length - toCheck.length;
        if (toCheck.length > 0) {
          const at = now();
          await deps.queue.sendAll(
            deps.eventsQueueUrl,
            toCheck.map((orderId) =>
              newEventsMessage<OrderChangedMessage>(
                { kind: "order.changed", source: "poll", orderId, storeId, observedAt: segment.to },
                at,
              ),
            ),
          );
          for (const id of toCheck) queued.set(id, segment.to);
          result.enqueued += toCheck.length;
        }

        // A9: a cursor that does not move would page forever; treat it as the last page.
        const next = page.nextPage && page.nextPage !== cursor ? page.nextPage : null;
        if (page.nextPage && !next)
          logger.warn("Order Poll returned the same cursor again; segment closed", { storeId });
        if (!next) {
          if (segment.kind === "delayed") {
            await checkpoints.completeRecheck(storeId, owner, segment.to, now());
            recheckedTo = segment.to;
          } else {
            // The part of the live window that was already a look-back old counts as rechecked, when contiguous.
            const contiguous = recheckedTo === undefined || recheckedTo >= segment.from;
            const rechecked = contiguous
              ? Math.max(recheckedTo ?? 0, Math.min(segment.to, startedAt - settings.lookbackMs))
              : undefined;
            // busyTo: this window's ids were checked against its end; a later delayed pass over it pages on its own.
            const busyTo = busy ? segment.to : undefined;
            await checkpoints.completeWindow(storeId, owner, segment.to, now(), rechecked, busyTo);
            if (rechecked !== undefined) recheckedTo = rechecked;
            windowEnd = Math.max(windowEnd ?? segment.to, segment.to);
            result.completed = true;
            countMetric(metrics, "PollWindowsCompleted");
          }
          report.done = true;
          break;
        }
        // Saved only after the page's messages are queued: a crash in between re-queues the page (harmless).
        cursor = next;
        await checkpoints.saveCursor(storeId, owner, { cursor, from: segment.from, to: segment.to }, now());
      }
      if (!report.done) {
        countMetric(metrics, "PollBudgetExhausted");
        logger.info("time budget spent; the next run resumes at the saved cursor", { storeId, pages: result.pages });
        break;
      }
    }
    if (adaptive) {
      const at = now();
      const next = nextPollInterval(
        {
          ...(checkpoint.intervalMs !== undefined ? { intervalMs: checkpoint.intervalMs } : {}),
          ...(checkpoint.lastMissAt !== undefined ? { lastMissAt: checkpoint.lastMissAt } : {}),
        },
        { changed: liveIds.size, missed: result.missed, completed: result.completed },
        at,
        adaptive,
      );
      result.changed = liveIds.size;
      // Due one interval after this run started, so a run's own length does not stretch the interval.
      schedule = {
        intervalMs: next.intervalMs,
        nextDueAt: startedAt + next.intervalMs,
        lastPolledAt: startedAt,
        ...(next.lastMissAt !== undefined ? { lastMissAt: next.lastMissAt } : {}),
      };
      result.schedule = { intervalMs: next.intervalMs, nextDueAt: schedule.nextDueAt, reason: next.reason };
    }
    return result;
  } finally {
    result.orderIds = seen.size;
    result.changed = liveIds.size;
    await checkpoints.releaseLease(storeId, owner, schedule).catch((error: unknown) => {
      // The lease expires on its own; a failed release only delays the next run of this store.
      logger.warn("could not release the poll lease", { storeId, reason: String(error) });
    });
    const lagFrom = windowEnd ?? result.segments[0]?.from;
    if (lagFrom !== undefined) {
      result.lagMs = Math.max(0, now() - lagFrom);
      dimensionedMetric(metrics, "PollLagMs", { storeId }, result.lagMs, MetricUnit.Milliseconds);
    }
    countMetric(metrics, "PollPages", result.pages);
    countMetric(metrics, "PollOrderIds", result.orderIds);
    countMetric(metrics, "PollIdsSkippedFresh", result.skippedFresh);
  }
}
