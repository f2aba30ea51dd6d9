/**
 * The commands function: consumes the FIFO commands queue with partial batch failure. FIFO order is kept per message
 * group: a group's records run one after another, and after one fails the rest of that group in the batch is failed
 * too (so "pack" never runs before a failed "accept" is retried). Different groups (orders, stores) run at the same
 * time (issue 11), as Lambda already runs batches of different groups at the same time; their reads and outbox writes
 * then share requests (functions/adapters/dynamo-batcher.ts). Powertools' SqsFifoPartialProcessorAsync, used before,
 * runs every record of a batch in turn, whatever its group.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { countMetric } from "#adapters/metric-helpers.ts";
import { type CommandsQueueMessage, CommandsQueueMessageSchema, parseQueueBody } from "#core/messages.ts";
import {
  DEFAULT_MAX_RECEIVE_COUNT,
  type ExecutorDeps,
  executeOrderCommand,
  executeSubmission,
  PoisonCommandError,
} from "./execute.ts";

export type CommandsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Kept back from the invocation's remaining time when bounding a Pincode call: the record still stores the view and
 * publishes its events afterwards. A call cut short is ambiguous and resolved by a Status Check on redelivery.
 */
export const COMMAND_RESERVE_MS = 5_000;

export function parseCommandsMessage(body: string): CommandsQueueMessage {
  const parsed = parseQueueBody(body, CommandsQueueMessageSchema, "a commands-queue message");
  if (!parsed.ok) throw new PoisonCommandError(parsed.reason);
  return parsed.message;
}

/** A record not run because an earlier record of its message group in the batch failed. */
export class GroupSkippedError extends Error {
  constructor(messageId: string) {
    super(`an earlier record of the message group of ${messageId} failed in this batch`);
    this.name = "GroupSkippedError";
  }
}

/**
 * Runs each message group's records in batch order, the groups concurrently, and reports the failed and the skipped
 * records (every record of a group after its first failure) as batch item failures.
 */
export async function processFifoGroupsConcurrently(
  records: readonly SQSRecord[],
  run: (record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const tails = new Map<string, Promise<void>>();
  const failed = new Set<string>();
  const done = records.map((record) => {
    // Records without a group (not FIFO) form one group, as Powertools' FIFO processor treats them.
    const group = record.attributes?.MessageGroupId ?? "";
    const previous = tails.get(group) ?? Promise.resolve();
    const mine = previous.then(async () => {
      if (failed.has(group)) throw new GroupSkippedError(record.messageId);
      try {
        await run(record);
      } catch (error) {
        failed.add(group);
        throw error;
      }
    });
    tails.set(
      group,
      mine.catch(() => undefined),
    );
    return mine.then(
      () => undefined,
      () => record.messageId,
    );
  });
  const failures = (await Promise.all(done)).filter((id): id is string => id !== undefined);
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

export function createCommandsHandler(deps: ExecutorDeps): CommandsHandler {
  const { logger, metrics } = deps;

  async function recordHandler(record: SQSRecord, timeLeftMs: () => number): Promise<string> {
    let message: CommandsQueueMessage | undefined;
    try {
      message = parseCommandsMessage(record.body);
      // The delivery the queue's redrive policy would dead-letter if it failed: the command must be decided in it.
      const lastDelivery =
        Number(record.attributes?.ApproximateReceiveCount ?? "1") >=
        (deps.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT);
      return message.kind === "command.order"
        ? await executeOrderCommand(deps, message.commandId, timeLeftMs, { lastDelivery, orderId: message.orderId })
        : await executeSubmission(deps, message.submissionId, timeLeftMs, { lastDelivery });
    } catch (error) {
      const poison = error instanceof PoisonCommandError;
      countMetric(metrics, poison ? "PoisonMessages" : "RecordFailures");
      logger[poison ? "error" : "warn"](poison ? "poison command message" : "command record will be retried", {
        messageId: record.messageId,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? "1"),
        kind: message?.kind ?? null,
        commandId: message?.commandId ?? null,
        reason: error instanceof Error ? error.message : String(error),
        errorName: error instanceof Error ? error.name : typeof error,
      });
      throw error;
    }
  }

  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const timeLeftMs = () => context.getRemainingTimeInMillis() - COMMAND_RESERVE_MS;
    return processFifoGroupsConcurrently(event.Records ?? [], (record) => recordHandler(record, timeLeftMs));
  };

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics)) as unknown as CommandsHandler;
}
