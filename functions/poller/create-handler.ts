/**
 * The poller has two triggers:
 *  - the EventBridge schedule: fan out one `poll.store` task per configured store onto the poll queue, so hundreds
 *    of stores are polled by separate invocations and one slow or throttled store never starves the rest;
 *  - the poll queue (SQS, partial batch failure): poll the task's store within a time budget. A Pincode failure
 *    (429 after retries, 5xx) fails that record only; SQS retries it later and the run resumes at the saved cursor.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { countMetric } from "#adapters/metric-helpers.ts";
import { MetricUnit } from "#adapters/observability.ts";
import type { OrderRepository } from "#adapters/order-repository.ts";
import type { PendingSubmissionIndex } from "#adapters/pending-submission-index.ts";
import type { PollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import type { StoreRepository } from "#adapters/store-repository.ts";
import { newPollTask, PollTaskMessageSchema, parseQueueBody } from "#core/messages.ts";
import { type OrderPoller, type PollSettings, type PollStoreResult, pollStore } from "./poll-store.ts";
import { selectDueStores } from "./schedule.ts";
import type { StrandedSweep } from "./stranded-commands.ts";

export interface PollerDeps {
  /** The stores the schedule fans out to (STORE_IDS); with `stores`, only the seed of the stored list. */
  storeIds: readonly string[];
  /**
   * Stores as data: when set, the fan-out seeds `storeIds` into the table (once per container, idempotent; a retired
   * store is not brought back) and fans out to the ACTIVE stores read from it, so added and retired stores are
   * followed without a redeploy.
   */
  stores?: Pick<StoreRepository, "seed" | "listActiveIds">;
  /** When set, each scheduled run emits OldestPendingSubmissionAgeMs (0 when none is pending) for the alarm. */
  pendingSubmissions?: Pick<PendingSubmissionIndex, "oldestPending">;
  /**
   * When set, each scheduled run re-sends the queue messages of commands left QUEUED past the grace period (their
   * submit failed half-way and the client never retried: stranded-commands.ts) and emits StrandedCommandsResumed and
   * OldestQueuedCommandAgeMs.
   */
  strandedCommands?: { sweep(now: number): Promise<StrandedSweep> };
  checkpoints: PollCheckpointRepository;
  orders: Pick<OrderRepository, "getSyncState">;
  queue: QueuePublisher;
  pollQueueUrl: string;
  eventsQueueUrl: string;
  /** Order Poll; the real PincodeClient satisfies it. */
  pincode: OrderPoller;
  settings: PollSettings;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

export interface FanOutResult {
  scheduledAt: number;
  tasks: number;
  /** Active stores read. */
  stores?: number;
  /** Adaptive polling: due but left for the next tick (budget), and not due in this tick. */
  deferred?: number;
  notDue?: number;
}

export type PollerEvent = ScheduledEvent | SQSEvent;
export type PollerHandler = {
  (event: ScheduledEvent, context: Context): Promise<FanOutResult>;
  (event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
  (event: PollerEvent, context: Context): Promise<FanOutResult | SQSBatchResponse>;
};

export class InvalidPollTaskError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "InvalidPollTaskError";
  }
}

const isScheduledEvent = (event: unknown): event is ScheduledEvent =>
  typeof event === "object" &&
  event !== null &&
  (event as ScheduledEvent)["detail-type"] === "Scheduled Event" &&
  (event as ScheduledEvent).source === "aws.events";

const isSqsEvent = (event: unknown): event is SQSEvent =>
  typeof event === "object" && event !== null && Array.isArray((event as SQSEvent).Records);

export function parsePollTask(body: string) {
  const parsed = parseQueueBody(body, PollTaskMessageSchema, "a poll task");
  if (!parsed.ok) throw new InvalidPollTaskError(parsed.reason);
  return parsed.message;
}

export function createPollerHandler(deps: PollerDeps): PollerHandler {
  const { logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const storeDeps = { ...deps, now };

  let seeded: Promise<unknown> | undefined;
  async function storesToPoll(): Promise<readonly string[]> {
    const { stores } = deps;
    if (!stores) return deps.storeIds;
    seeded ??= stores.seed(deps.storeIds, now()).catch((error) => {
      seeded = undefined;
      throw error;
    });
    await seeded;
    return stores.listActiveIds();
  }

  /** A failure here is logged, never fails the fan-out: polling matters more than this metric. */
  async function reportPendingSubmissions() {
    if (!deps.pendingSubmissions) return;
    try {
      const oldest = await deps.pendingSubmissions.oldestPending();
      const ageMs = oldest ? Math.max(0, now() - oldest.since) : 0;
      metrics.addMetric("OldestPendingSubmissionAgeMs", MetricUnit.Milliseconds, ageMs);
      if (oldest) logger.info("oldest pending submission", { submissionId: oldest.submissionId, ageMs });
    } catch (error) {
      logger.warn("pending submissions could not be read", { errorName: error instanceof Error ? error.name : "" });
    }
  }

  /** Like the report above, a failure here is logged and never fails the fan-out. */
  async function sweepStrandedCommands() {
    if (!deps.strandedCommands) return;
    try {
      const sweep = await deps.strandedCommands.sweep(now());
      countMetric(metrics, "StrandedCommandsResumed", sweep.resumed);
      metrics.addMetric("OldestQueuedCommandAgeMs", MetricUnit.Milliseconds, sweep.oldestQueuedAgeMs);
      if (sweep.resumed > 0 || sweep.removed > 0) logger.info("stranded commands swept", { ...sweep });
      if (sweep.failed) logger.warn("a stranded command could not be re-sent; the next run retries", sweep.failed);
    } catch (error) {
      logger.warn("stranded commands could not be swept", { errorName: error instanceof Error ? error.name : "" });
    }
  }

  async function fanOut(event: ScheduledEvent): Promise<FanOutResult> {
    const scheduledAt = Date.parse(event.time) || now();
    const storeIds = await storesToPoll();
    if (storeIds.length === 0)
      logger.warn("no active stores (STORE_IDS seeds them; PUT /v1/stores adds): nothing to poll");
    const adaptive = deps.settings.adaptive;
    let tasks: ReturnType<typeof newPollTask>[];
    let delaySeconds: number[] | undefined;
    let extra: Pick<FanOutResult, "deferred" | "notDue"> = {};
    if (adaptive) {
      // Adaptive polling (docs/scale.md): only the stores due in this tick (or reaching the budget's ceiling), most
      // overdue first, within the poll budget of one tick, each delayed to its time within the tick.
      const times = await deps.checkpoints.pollTimes(storeIds);
      const selection = selectDueStores(
        storeIds.map((storeId) => {
          const t = times.get(storeId);
          return t === undefined ? { storeId } : { storeId, ...t };
        }),
        scheduledAt,
        adaptive,
      );
      tasks = selection.due.map((d) => newPollTask(d.storeId, scheduledAt, now()));
      delaySeconds = selection.due.map((d) => d.delaySeconds);
      extra = { deferred: selection.deferred, notDue: selection.notDue };
      countMetric(metrics, "PollTasksDeferred", selection.deferred);
    } else {
      tasks = storeIds.map((storeId) => newPollTask(storeId, scheduledAt, now()));
    }
    await deps.queue.sendAll(deps.pollQueueUrl, tasks, delaySeconds ? { delaySeconds } : {});
    countMetric(metrics, "PollTasksScheduled", tasks.length);
    logger.info("poll tasks fanned out", { tasks: tasks.length, stores: storeIds.length, scheduledAt, ...extra });
    await reportPendingSubmissions();
    await sweepStrandedCommands();
    return { scheduledAt, tasks: tasks.length, stores: storeIds.length, ...extra };
  }

  async function pollTasks(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const recordHandler = async (record: SQSRecord): Promise<PollStoreResult> => {
      let storeId: string | undefined;
      try {
        const task = parsePollTask(record.body);
        storeId = task.storeId;
        const remaining = context.getRemainingTimeInMillis() - deps.settings.safetyMarginMs;
        const budgetMs = Math.max(0, Math.min(deps.settings.timeBudgetMs, remaining));
        const result = await pollStore(storeDeps, task.storeId, budgetMs, { scheduledAt: task.scheduledAt });
        logger.info("store polled", { ...result, messageId: record.messageId });
        return result;
      } catch (error) {
        countMetric(metrics, "PollTaskFailures");
        logger.error("poll task failed; it will be retried", {
          messageId: record.messageId,
          receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? "1"),
          storeId: storeId ?? null,
          reason: error instanceof Error ? error.message : String(error),
          errorName: error instanceof Error ? error.name : typeof error,
        });
        throw error;
      }
    };
    const processor = new BatchProcessor(EventType.SQS);
    const response = await processPartialResponse(event, recordHandler, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
    return { batchItemFailures: response.batchItemFailures };
  }

  const handler = async (event: PollerEvent, context: Context): Promise<FanOutResult | SQSBatchResponse> => {
    if (isScheduledEvent(event)) return fanOut(event);
    if (isSqsEvent(event)) return pollTasks(event, context);
    throw new Error("unsupported poller event: expected an EventBridge Scheduled Event or an SQS event");
  };

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics)) as unknown as PollerHandler;
}
