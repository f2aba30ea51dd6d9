/**
 * Plays the part of the Lambda SQS event source mapping, for local mode and the integration tests: long-polls a
 * queue, hands the handler a real SQS event (the shape Lambda builds) with a Lambda-like context, deletes the records
 * the handler did not list in `batchItemFailures`, and leaves the failed ones to reappear after the visibility
 * timeout, so the queue's redrive policy moves a poison message to its DLQ after `maxReceiveCount` receives.
 */
import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  Context,
  ScheduledEvent,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";

export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface LambdaContextOptions {
  functionName?: string;
  /** The function timeout: getRemainingTimeInMillis counts down from it. Default 30 s. */
  timeoutMs?: number;
  memoryMb?: number;
  region?: string;
  now?: () => number;
}

/** A Lambda-like invocation context whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(options: LambdaContextOptions = {}): Context {
  const now = options.now ?? Date.now;
  const functionName = options.functionName ?? "pincode-bridge-local";
  const region = options.region ?? "ap-south-1";
  const deadline = now() + (options.timeoutMs ?? 30_000);
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An EventBridge scheduled event, as the poll schedule rule delivers it. */
export function scheduledEvent(options: { time?: Date; region?: string; ruleName?: string } = {}): ScheduledEvent {
  const region = options.region ?? "ap-south-1";
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "000000000000",
    time: (options.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:000000000000:rule/${options.ruleName ?? "pincode-bridge-poll"}`],
    detail: {},
  };
}

function toLambdaAttributes(attributes: Message["Attributes"]): SQSRecordAttributes {
  const a = (attributes ?? {}) as Record<string, string | undefined>;
  const now = String(Date.now());
  return {
    ApproximateReceiveCount: a.ApproximateReceiveCount ?? "1",
    SentTimestamp: a.SentTimestamp ?? now,
    SenderId: a.SenderId ?? "000000000000",
    ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? now,
    ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
    ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
  };
}

function toLambdaMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      dataType: value.DataType ?? "String",
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") } : {}),
    };
  }
  return out;
}

/** Builds the SQS event Lambda would deliver for these received messages. */
export function toSqsEvent(messages: readonly Message[], queueArn: string, region: string): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId ?? randomUUID(),
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: toLambdaAttributes(m.Attributes),
        messageAttributes: toLambdaMessageAttributes(m.MessageAttributes),
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: region,
      }),
    ),
  };
}

export interface SqsDriverOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsLambdaHandler;
  /** Records per invocation, 1..10 (the event source's batch size). Default 10. */
  batchSize?: number;
  /** Long-poll wait of the background loop, seconds (0..20). Default 1. */
  waitTimeSeconds?: number;
  /** Overrides the queue's visibility timeout for received messages. */
  visibilityTimeoutSeconds?: number;
  /** Context per invocation; default: a 30 s function named after the queue. */
  context?: () => Context;
  region?: string;
  /** Called when an invocation throws (every record of the batch is then retried) or a receive fails. */
  onError?: (error: unknown) => void;
  /**
   * Invocations the background loop runs at once (Lambda's SQS event source scales to many concurrent batches).
   * Default 1. `drainOnce`/`drainUntilIdle` are unaffected.
   */
  concurrency?: number;
}

export interface DrainResult {
  /** Invocations made. */
  batches: number;
  received: number;
  /** Records reported in batchItemFailures (or all records of an invocation that threw). */
  failed: number;
  deleted: number;
  /** Message ids of the failed records. */
  failedMessageIds: string[];
}

const emptyResult = (): DrainResult => ({ batches: 0, received: 0, failed: 0, deleted: 0, failedMessageIds: [] });

function add(total: DrainResult, part: DrainResult): DrainResult {
  return {
    batches: total.batches + part.batches,
    received: total.received + part.received,
    failed: total.failed + part.failed,
    deleted: total.deleted + part.deleted,
    failedMessageIds: [...total.failedMessageIds, ...part.failedMessageIds],
  };
}

export interface SqsDriver {
  /** One receive (waiting up to `waitTimeSeconds`, default 0) and, if anything came, one invocation. */
  drainOnce(options?: { waitTimeSeconds?: number }): Promise<DrainResult>;
  /** Invokes until a receive comes back empty (failed records are invisible until their timeout ends). */
  drainUntilIdle(options?: { maxBatches?: number }): Promise<DrainResult>;
  /** Background loop(s) for local mode, `concurrency` of them; `stop()` ends them after their current invocation. */
  start(): void;
  stop(): Promise<void>;
  /**
   * Ends the loop at once, as a crashed consumer (issue 10's chaos run): the invocation in flight runs on, but its
   * records are never deleted, so they come back after the visibility timeout. `start()` begins a fresh loop.
   */
  kill(): void;
  readonly running: boolean;
}

export function createSqsDriver(options: SqsDriverOptions): SqsDriver {
  const { sqs, queueUrl, handler } = options;
  const batchSize = Math.min(Math.max(options.batchSize ?? 10, 1), 10);
  const region = options.region ?? process.env.AWS_REGION ?? "ap-south-1";
  const queueName = queueUrl.split("/").pop() ?? "queue";
  const newContext = options.context ?? (() => lambdaContext({ functionName: `${queueName}-consumer`, region }));
  let queueArn: Promise<string> | undefined;
  let loop: Promise<void> | undefined;
  let stopping = false;
  /** The running loop's own flags: a killed loop must not delete what it received, nor run on after a restart. */
  let current: { killed: boolean } | undefined;
  /** Killed loops whose last invocation is still running: stop() waits for them too. */
  const killedLoops = new Set<Promise<void>>();

  const arn = () => {
    queueArn ??= sqs
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }))
      .then((r) => r.Attributes?.QueueArn ?? `arn:aws:sqs:${region}:000000000000:${queueName}`);
    return queueArn;
  };

  async function drainOnce(
    opts: { waitTimeSeconds?: number } = {},
    run: { killed: boolean } = { killed: false },
  ): Promise<DrainResult> {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: opts.waitTimeSeconds ?? 0,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
        ...(options.visibilityTimeoutSeconds !== undefined
          ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
          : {}),
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return emptyResult();

    const event = toSqsEvent(messages, await arn(), region);
    let failedIds: Set<string>;
    try {
      const response = await handler(event, newContext());
      failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      // Lambda semantics: a thrown invocation fails the whole batch.
      options.onError?.(error);
      failedIds = new Set(event.Records.map((r) => r.messageId));
    }

    // A killed consumer never gets to delete: the records reappear after their visibility timeout.
    if (run.killed) failedIds = new Set(event.Records.map((r) => r.messageId));
    const done = event.Records.filter((r) => !failedIds.has(r.messageId));
    for (let start = 0; start < done.length; start += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done
            .slice(start, start + 10)
            .map((r, i) => ({ Id: String(start + i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    return {
      batches: 1,
      received: messages.length,
      failed: event.Records.length - done.length,
      deleted: done.length,
      failedMessageIds: event.Records.filter((r) => failedIds.has(r.messageId)).map((r) => r.messageId),
    };
  }

  return {
    drainOnce,

    async drainUntilIdle(opts = {}) {
      const maxBatches = opts.maxBatches ?? 1_000;
      let total = emptyResult();
      while (total.batches < maxBatches) {
        const part = await drainOnce({ waitTimeSeconds: 0 });
        if (part.received === 0) break;
        total = add(total, part);
      }
      return total;
    },

    start() {
      if (loop) return;
      stopping = false;
      const run = { killed: false };
      current = run;
      const worker = async () => {
        while (!stopping && !run.killed) {
          try {
            await drainOnce({ waitTimeSeconds: options.waitTimeSeconds ?? 1 }, run);
          } catch (error) {
            options.onError?.(error);
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      };
      const workers = Math.max(1, Math.trunc(options.concurrency ?? 1));
      loop = Promise.all(Array.from({ length: workers }, worker)).then(() => undefined);
    },

    async stop() {
      stopping = true;
      await Promise.all([loop, ...killedLoops]);
      loop = undefined;
      current = undefined;
    },

    kill() {
      if (current) current.killed = true;
      if (loop) {
        const killed = loop;
        killedLoops.add(killed);
        void killed.finally(() => killedLoops.delete(killed));
      }
      current = undefined;
      loop = undefined;
    },

    get running() {
      return loop !== undefined && !stopping;
    },
  };
}
