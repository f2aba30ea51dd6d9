/** Builds the operations routes' dependencies from clients the seller API already holds. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createPollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import { createQuarantineReader } from "#adapters/quarantine-reader.ts";
import { createQueueOperations } from "#adapters/queue-operations.ts";
import { createQueuePublisher } from "#adapters/queue-publisher.ts";
import type { OpsQueues } from "#core/operations.ts";
import type { OpsDeps, PendingSubmissions } from "./ops-common.ts";

export interface OpsWiring {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  queues: OpsQueues;
  /** The configured stores (stores are data: read them per request). */
  listStoreIds: () => Promise<readonly string[]>;
  pendingSubmissions?: () => Promise<PendingSubmissions>;
  now?: () => number;
}

export function wireOpsDeps(wiring: OpsWiring): OpsDeps {
  const now = wiring.now ?? Date.now;
  const checkpoints = createPollCheckpointRepository(wiring.dynamo, wiring.tableName);
  return {
    queues: wiring.queues,
    queueOps: createQueueOperations(wiring.sqs, now),
    quarantine: createQuarantineReader(wiring.dynamo, wiring.tableName),
    publisher: createQueuePublisher(wiring.sqs),
    pollLag: async () => {
      const storeIds = await wiring.listStoreIds();
      const at = now();
      return Promise.all(
        storeIds.map(async (storeId) => {
          const windowEnd = (await checkpoints.get(storeId))?.windowEnd ?? null;
          return { storeId, windowEnd, lagMs: windowEnd === null ? null : Math.max(0, at - windowEnd) };
        }),
      );
    },
    ...(wiring.pendingSubmissions ? { pendingSubmissions: wiring.pendingSubmissions } : {}),
    now,
  };
}
