/**
 * The processor: consumes events-queue batches with partial batch failure (Powertools BatchProcessor). Each record is
 * one envelope from functions/core/messages.ts; a record that throws is reported in `batchItemFailures`, SQS
 * redelivers it, and after `maxReceiveCount` receives it moves to the DLQ. The rest of its batch is unaffected.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { EventPublisher } from "#adapters/event-publisher.ts";
import { countMetric } from "#adapters/metric-helpers.ts";
import type { OrderRepository } from "#adapters/order-repository.ts";
import type { SubmissionRepository } from "#adapters/submission-repository.ts";
import type { SubmissionResultRepository } from "#adapters/submission-result-repository.ts";
import type { UnknownCallbackRepository } from "#adapters/unknown-callback-repository.ts";
import { type EventsQueueMessage, EventsQueueMessageSchema, parseQueueBody } from "#core/messages.ts";
import { describeIssues, OrderSchema, SubmissionResultCallbackSchema } from "#pincode/schemas.ts";
import {
  type IngestDeps,
  ingestSnapshot,
  PoisonMessageError,
  resolveOrderChange,
  type StatusChecker,
} from "./ingest-order.ts";

export interface ProcessorDeps {
  orders: OrderRepository;
  submissions: SubmissionResultRepository;
  unknownCallbacks: UnknownCallbackRepository;
  events: EventPublisher;
  /** Status Check; the real PincodeClient satisfies it. */
  statusCheck: StatusChecker;
  /** Issue 9: builds SubmissionCompleted once a result is linked to our submission (absent: no such events). */
  submissionEvents?: Pick<SubmissionRepository, "completedEvent">;
  /** Issue 9: per-store automation (auto-accept); absent when no commands queue is configured. */
  automation?: IngestDeps["automation"];
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

/**
 * Kept back from the invocation's remaining time when bounding a Status Check: the record still writes the view and
 * publishes its event afterwards. Without the bound the client's own deadline (45 s, plus honoured Retry-After) could
 * outlast the function timeout, and a timed-out invocation fails every record of the batch, not just the slow one.
 */
export const STATUS_CHECK_RESERVE_MS = 5_000;

export type ProcessorHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export { PoisonMessageError };

/** Parses the envelope; what cannot be parsed can never be processed, so it is poison. */
export function parseEventsMessage(body: string): EventsQueueMessage {
  const parsed = parseQueueBody(body, EventsQueueMessageSchema, "an events-queue message");
  if (!parsed.ok) throw new PoisonMessageError(parsed.reason);
  return parsed.message;
}

export function createProcessorHandler(deps: ProcessorDeps): ProcessorHandler {
  const { logger, metrics } = deps;
  const ingest = { ...deps, now: deps.now ?? Date.now };

  async function process(message: EventsQueueMessage, timeLeftMs: () => number): Promise<string> {
    switch (message.kind) {
      case "order.snapshot": {
        const parsed = OrderSchema.safeParse(message.order);
        if (!parsed.success)
          throw new PoisonMessageError(`order is not a Pincode order: ${describeIssues(parsed.error)}`);
        if (parsed.data.id !== message.orderId) {
          throw new PoisonMessageError(`envelope orderId ${message.orderId} differs from order id ${parsed.data.id}`);
        }
        return ingestSnapshot(ingest, {
          order: parsed.data,
          source: message.source,
          receivedAt: message.receivedAt,
          syncedAt: message.receivedAt,
          messageId: message.messageId,
          ...(message.requestId ? { requestId: message.requestId } : {}),
        });
      }
      case "order.changed":
        return resolveOrderChange(ingest, message, timeLeftMs);
      case "submission.result": {
        const parsed = SubmissionResultCallbackSchema.safeParse(message.body);
        if (!parsed.success) {
          throw new PoisonMessageError(`not a submission result: ${describeIssues(parsed.error)}`);
        }
        const { outcome, linkedSubmissionId } = await deps.submissions.record({
          result: parsed.data,
          receivedAt: message.receivedAt,
          messageId: message.messageId,
        });
        if (linkedSubmissionId && deps.submissionEvents) {
          // Issue 9: our submission was sent and linked before this result arrived, so the processor announces it
          // (otherwise the commands function does when it links). A failed publish retries the record.
          const event = await deps.submissionEvents.completedEvent(parsed.data.submissionId);
          if (event) await deps.events.publish([event]);
        }
        countMetric(metrics, "SubmissionResults");
        logger.info("submission result recorded", { submissionId: parsed.data.submissionId, outcome });
        return outcome;
      }
      case "callback.unknown":
        await deps.unknownCallbacks.record({
          messageId: message.messageId,
          receivedAt: message.receivedAt,
          body: message.body,
          ...(message.callbackType ? { callbackType: message.callbackType } : {}),
          ...(message.requestId ? { requestId: message.requestId } : {}),
        });
        countMetric(metrics, "UnknownCallbacksKept");
        logger.warn("callback of an unknown kind kept in the table", {
          messageId: message.messageId,
          callbackType: message.callbackType ?? null,
        });
        return "kept";
    }
  }

  async function recordHandler(record: SQSRecord, timeLeftMs: () => number): Promise<string> {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? "1");
    let kind: string | undefined;
    try {
      const message = parseEventsMessage(record.body);
      kind = message.kind;
      return await process(message, timeLeftMs);
    } catch (error) {
      const poison = error instanceof PoisonMessageError;
      countMetric(metrics, poison ? "PoisonMessages" : "RecordFailures");
      // Never the body: it may carry buyer data. The reason names the field or the failing dependency.
      logger.error(poison ? "poison message: retried until it moves to the DLQ" : "record failed; will be retried", {
        messageId: record.messageId,
        receiveCount,
        kind: kind ?? null,
        reason: error instanceof Error ? error.message : String(error),
        errorName: error instanceof Error ? error.name : typeof error,
      });
      throw error;
    }
  }

  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // One processor per invocation: it holds the batch's state, and local mode may run invocations concurrently.
    const processor = new BatchProcessor(EventType.SQS);
    const timeLeftMs = () => context.getRemainingTimeInMillis() - STATUS_CHECK_RESERVE_MS;
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => recordHandler(record, timeLeftMs),
      processor,
      {
        context,
        // Report every failed record instead of throwing on a fully failed batch: same redelivery, clearer logs.
        throwOnFullBatchFailure: false,
      },
    );
    return { batchItemFailures: response.batchItemFailures };
  };

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics)) as unknown as ProcessorHandler;
}
