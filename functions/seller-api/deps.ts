/**
 * Builds the seller API's dependencies. `wireSellerApiDeps` takes ready clients (tests and local mode point them at
 * dynalite and fauxqs); `sellerApiDepsFromEnv` builds the real ones on AWS. Nothing here does I/O when called.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoClient, createSqsClient } from "#adapters/aws-clients.ts";
import { createLogger, createMetrics } from "#adapters/observability.ts";
import { createOrderQueryRepository } from "#adapters/order-query-repository.ts";
import { createPendingSubmissionIndex } from "#adapters/pending-submission-index.ts";
import { createPollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import { createStoreRepository } from "#adapters/store-repository.ts";
import type { OpsQueues } from "#core/operations.ts";
import { submitListings, submitOrderActions, submitStoreToggle, wireSubmitDeps } from "../commands/submit.ts";
import type { CommandsPort, SellerApiDeps } from "./create-handler.ts";
import { parseSellerApiEnv } from "./env.ts";
import type { PendingSubmissions } from "./routes/ops-common.ts";
import { opsQueuesFromEnv, wireOpsDeps } from "./routes/ops-deps.ts";

export const SELLER_API_SERVICE = "pincode-bridge-seller-api";

export interface SellerApiWiring {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  commandsQueueUrl: string;
  seedStoreIds?: readonly string[];
  /** Overrides the command side (tests); by default it is wired from the clients above. */
  commands?: CommandsPort;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** The work queues and their DLQs, for the operations routes; absent: those routes answer 503. */
  opsQueues?: OpsQueues;
  /** Submissions still waiting for Pincode's result (the command side's reader), for GET /v1/ops/summary. */
  pendingSubmissions?: (now: number) => Promise<PendingSubmissions>;
}

/** The command side (functions/commands/submit.ts and its repositories), bound to its dependencies. */
export function wireCommandsPort(opts: {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  commandsQueueUrl: string;
}): CommandsPort {
  const deps = wireSubmitDeps(opts);
  return {
    submitOrderActions: (input) => submitOrderActions(deps, input),
    submitStoreToggle: (input) => submitStoreToggle(deps, input),
    submitListings: (input) => submitListings(deps, input),
    getCommand: async (commandId) => (await deps.commands.getCommand(commandId)) as Record<string, unknown> | undefined,
    listOrderCommands: async (orderId) =>
      (await deps.commands.listOrderCommands(orderId)) as unknown as Record<string, unknown>[],
    getSubmission: async (submissionId, now) =>
      (await deps.submissions.getSubmission(submissionId, now)) as Record<string, unknown> | undefined,
  };
}

export function wireSellerApiDeps(wiring: SellerApiWiring): SellerApiDeps {
  const { dynamo, tableName } = wiring;
  const stores = createStoreRepository(dynamo, tableName);
  return {
    orders: createOrderQueryRepository(dynamo, tableName),
    stores,
    checkpoints: createPollCheckpointRepository(dynamo, tableName),
    commands:
      wiring.commands ??
      wireCommandsPort({ dynamo, sqs: wiring.sqs, tableName, commandsQueueUrl: wiring.commandsQueueUrl }),
    pendingSubmissions: createPendingSubmissionIndex(dynamo, tableName),
    seedStoreIds: wiring.seedStoreIds ?? [],
    logger: wiring.logger ?? createLogger(SELLER_API_SERVICE),
    metrics: wiring.metrics ?? createMetrics(SELLER_API_SERVICE),
    ...(wiring.now ? { now: wiring.now } : {}),
    ...(wiring.opsQueues
      ? {
          ops: wireOpsDeps({
            dynamo,
            sqs: wiring.sqs,
            tableName,
            queues: wiring.opsQueues,
            listStoreIds: () => stores.listActiveIds(),
            ...(wiring.pendingSubmissions ? { pendingSubmissions: wiring.pendingSubmissions } : {}),
          }),
        }
      : {}),
  };
}

export function sellerApiDepsFromEnv(env: NodeJS.ProcessEnv = process.env): SellerApiDeps {
  const config = parseSellerApiEnv(env);
  return wireSellerApiDeps({
    dynamo: createDynamoClient(),
    sqs: createSqsClient(),
    tableName: config.TABLE_NAME,
    commandsQueueUrl: config.COMMANDS_QUEUE_URL,
    seedStoreIds: config.STORE_IDS,
    ...(opsQueuesFromEnv(env) ? { opsQueues: opsQueuesFromEnv(env) } : {}),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    metrics: createMetrics(config.POWERTOOLS_SERVICE_NAME),
  });
}
