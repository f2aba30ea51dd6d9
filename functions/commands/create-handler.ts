/**
 * The commands function: consumes the FIFO commands queue with partial batch failure. Powertools'
 * SqsFifoPartialProcessorAsync keeps FIFO order: after a record of a message group fails, the rest of that group in
 * the batch is failed too (so "pack" never runs before a failed "accept" is retried), while other groups go on.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from "@aws-lambda-powertools/batch";
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
        ? await executeOrderCommand(deps, message.commandId, timeLeftMs, { lastDelivery })
        : await executeSubmission(deps, message.submissionId, timeLeftMs);
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
    const processor = new SqsFifoPartialProcessorAsync();
    const timeLeftMs = () => context.getRemainingTimeInMillis() - COMMAND_RESERVE_MS;
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => recordHandler(record, timeLeftMs),
      processor,
      {
        context,
        skipGroupOnError: true,
        throwOnFullBatchFailure: false,
      },
    );
    return { batchItemFailures: response.batchItemFailures };
  };

  return middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics)) as unknown as CommandsHandler;
}
