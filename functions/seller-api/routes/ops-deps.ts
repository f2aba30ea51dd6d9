/** Builds the operations routes' dependencies from clients the seller API already holds. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createPendingSubmissionsReader } from "#adapters/pending-submissions-reader.ts";
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
  /** The active stores (stores are data: read per request). */
  listStoreIds: () => Promise<readonly string[]>;
  pendingSubmissions?: (now: number) => Promise<PendingSubmissions>;
}

export function wireOpsDeps(wiring: OpsWiring): OpsDeps {
  const checkpoints = createPollCheckpointRepository(wiring.dynamo, wiring.tableName);
  return {
    queues: wiring.queues,
    queueOps: createQueueOperations(wiring.sqs),
    quarantine: createQuarantineReader(wiring.dynamo, wiring.tableName),
    publisher: createQueuePublisher(wiring.sqs),
    pollLag: async (now) => {
      const storeIds = await wiring.listStoreIds();
      return Promise.all(
        storeIds.map(async (storeId) => {
          const windowEnd = (await checkpoints.get(storeId))?.windowEnd ?? null;
          return { storeId, windowEnd, lagMs: windowEnd === null ? null : Math.max(0, now - windowEnd) };
        }),
      );
    },
    pendingSubmissions: wiring.pendingSubmissions ?? createPendingSubmissionsReader(wiring.dynamo, wiring.tableName),
  };
}

/** The six queue URLs from the function's environment, or undefined when any is missing (routes answer 503). */
export function opsQueuesFromEnv(env: Record<string, string | undefined>): OpsQueues | undefined {
  const pick = (name: string) => env[name]?.trim() || undefined;
  const urls = {
    events: { queueUrl: pick("EVENTS_QUEUE_URL"), dlqUrl: pick("EVENTS_DLQ_URL") },
    poll: { queueUrl: pick("POLL_QUEUE_URL"), dlqUrl: pick("POLL_DLQ_URL") },
    commands: { queueUrl: pick("COMMANDS_QUEUE_URL"), dlqUrl: pick("COMMANDS_DLQ_URL") },
  };
  const all = Object.values(urls).every((q) => q.queueUrl && q.dlqUrl);
  return all ? (urls as OpsQueues) : undefined;
}
