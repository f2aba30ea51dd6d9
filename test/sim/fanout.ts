/**
 * `npm run sim:fanout -- --stores 10000` (issue 13): how long the poller's scheduled run takes to fan out N stores
 * against dynalite and fauxqs, with the real handler: stores as data (directory Query, paged; CONFIG items by
 * BatchGetItem, 100 a request), the due times (BatchGetItem), and the tasks (SendMessageBatch, 10 a request).
 *
 * Measured twice: every store due (the first run, or adaptive polling off: N tasks) and adaptive polling with every
 * store checkpointed and due at random times over its interval (only the due ones are sent, at most one tick's
 * budget). The stores are written beforehand through the store repository (what PUT /v1/stores/{id} calls).
 */
import "../../bin/local/quiet.ts";
import { parseArgs } from "node:util";
import { GetQueueAttributesCommand, PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { lambdaContext, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { createStoreRepository } from "../../functions/adapters/store-repository.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { maxTasksPerTick } from "../../functions/poller/schedule.ts";
import { generateStoreIds } from "../../sandbox/store-ids.ts";

process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED = "true";

const { values: args } = parseArgs({ options: { stores: { type: "string", default: "10000" } } });
const stores = Number(args.stores);
const ids = generateStoreIds(stores);
const [dynamo, queues] = await Promise.all([startLocalDynamo(), startLocalQueues()]);
const log = (line: string) => process.stdout.write(`${line}\n`);

try {
  const repo = createStoreRepository(dynamo.client, dynamo.tableName);
  const t0 = performance.now();
  // 8 writers at a time, as 8 concurrent PUT /v1/stores requests would.
  for (let i = 0; i < ids.length; i += 8)
    await Promise.all(ids.slice(i, i + 8).map((storeId) => repo.put({ storeId }, Date.now())));
  log(`stores written through the store repository: ${stores} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const handlerWith = (adaptive: boolean) =>
    createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [],
        storesFromTable: true,
        pincode: { pollOrders: async () => ({ orderIds: [], nextPage: null }) } as never,
        settings: adaptive
          ? {
              adaptive: {
                minMs: 120_000,
                maxMs: 1_140_000,
                missMemoryMs: 4_560_000,
                tickMs: 60_000,
                maxTasksPerRun: maxTasksPerTick(20, 60_000),
              },
            }
          : {},
      }),
    );
  const queued = async () => {
    const attrs = await queues.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queues.pollQueueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    return (
      Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(attrs.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };

  for (const adaptive of [false, true]) {
    if (adaptive) {
      // Every store checkpointed once, due at a random time over the next interval (a steady state).
      const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
      const now = Date.now();
      for (let i = 0; i < ids.length; i += 8)
        await Promise.all(
          ids.slice(i, i + 8).map(async (storeId) => {
            await checkpoints.acquireLease(storeId, "sim", now, now + 1_000);
            await checkpoints.releaseLease(storeId, "sim", {
              intervalMs: 600_000,
              nextDueAt: now + Math.floor(Math.random() * 600_000),
              lastPolledAt: now,
            });
          }),
        );
    }
    await queues.client.send(new PurgeQueueCommand({ QueueUrl: queues.pollQueueUrl }));
    const handler = handlerWith(adaptive);
    const started = performance.now();
    const result = await handler(scheduledEvent(), lambdaContext({ functionName: "poller", timeoutMs: 60_000 }));
    const ms = performance.now() - started;
    log(
      `fan-out, ${adaptive ? "adaptive (steady state)" : "every store due"}: ${stores} stores read, ` +
        `${(result as { tasks: number }).tasks} tasks sent, ${(result as { deferred?: number }).deferred ?? 0} deferred, ` +
        `in ${(ms / 1000).toFixed(2)} s (scheduled run's timeout 60 s); poll queue holds ${await queued()}`,
    );
  }
} finally {
  await Promise.all([dynamo.stop(), queues.stop()]);
}
