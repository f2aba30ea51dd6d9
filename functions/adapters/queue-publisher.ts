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
  /**
   * Sends in batches of 10; entries SQS refuses are retried once, then the call throws. `delaySeconds[i]`, when
   * given, delays message i (the poller's fan-out spreads its tasks over the schedule's period).
   */
  sendAll(queueUrl: string, messages: readonly object[], options?: { delaySeconds?: readonly number[] }): Promise<void>;
}

const MAX_BATCH = 10;

/**
 * SQS refuses a body holding any character outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
 * JSON.stringify already escapes control characters and lone surrogates, but not U+FFFE / U+FFFF: a callback carrying
 * one would be answered 503 on every retry and never queued. Escaping them (and astral characters, which some SQS
 * emulators refuse) keeps the JSON identical once parsed; the 1 MiB queue limit leaves room for the longer escapes.
 */
const SQS_UNSAFE = /[\ufffe\uffff\ud800-\udfff]/g;

export function toMessageBody(message: object): string {
  return JSON.stringify(message).replace(SQS_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

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
          MessageBody: toMessageBody(message),
          MessageGroupId: options.groupId,
          MessageDeduplicationId: options.deduplicationId,
          DelaySeconds: options.delaySeconds,
        }),
      );
    },

    async sendAll(queueUrl, messages, options = {}) {
      const delays = options.delaySeconds;
      for (let start = 0; start < messages.length; start += MAX_BATCH) {
        let entries = messages.slice(start, start + MAX_BATCH).map((m, i) => ({
          Id: String(start + i),
          MessageBody: toMessageBody(m),
          ...(delays?.[start + i] ? { DelaySeconds: delays[start + i] } : {}),
        }));
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
