/**
 * Processor: order.snapshot messages through the real processor handler (batches of 10, as the event source mapping
 * delivers them; Powertools processes a batch's records concurrently) into dynalite, beside raw conditional PutItem
 * of the same VIEW items at the same concurrency (10), in the same run. DynamoDB requests are counted on the wire by
 * a proxy in front of dynalite. Three phases over the same orders: new snapshots, the same snapshots again
 * (duplicates), and older snapshots (stale).
 */
import { randomUUID } from "node:crypto";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { startLocalDynamo } from "../../bin/local/emulators.ts";
import { lambdaContext, toSqsEvent } from "../../bin/local/sqs-driver.ts";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createLogger, createMetrics } from "../../functions/adapters/observability.ts";
import { keys } from "../../functions/adapters/table.ts";
import { newEventsMessage, type OrderSnapshotMessage } from "../../functions/core/messages.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { orderViewBody } from "./callback.ts";
import { READ_OPERATIONS, type Row, runConcurrent, startCountingProxy, sumOf, WRITE_OPERATIONS } from "./support.ts";

const BATCH = 10;

export interface ProcessorPhase {
  phase: "new" | "duplicate" | "stale";
  snapshots: number;
  perSecond: number;
  writesPerSnapshot: number;
  readsPerSnapshot: number;
  counts: Record<string, number>;
  msPerSnapshot: number;
}

function snapshotMessages(orders: number, updatedAt: number, tag: string): OrderSnapshotMessage[] {
  return Array.from({ length: orders }, (_, i) => {
    const body = JSON.parse(orderViewBody(i, updatedAt)) as {
      requestContext: { requestId: string };
      response: Record<string, unknown> & { id: string };
    };
    return newEventsMessage<OrderSnapshotMessage>({
      kind: "order.snapshot",
      source: "callback",
      requestId: `${body.requestContext.requestId}-${tag}`,
      orderId: body.response.id,
      order: body.response,
    });
  });
}

function batchesOf(messages: readonly OrderSnapshotMessage[]) {
  const batches = [];
  for (let i = 0; i < messages.length; i += BATCH) {
    batches.push(
      toSqsEvent(
        messages.slice(i, i + BATCH).map((m) => ({
          MessageId: randomUUID(),
          ReceiptHandle: randomUUID(),
          Body: JSON.stringify(m),
          Attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
        })),
        "arn:aws:sqs:ap-south-1:000000000000:bench-events",
        "ap-south-1",
      ),
    );
  }
  return batches;
}

export async function benchProcessor(
  orders: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; phases: ProcessorPhase[]; rawPerSecond: number; itemBytes: number }> {
  const dynamo = await startLocalDynamo();
  const proxy = await startCountingProxy(dynamo.endpoint);
  try {
    const client = createDynamoClient({ endpoint: proxy.endpoint });
    const logger = createLogger("bench-processor");
    logger.setLogLevel("ERROR");
    const processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: client,
        tableName: dynamo.tableName,
        events: createRecordingEventPublisher(),
        pincode: {
          getOrderStatus: async () => {
            throw new Error("the processor bench sends snapshots only");
          },
        },
        logger,
        metrics: createMetrics("bench-processor"),
      }),
    );
    const context = lambdaContext({ functionName: "bench-processor", timeoutMs: 60_000 });
    // Warm-up on other order ids.
    for (const batch of batchesOf(snapshotMessages(20, 1_713_773_100_000, "warm")).map((b) => ({
      ...b,
      Records: b.Records.map((r) => ({ ...r, body: r.body.replaceAll("ODBENCH", "ODWARM") })),
    }))) {
      await processor(batch, context);
    }

    const T = 1_713_773_187_000;
    const fresh = snapshotMessages(orders, T + 60_000, "new");
    const plan: Array<[ProcessorPhase["phase"], OrderSnapshotMessage[]]> = [
      ["new", fresh],
      // The same snapshots delivered again (SQS at-least-once, Pincode retries): new message ids, same content.
      ["duplicate", fresh.map((m) => ({ ...m, messageId: randomUUID() }))],
      ["stale", snapshotMessages(orders, T, "stale")],
    ];
    const phases: ProcessorPhase[] = [];
    for (const [phase, messages] of plan) {
      const batches = batchesOf(messages);
      proxy.reset();
      const start = performance.now();
      let failed = 0;
      for (const batch of batches) failed += (await processor(batch, context)).batchItemFailures.length;
      const elapsed = performance.now() - start;
      if (failed > 0) throw new Error(`${failed} records failed in the processor bench (${phase})`);
      const counts = proxy.counts();
      phases.push({
        phase,
        snapshots: messages.length,
        perSecond: (messages.length / elapsed) * 1000,
        writesPerSnapshot: sumOf(counts, WRITE_OPERATIONS) / messages.length,
        readsPerSnapshot: sumOf(counts, READ_OPERATIONS) / messages.length,
        counts,
        msPerSnapshot: elapsed / messages.length,
      });
    }

    // Raw: the VIEW items the processor wrote, put again under new keys with a condition, 10 at a time.
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < orders; i++) {
      const got = await dynamo.client.send(
        new GetItemCommand({ TableName: dynamo.tableName, Key: toKey(keys.orderView(`ODBENCH${i}`)) }),
      );
      if (!got.Item) throw new Error(`no view for ODBENCH${i}`);
      items.push(got.Item);
    }
    const raw = await runConcurrent(orders, BATCH, async (i) => {
      const item = items[i] as Record<string, { S?: string }>;
      await client.send(
        new PutItemCommand({
          TableName: dynamo.tableName,
          Item: { ...item, pk: { S: `ORDER#RAW-${i}` } } as never,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    });
    const rawPerSecond = (orders / raw.elapsedMs) * 1000;
    const itemBytes = approximateItemBytes(items[0] as Record<string, unknown>);
    for (const p of phases) {
      log(
        `processor ${p.phase}: ${p.perSecond.toFixed(0)} snapshots/s, ${p.writesPerSnapshot.toFixed(2)} writes and ` +
          `${p.readsPerSnapshot.toFixed(2)} reads per snapshot ${JSON.stringify(p.counts)}`,
      );
    }
    log(`processor raw conditional PutItem, ${BATCH} concurrent: ${rawPerSecond.toFixed(0)}/s`);
    const rawLabel = `raw conditional PutItem, ${BATCH} concurrent`;
    const rows: Row[] = phases.flatMap((p): Row[] => [
      {
        section: "processor",
        figure: `${p.phase} snapshots (n=${p.snapshots}, batches of ${BATCH})`,
        value: p.perSecond,
        unit: "/s",
        limit: { label: rawLabel, value: rawPerSecond },
        ...(p.phase === "new" ? { target: { ratio: 0.6, better: "higher" as const } } : {}),
      },
      {
        section: "processor",
        figure: `DynamoDB write requests per ${p.phase} snapshot`,
        value: p.writesPerSnapshot,
        unit: "req",
        ...(p.phase === "new"
          ? { limit: { label: "target", value: 2 }, target: { ratio: 1, better: "lower" as const } }
          : {}),
        note: `reads ${p.readsPerSnapshot.toFixed(2)}`,
      },
    ]);
    return { rows, phases, rawPerSecond, itemBytes };
  } finally {
    await proxy.stop();
    await dynamo.stop();
  }
}

const toKey = (key: { pk: string; sk: string }) => ({ pk: { S: key.pk }, sk: { S: key.sk } });

/** DynamoDB's item size: attribute names plus values (strings and numbers by their text, close enough for units). */
function approximateItemBytes(item: Record<string, unknown>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    const v = value as { S?: string; N?: string; BOOL?: boolean; M?: Record<string, unknown>; L?: unknown[] };
    if (v.S !== undefined) bytes += Buffer.byteLength(v.S);
    else if (v.N !== undefined) bytes += v.N.length;
    else if (v.BOOL !== undefined) bytes += 1;
    else if (v.M) bytes += 3 + approximateItemBytes(v.M);
    else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}
