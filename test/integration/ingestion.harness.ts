/**
 * Shared set-up for the ingestion integration tests: dynalite, fauxqs and the Pincode sandbox on real ports, the real
 * processor and poller handlers wired to them, and a capture of what the Powertools logger and EMF metrics print.
 */
import { randomUUID } from "node:crypto";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { createSqsDriver, lambdaContext, toSqsEvent } from "../../bin/local/sqs-driver.ts";
import {
  createRecordingEventPublisher,
  type RecordingEventPublisher,
} from "../../functions/adapters/event-publisher.ts";
import { redactReplacer } from "../../functions/adapters/observability.ts";
import { type EventsQueueMessage, newEventsMessage } from "../../functions/core/messages.ts";
import type { PincodeClientConfig } from "../../functions/pincode/client.ts";

/** Everything written to stdout and stderr (Powertools logs, EMF blobs) until `stop` is called. */
export interface OutputCapture {
  lines: string[];
  /** Parsed JSON log lines (EMF blobs excluded). */
  logs(): Record<string, unknown>[];
  /** Metric name -> summed value, over every EMF blob seen. */
  metricTotals(): Map<string, number>;
  /** EMF blobs that carry `name`, with their dimension values. */
  metricsNamed(name: string): Record<string, unknown>[];
  clear(): void;
  stop(): void;
}

export function captureStdout(): OutputCapture {
  const lines: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(line);
    return true;
  };
  // Powertools writes INFO/DEBUG and EMF to stdout, WARN/ERROR to stderr.
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(record),
    vi.spyOn(process.stderr, "write").mockImplementation(record),
  ];
  const parsed = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  const isEmf = (o: Record<string, unknown>) => typeof o._aws === "object";
  return {
    lines,
    logs: () => parsed().filter((o) => !isEmf(o)),
    metricTotals() {
      const totals = new Map<string, number>();
      for (const blob of parsed().filter(isEmf)) {
        const definitions = (blob._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
        for (const { Metrics: metrics } of definitions) {
          for (const { Name } of metrics) {
            const value = blob[Name];
            const values = Array.isArray(value) ? (value as number[]) : [Number(value)];
            totals.set(Name, (totals.get(Name) ?? 0) + values.reduce((a, b) => a + b, 0));
          }
        }
      }
      return totals;
    },
    metricsNamed: (name) => parsed().filter((o) => isEmf(o) && name in o),
    clear: () => {
      lines.length = 0;
    },
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

export function testObservability(service: string) {
  return {
    logger: new Logger({ serviceName: service, logLevel: "DEBUG", jsonReplacerFn: redactReplacer }),
    metrics: new Metrics({ namespace: "PincodeBridgeTest", serviceName: service }),
  };
}

export function recordingEvents(): RecordingEventPublisher {
  return createRecordingEventPublisher();
}

/** A Pincode client config for the sandbox, with throttling and backoff shrunk so tests stay fast. */
export function sandboxClientConfig(sandbox: {
  apiBaseUrl: string;
  authBaseUrl: string;
  clientId: string;
  clientSecret: string;
}): Omit<PincodeClientConfig, "onMetric"> {
  const fast = { ratePerSecond: 1_000, burst: 1_000 };
  return {
    baseUrl: sandbox.apiBaseUrl,
    authBaseUrl: sandbox.authBaseUrl,
    credentials: { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
    timeoutMs: 2_000,
    retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50, deadlineMs: 3_000 },
    rateLimits: { poll: fast, status: fast, update: fast, catalog: fast },
  };
}

export function snapshotMessage(order: Record<string, unknown>, overrides: Partial<EventsQueueMessage> = {}) {
  return newEventsMessage({
    kind: "order.snapshot",
    source: "callback",
    orderId: String(order.id),
    requestId: `PB-${randomUUID()}`,
    order,
    ...overrides,
  } as never);
}

/** A real SQS event carrying these bodies, as Lambda would deliver it (no queue involved). */
export function sqsEventOf(bodies: readonly (string | object)[]): SQSEvent {
  return toSqsEvent(
    bodies.map((body) => ({
      MessageId: randomUUID(),
      ReceiptHandle: randomUUID(),
      Body: typeof body === "string" ? body : JSON.stringify(body),
      MD5OfBody: "",
      Attributes: { ApproximateReceiveCount: "1" },
    })),
    "arn:aws:sqs:ap-south-1:000000000000:pincode-bridge-events",
    "ap-south-1",
  );
}

export const context = () => lambdaContext({ functionName: "pincode-bridge-test", timeoutMs: 30_000 });

/** The history items of an order, oldest first. */
export async function historyOf(
  dynamo: { client: import("@aws-sdk/client-dynamodb").DynamoDBClient; tableName: string },
  orderId: string,
) {
  const result = await dynamo.client.send(
    new QueryCommand({
      TableName: dynamo.tableName,
      KeyConditionExpression: "pk = :pk AND begins_with(sk, :e)",
      ExpressionAttributeValues: { ":pk": { S: `ORDER#${orderId}` }, ":e": { S: "EVENT#" } },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? []).map((item) => ({
    outcome: item.outcome?.S,
    source: item.source?.S,
    freshness: item.freshness?.S ?? "",
    messageId: item.messageId?.S,
    hasSnapshot: item.snapshot?.S !== undefined,
    expiresAt: Number(item.expiresAt?.N),
    version: item.version?.N === undefined ? undefined : Number(item.version.N),
  }));
}

/**
 * A fake clock whose sleeps advance it, shared by a Pincode client (`now`, `sleep`) and a Lambda context, so
 * Retry-After waits are instant and the time they would have taken is exact.
 */
export function fakeLambdaClock(functionTimeoutMs: number) {
  let now = Date.now();
  const startedAt = now;
  return {
    startedAt,
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    elapsed: () => now - startedAt,
    context: (): Context => ({
      ...lambdaContext({ timeoutMs: functionTimeoutMs }),
      getRemainingTimeInMillis: () => Math.max(0, startedAt + functionTimeoutMs - now),
    }),
  };
}

/** Drains a queue through the real SQS driver and returns every message body, parsed (deleting them all). */
export async function drainBodies<T>(sqs: SQSClient, queueUrl: string): Promise<T[]> {
  const bodies: T[] = [];
  await createSqsDriver({
    sqs,
    queueUrl,
    handler: async (event) => {
      bodies.push(...event.Records.map((r) => JSON.parse(r.body) as T));
      return { batchItemFailures: [] };
    },
  }).drainUntilIdle();
  return bodies;
}
