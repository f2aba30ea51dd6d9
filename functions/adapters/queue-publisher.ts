/**
 * Puts our messages on SQS. A send either succeeds for every message or throws naming what failed, so callers can
 * answer 5xx (callback) or fail the record (poller) and let the sender retry: nothing is silently dropped.
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface SendOptions {
  /** FIFO queues only. */
  groupId?: string;
  /** FIFO queues only: our own id, so a retried send is de-duplicated by SQS for 5 minutes. */
  deduplicationId?: string;
  delaySeconds?: number;
}

export interface QueuePublisher {
  send(queueUrl: string, message: object, options?: SendOptions): Promise<void>;
  /** Sends in batches of 10; entries SQS refuses are retried once, then the call throws. */
  sendAll(queueUrl: string, messages: readonly object[]): Promise<void>;
}

const MAX_BATCH = 10;

export class QueuePublishError extends Error {
  constructor(
    message: string,
    readonly failedCount: number,
  ) {
    super(message);
    this.name = "QueuePublishError";
  }
}

export function createQueuePublisher(sqs: SQSClient): QueuePublisher {
  return {
    async send(queueUrl, message, options = {}) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          MessageGroupId: options.groupId,
          MessageDeduplicationId: options.deduplicationId,
          DelaySeconds: options.delaySeconds,
        }),
      );
    },

    async sendAll(queueUrl, messages) {
      for (let start = 0; start < messages.length; start += MAX_BATCH) {
        let entries = messages
          .slice(start, start + MAX_BATCH)
          .map((m, i) => ({ Id: String(start + i), MessageBody: JSON.stringify(m) }));
        for (let attempt = 1; entries.length > 0; attempt++) {
          const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
          const failed = new Set((result.Failed ?? []).map((f) => f.Id));
          entries = entries.filter((e) => failed.has(e.Id));
          if (entries.length > 0 && attempt >= 2) {
            const codes = [...new Set((result.Failed ?? []).map((f) => f.Code))].join(", ");
            throw new QueuePublishError(`SQS refused ${entries.length} message(s): ${codes}`, entries.length);
          }
        }
      }
    },
  };
}
