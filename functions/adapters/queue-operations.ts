/**
 * Operator's access to our queues: depths, a look inside a DLQ that consumes nothing, and redrive back to the
 * source queue.
 *
 * Redrive is receive -> send -> delete, not SQS's StartMessageMoveTask: fauxqs (local mode, tests) does not implement
 * the move-task API, and one path tested locally beats two paths of which one is only ever run in production. It
 * also gives an exact per-message count and works for the FIFO commands DLQ with its group ids. A message is deleted
 * from the DLQ only after its send succeeded, so a failure can duplicate (consumers are idempotent: snapshots by
 * freshness, commands by commandId) but never lose a message.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type MessageSummary, summariseMessageBody } from "#core/operations.ts";

export interface QueueDepth {
  /** Messages available to receive. */
  visible: number;
  /** Received and not yet deleted or returned (being processed, or held by a look inside). */
  inFlight: number;
  delayed: number;
}

export interface PeekedMessage extends MessageSummary {
  sqsMessageId: string;
  /** How many times SQS handed the message out (a look inside counts as one). */
  receiveCount?: number;
  sentAt?: number;
  firstReceivedAt?: number;
  groupId?: string;
  /** Only when asked for: may hold buyer data. */
  body?: string;
}

export interface RedriveOutcome {
  moved: number;
  failed: number;
  /** Messages still in the DLQ after this call (approximate, as SQS counts). */
  remaining: number;
  /** True when the call stopped at `max` or its time budget with messages left. */
  truncated: boolean;
}

export interface QueueOperations {
  depth(queueUrl: string): Promise<QueueDepth>;
  /** Up to `limit` distinct messages, returned to the queue (visibility 0) before this resolves. */
  peek(queueUrl: string, limit: number, withBody: boolean): Promise<PeekedMessage[]>;
  redrive(dlqUrl: string, targetUrl: string, options: { max: number; timeBudgetMs?: number }): Promise<RedriveOutcome>;
}

/** Long enough to finish a look inside or a send; released (set to 0) as soon as we are done with a message. */
const HOLD_SECONDS = 30;
const BATCH = 10;

const n = (value: string | undefined) => (value === undefined ? undefined : Number(value));

export function createQueueOperations(sqs: SQSClient, now: () => number = Date.now): QueueOperations {
  async function depth(queueUrl: string): Promise<QueueDepth> {
    const result = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    const a = result.Attributes ?? {};
    return {
      visible: n(a.ApproximateNumberOfMessages) ?? 0,
      inFlight: n(a.ApproximateNumberOfMessagesNotVisible) ?? 0,
      delayed: n(a.ApproximateNumberOfMessagesDelayed) ?? 0,
    };
  }

  async function receive(queueUrl: string, count: number, waitSeconds: number): Promise<Message[]> {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(BATCH, count),
        VisibilityTimeout: HOLD_SECONDS,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return result.Messages ?? [];
  }

  async function release(queueUrl: string, messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += BATCH) {
      const entries = messages.slice(i, i + BATCH).map((m, j) => ({
        Id: String(i + j),
        ReceiptHandle: m.ReceiptHandle ?? "",
        VisibilityTimeout: 0,
      }));
      await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
  }

  return {
    depth,

    async peek(queueUrl, limit, withBody) {
      // Receive-and-release: a receive with VisibilityTimeout 0 would hand the same first messages back on every
      // call, so we hold what we saw for HOLD_SECONDS while collecting more, then make it all visible again at once.
      const seen = new Map<string, Message>();
      try {
        for (let empty = 0; seen.size < limit && empty < 2; ) {
          const batch = await receive(queueUrl, limit - seen.size, 0);
          if (batch.length === 0) empty++;
          for (const m of batch) if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, m);
        }
      } finally {
        await release(queueUrl, [...seen.values()]);
      }
      return [...seen.values()].map((m) => {
        const a = m.Attributes ?? {};
        const peeked: PeekedMessage = { sqsMessageId: m.MessageId ?? "", ...summariseMessageBody(m.Body) };
        const receiveCount = n(a.ApproximateReceiveCount);
        const sentAt = n(a.SentTimestamp);
        const firstReceivedAt = n(a.ApproximateFirstReceiveTimestamp);
        if (receiveCount !== undefined) peeked.receiveCount = receiveCount;
        if (sentAt !== undefined) peeked.sentAt = sentAt;
        if (firstReceivedAt !== undefined) peeked.firstReceivedAt = firstReceivedAt;
        if (a.MessageGroupId) peeked.groupId = a.MessageGroupId;
        if (withBody && m.Body !== undefined) peeked.body = m.Body;
        return peeked;
      });
    },

    async redrive(dlqUrl, targetUrl, options) {
      const fifo = targetUrl.endsWith(".fifo");
      const deadline = now() + (options.timeBudgetMs ?? 20_000);
      let moved = 0;
      let failed = 0;
      let stoppedEarly = false;
      while (moved + failed < options.max) {
        if (now() >= deadline) {
          stoppedEarly = true;
          break;
        }
        // Long polling asks every SQS server, so an empty answer means the DLQ is really empty.
        const batch = await receive(dlqUrl, options.max - moved - failed, 1);
        if (batch.length === 0) break;
        const entries: SendMessageBatchRequestEntry[] = batch.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? "",
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
            ? { MessageAttributes: m.MessageAttributes as Record<string, MessageAttributeValue> }
            : {}),
          ...(fifo
            ? {
                MessageGroupId: m.Attributes?.MessageGroupId ?? "redrive",
                // A fresh id: the original may still be inside SQS's 5-minute deduplication window, where a send
                // would be accepted and silently dropped. Derived from the DLQ message, so a retried redrive of
                // the same message is de-duplicated instead.
                MessageDeduplicationId: `redrive-${m.MessageId ?? i}`.slice(0, 128),
              }
            : {}),
        }));
        const sent = await sqs.send(new SendMessageBatchCommand({ QueueUrl: targetUrl, Entries: entries }));
        const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
        const delivered = batch.filter((_, i) => ok.has(String(i)));
        const refused = batch.filter((_, i) => !ok.has(String(i)));
        if (delivered.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: dlqUrl,
              Entries: delivered.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
            }),
          );
        }
        // A message the target refused stays in the DLQ, visible again at once.
        if (refused.length > 0) await release(dlqUrl, refused);
        moved += delivered.length;
        failed += refused.length;
        if (refused.length > 0) break;
      }
      const left = await depth(dlqUrl);
      const remaining = left.visible + left.inFlight;
      return { moved, failed, remaining, truncated: remaining > 0 && (stoppedEarly || moved + failed >= options.max) };
    },
  };
}
