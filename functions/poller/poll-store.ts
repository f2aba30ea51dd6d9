/**
 * One store's reconciliation run (DESIGN.md flow 2): page Order Poll over [windowEnd - lookback, now - settle] and
 * put one `order.changed` message per changed order on the events queue; the processor resolves each through Status
 * Check. Progress is saved after every page, so a run that runs out of time (or fails) resumes at its cursor.
 *
 * PINCODE-API A9: the end-of-pages signal, inclusive bounds and the filtered timestamp are undocumented, so windows
 * overlap by `lookback` and ids are de-duplicated within a run; duplicates across runs are harmless downstream.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { countMetric, dimensionedMetric } from "#adapters/metric-helpers.ts";
import { MetricUnit } from "#adapters/observability.ts";
import type { OrderRepository } from "#adapters/order-repository.ts";
import type { PollCheckpoint, PollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import { newEventsMessage, type OrderChangedMessage } from "#core/messages.ts";
import type { CallOptions, PollOrdersParams, PollOrdersResult } from "#pincode/client.ts";
import { PincodeApiError, PincodeAuthError } from "#pincode/errors.ts";

/** The one Pincode call the poller makes; the real PincodeClient satisfies it. */
export interface OrderPoller {
  pollOrders(params: PollOrdersParams, options?: CallOptions): Promise<PollOrdersResult>;
}

export interface PollSettings {
  /** Each window starts this far before the previous window's end (overlap, A9). */
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
  orders: Pick<OrderRepository, "getSyncedAt">;
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
  segments: { kind: SegmentKind; from: number; to: number; resumed: boolean; done: boolean }[];
  pages: number;
  /** Distinct order ids seen in this run. */
  orderIds: number;
  enqueued: number;
  /** Ids whose stored view was already synced after the segment end: no Status Check needed. */
  skippedFresh: number;
  /** now - windowEnd after the run. */
  lagMs?: number;
}

/**
 * `overlap` re-pages the look-back before the last window end (changes Pincode indexed late, A9); `new` pages from the
 * last window end to now - settle. They are paged separately so an id seen only in the overlap carries the older
 * `observedAt`: a view synced after it (typically by the previous run's Status Check) needs no second check.
 */
export type SegmentKind = "overlap" | "new";

export interface Segment {
  kind: SegmentKind;
  from: number;
  to: number;
  cursor: string | undefined;
  resumed: boolean;
}

/** What this run pages, in order: a saved unfinished segment first, else the overlap and then the new window. */
export function planSegments(checkpoint: PollCheckpoint | undefined, now: number, settings: PollSettings): Segment[] {
  const segments: Segment[] = [];
  const windowEnd = checkpoint?.windowEnd;
  if (checkpoint?.cursor && checkpoint.cursorFrom !== undefined && checkpoint.cursorTo !== undefined) {
    const kind: SegmentKind = windowEnd !== undefined && checkpoint.cursorTo <= windowEnd ? "overlap" : "new";
    segments.push({
      kind,
      from: checkpoint.cursorFrom,
      to: checkpoint.cursorTo,
      cursor: checkpoint.cursor,
      resumed: true,
    });
    if (kind === "new") return segments;
  } else if (windowEnd !== undefined && settings.lookbackMs > 0 && checkpoint?.overlapDoneFor !== windowEnd) {
    segments.push({
      kind: "overlap",
      from: Math.max(0, windowEnd - settings.lookbackMs),
      to: windowEnd,
      cursor: undefined,
      resumed: false,
    });
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

export async function pollStore(deps: PollStoreDeps, storeId: string, budgetMs: number): Promise<PollStoreResult> {
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
  let windowEnd = checkpoint.windowEnd;
  /** Order id -> the latest observedAt already queued for it in this run (de-duplication within the run). */
  const queued = new Map<string, number>();
  const seen = new Set<string>();

  const budgetSpent = () => now() - startedAt >= budgetMs;
  // Retries and Retry-After waits of the client (45 s deadline) would otherwise run past leaseUntil: a second task
  // could take the store and page it concurrently, or the function could time out mid-page.
  const callsEndBy = startedAt + budgetMs + settings.safetyMarginMs / 2;

  try {
    const segments = planSegments(checkpoint, startedAt, settings);
    if (segments.length === 0) logger.debug("no new window to poll yet", { storeId, windowEnd });

    for (const segment of segments) {
      const report = { kind: segment.kind, from: segment.from, to: segment.to, resumed: segment.resumed, done: false };
      result.segments.push(report);
      let cursor = segment.cursor;
      let restarted = false;
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

        const candidates = [...new Set(page.orderIds)].filter((id) => (queued.get(id) ?? -1) < segment.to);
        // A view synced at or after the segment end already reflects every change in the segment.
        const syncedAt = candidates.length > 0 ? await deps.orders.getSyncedAt(candidates) : new Map<string, number>();
        const toCheck = candidates.filter((id) => (syncedAt.get(id) ?? Number.NEGATIVE_INFINITY) < segment.to);
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
          if (segment.kind === "overlap") {
            await checkpoints.completeOverlap(storeId, owner, segment.to, now());
          } else {
            await checkpoints.completeWindow(storeId, owner, segment.to, now());
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
    return result;
  } finally {
    result.orderIds = seen.size;
    await checkpoints.releaseLease(storeId, owner).catch((error: unknown) => {
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
