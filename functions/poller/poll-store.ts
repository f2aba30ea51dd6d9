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
import type { PollOrdersParams, PollOrdersResult } from "#pincode/client.ts";

/** The one Pincode call the poller makes; the real PincodeClient satisfies it. */
export interface OrderPoller {
  pollOrders(params: PollOrdersParams): Promise<PollOrdersResult>;
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
  /** true when the window was paged to its end (windowEnd advanced). */
  completed: boolean;
  window?: { from: number; to: number; resumed: boolean };
  pages: number;
  /** Distinct order ids seen in this run. */
  orderIds: number;
  enqueued: number;
  /** Ids whose stored view was already synced after the window end: no Status Check needed. */
  skippedFresh: number;
  /** now - windowEnd after the run. */
  lagMs?: number;
}

interface Window {
  from: number;
  to: number;
  cursor: string | undefined;
  resumed: boolean;
}

/** The window to page: the saved unfinished one, else the next one after windowEnd. Undefined: nothing to poll yet. */
export function nextWindow(
  checkpoint: PollCheckpoint | undefined,
  now: number,
  settings: PollSettings,
): Window | undefined {
  if (checkpoint?.cursor && checkpoint.cursorFrom !== undefined && checkpoint.cursorTo !== undefined) {
    return { from: checkpoint.cursorFrom, to: checkpoint.cursorTo, cursor: checkpoint.cursor, resumed: true };
  }
  const reached = checkpoint?.windowEnd ?? now - settings.initialLookbackMs;
  const from = Math.max(0, reached - settings.lookbackMs);
  const to = Math.min(now - settings.settleMs, from + settings.maxWindowMs);
  if (to <= from) return undefined;
  return { from, to, cursor: undefined, resumed: false };
}

export async function pollStore(deps: PollStoreDeps, storeId: string, budgetMs: number): Promise<PollStoreResult> {
  const { checkpoints, settings, logger, metrics, now } = deps;
  const startedAt = now();
  const owner = randomUUID();
  const result: PollStoreResult = {
    storeId,
    leased: false,
    completed: false,
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
  const seen = new Set<string>();

  try {
    const window = nextWindow(checkpoint, startedAt, settings);
    if (!window) {
      logger.debug("no new window to poll yet", { storeId, windowEnd });
      return result;
    }
    result.window = { from: window.from, to: window.to, resumed: window.resumed };
    let cursor = window.cursor;

    for (;;) {
      if (now() - startedAt >= budgetMs) {
        countMetric(metrics, "PollBudgetExhausted");
        logger.info("time budget spent; the next run resumes at the saved cursor", { storeId, pages: result.pages });
        break;
      }
      const page = await deps.pincode.pollOrders({
        serviceProviderId: storeId,
        fromTimestamp: window.from,
        toTimestamp: window.to,
        sortOrder: "ASC",
        size: settings.pageSize,
        ...(cursor ? { nextPage: cursor } : {}),
      });
      result.pages += 1;

      const fresh = page.orderIds.filter((id) => !seen.has(id));
      for (const id of fresh) seen.add(id);
      // A view synced after the window end already reflects every change in the window.
      const syncedAt = fresh.length > 0 ? await deps.orders.getSyncedAt(fresh) : new Map<string, number>();
      const toCheck = fresh.filter((id) => (syncedAt.get(id) ?? Number.NEGATIVE_INFINITY) < window.to);
      result.skippedFresh += fresh.length - toCheck.length;
      if (toCheck.length > 0) {
        const at = now();
        await deps.queue.sendAll(
          deps.eventsQueueUrl,
          toCheck.map((orderId) =>
            newEventsMessage<OrderChangedMessage>(
              { kind: "order.changed", source: "poll", orderId, storeId, observedAt: window.to },
              at,
            ),
          ),
        );
        result.enqueued += toCheck.length;
      }

      // A9: a cursor that does not move would page forever; treat it as the last page.
      const next = page.nextPage && page.nextPage !== cursor ? page.nextPage : null;
      if (page.nextPage && !next) logger.warn("Order Poll returned the same cursor again; window closed", { storeId });
      if (!next) {
        await checkpoints.completeWindow(storeId, owner, window.to, now());
        windowEnd = Math.max(windowEnd ?? window.to, window.to);
        result.completed = true;
        countMetric(metrics, "PollWindowsCompleted");
        break;
      }
      // Saved only after the page's messages are queued: a crash in between re-queues the page (harmless duplicates).
      cursor = next;
      await checkpoints.saveCursor(storeId, owner, { cursor, from: window.from, to: window.to }, now());
    }
    return result;
  } finally {
    result.orderIds = seen.size;
    await checkpoints.releaseLease(storeId, owner).catch((error: unknown) => {
      // The lease expires on its own; a failed release only delays the next run of this store.
      logger.warn("could not release the poll lease", { storeId, reason: String(error) });
    });
    const lagFrom = windowEnd ?? result.window?.from;
    if (lagFrom !== undefined) {
      result.lagMs = Math.max(0, now() - lagFrom);
      dimensionedMetric(metrics, "PollLagMs", { storeId }, result.lagMs, MetricUnit.Milliseconds);
    }
    countMetric(metrics, "PollPages", result.pages);
    countMetric(metrics, "PollOrderIds", result.orderIds);
    countMetric(metrics, "PollIdsSkippedFresh", result.skippedFresh);
  }
}
