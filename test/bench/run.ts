/**
 * `npm run bench`: the figures that matter for pincode-bridge, measured on this machine against the same emulators
 * the tests use. Prints a table; asserts nothing (tests assert behaviour, benchmarks measure speed).
 *
 *  - contract: ORDER_VIEW callback parse + freshness key, per snapshot (CPU only)
 *  - callback ACK latency: the real callback handler (JWT check, sniff, validate, SendMessage to fauxqs), p50/p95/p99
 *  - callback throughput at 16 concurrent requests
 *  - processor throughput: order.snapshot messages through the real processor into dynalite, batches of 10
 */
import "../../bin/local/quiet.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";
import { startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { lambdaContext, toSqsEvent } from "../../bin/local/sqs-driver.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createLogger, createMetrics } from "../../functions/adapters/observability.ts";
import { createQueuePublisher } from "../../functions/adapters/queue-publisher.ts";
import { createCallbackHandler } from "../../functions/callback/create-handler.ts";
import { issueCallbackToken } from "../../functions/core/callback-auth.ts";
import { freshnessOf } from "../../functions/core/freshness.ts";
import { newEventsMessage, type OrderSnapshotMessage } from "../../functions/core/messages.ts";
import { OrderViewCallbackSchema } from "../../functions/pincode/schemas.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";

process.env.POWERTOOLS_LOG_LEVEL ??= "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

const sample = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "fixtures", "pincode", "order_view_callback.json"), "utf8"),
) as { type: string; requestContext: Record<string, string>; response: Record<string, unknown> };

const rows: Array<[string, string]> = [];
const record = (name: string, value: string) => {
  rows.push([name, value]);
  console.log(`${name.padEnd(52)} ${value}`);
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(2)} ms`;

function snapshot(i: number, updatedAt: number) {
  const body = structuredClone(sample);
  body.requestContext = { requestId: `BENCH-${i}-${updatedAt}`, transactionId: `ODBENCH${i}` };
  body.response = { ...body.response, id: `ODBENCH${i}`, updatedAt: String(updatedAt) };
  return body;
}

async function benchContract() {
  const n = 20_000;
  const bodies = Array.from({ length: 100 }, (_, i) => snapshot(i, 1_713_773_187_000 + i));
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const parsed = OrderViewCallbackSchema.parse(bodies[i % bodies.length]);
    freshnessOf(parsed.response);
  }
  const elapsed = performance.now() - start;
  record(
    "contract: parse ORDER_VIEW + freshness key",
    `${Math.round((n / elapsed) * 1000)} snapshots/s (${((elapsed / n) * 1000).toFixed(1)} µs each)`,
  );
}

async function benchCallback() {
  const dynamo = await startLocalDynamo();
  const queues = await startLocalQueues();
  try {
    const keys = { clientId: "bench-client", clientSecret: "bench-secret-0123456789", signingKey: "k".repeat(43) };
    const handler = createCallbackHandler({
      authMode: "oauth",
      loadAuthKeys: async () => keys,
      publisher: createQueuePublisher(queues.client),
      eventsQueueUrl: queues.eventsQueueUrl,
      logger: createLogger("bench"),
      metrics: createMetrics("bench"),
    });
    const { accessToken } = await issueCallbackToken(keys, { clientId: keys.clientId });
    const event = (i: number) =>
      buildApiGatewayEvent({
        path: "/pincode/callbacks",
        headers: { Authorization: `O-Bearer ${accessToken}`, "Content-Type": "application/json" },
        body: JSON.stringify(snapshot(i, 1_713_773_187_000 + i)),
      });

    for (let i = 0; i < 50; i++) await handler(event(i)); // warm-up
    const latencies: number[] = [];
    const n = 500;
    for (let i = 0; i < n; i++) {
      const e = event(i);
      const t = performance.now();
      const result = await handler(e);
      latencies.push(performance.now() - t);
      if (result.statusCode !== 200) throw new Error(`callback answered ${result.statusCode}: ${result.body}`);
    }
    latencies.sort((a, b) => a - b);
    record(
      `callback ACK latency (sequential, n=${n})`,
      `p50 ${ms(percentile(latencies, 50))}  p95 ${ms(percentile(latencies, 95))}  p99 ${ms(percentile(latencies, 99))}`,
    );

    const total = 2_000;
    const concurrency = 16;
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const result = await handler(event(i));
          if (result.statusCode !== 200) throw new Error(`callback answered ${result.statusCode}`);
        }
      }),
    );
    const elapsed = performance.now() - start;
    record(
      `callback throughput (${concurrency} concurrent, n=${total})`,
      `${Math.round((total / elapsed) * 1000)} callbacks/s`,
    );
  } finally {
    await queues.stop();
    await dynamo.stop();
  }
}

async function benchProcessor() {
  const dynamo = await startLocalDynamo();
  try {
    const processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events: createRecordingEventPublisher(),
        pincode: {
          getOrderStatus: async () => {
            throw new Error("the bench sends snapshots only");
          },
        },
      }),
    );
    const orders = 100;
    const versions = 5; // each order updated 5 times, delivered newest-first half of the time (stale path)
    const messages: OrderSnapshotMessage[] = [];
    for (let v = 0; v < versions; v++) {
      for (let i = 0; i < orders; i++) {
        const updatedAt = 1_713_773_187_000 + (i % 2 === 0 ? v : versions - v) * 1_000;
        const body = snapshot(i, updatedAt);
        messages.push(
          newEventsMessage<OrderSnapshotMessage>({
            kind: "order.snapshot",
            source: "callback",
            requestId: body.requestContext.requestId,
            orderId: body.response.id as string,
            order: body.response,
          }),
        );
      }
    }
    const batches: ReturnType<typeof toSqsEvent>[] = [];
    for (let i = 0; i < messages.length; i += 10) {
      batches.push(
        toSqsEvent(
          messages.slice(i, i + 10).map((m, j) => ({
            MessageId: `m-${i + j}`,
            ReceiptHandle: `r-${i + j}`,
            Body: JSON.stringify(m),
            Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
          })),
          "arn:aws:sqs:ap-south-1:000000000000:bench-events",
          "ap-south-1",
        ),
      );
    }
    const start = performance.now();
    let failed = 0;
    for (const batch of batches) {
      const result = await processor(batch, lambdaContext({ functionName: "bench-processor" }));
      failed += result.batchItemFailures.length;
    }
    const elapsed = performance.now() - start;
    if (failed > 0) throw new Error(`${failed} records failed in the processor bench`);
    record(
      `processor throughput (${messages.length} snapshots, batches of 10)`,
      `${Math.round((messages.length / elapsed) * 1000)} snapshots/s (${ms(elapsed / batches.length)} per batch)`,
    );
  } finally {
    await dynamo.stop();
  }
}

console.log(`pincode-bridge bench on node ${process.version}, ${process.platform}/${process.arch}\n`);
await benchContract();
await benchCallback();
await benchProcessor();
console.log(
  "\nEmulators are local (dynalite, fauxqs): absolute numbers are not AWS numbers; compare runs, not clouds.",
);
