/**
 * Builds the processor's dependencies. `wireProcessorDeps` takes ready clients (tests and local mode point them at
 * dynalite, the sandbox and a recording event sink); `processorDepsFromEnv` builds the real ones on AWS. Nothing here
 * does I/O when called: the Pincode credentials are read from Secrets Manager on the first Pincode call.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  createDynamoClient,
  createEventBridgeClient,
  createSecretsClient,
  createSqsClient,
} from "#adapters/aws-clients.ts";
import { createEventBridgePublisher, type EventPublisher } from "#adapters/event-publisher.ts";
import { pincodeMetricSink } from "#adapters/metric-helpers.ts";
import { createLogger, createMetrics } from "#adapters/observability.ts";
import { createOrderRepository } from "#adapters/order-repository.ts";
import { createQuarantineRepository } from "#adapters/quarantine-repository.ts";
import { rateBudgetOption } from "#adapters/rate-budget-store.ts";
import { loadJsonSecret, PincodeCredentialsSchema } from "#adapters/secrets.ts";
import { createSubmissionRepository } from "#adapters/submission-repository.ts";
import { createSubmissionResultRepository } from "#adapters/submission-result-repository.ts";
import { createUnknownCallbackRepository } from "#adapters/unknown-callback-repository.ts";
import { daysToMs } from "#core/buyer-data.ts";
import { createPincodeClient, type PincodeClientConfig } from "#pincode/client.ts";
import { extendReasonTablesFromEnv } from "#pincode/schemas.ts";
import { createOrderAutomation } from "../commands/automation.ts";
import { wireSubmitDeps } from "../commands/submit.ts";
import type { ProcessorDeps } from "./create-handler.ts";
import { parseProcessorEnv } from "./env.ts";
import type { StatusChecker } from "./ingest-order.ts";

export const PROCESSOR_SERVICE = "pincode-bridge-processor";

export interface ProcessorWiring {
  dynamo: DynamoDBClient;
  /** Issue 9: the FIFO commands queue, for per-store automation (auto-accept). Absent: no automation. */
  commands?: { sqs: SQSClient; queueUrl: string };
  tableName: string;
  events: EventPublisher;
  /** A Pincode client config (its onMetric is wired to our metrics) or a ready Status Check implementation. */
  pincode: Omit<PincodeClientConfig, "onMetric"> | StatusChecker;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** Buyer-data retention in days (stage config `buyerDataRetentionDays`); absent: off (docs/buyer-data.md). */
  buyerDataRetentionDays?: number;
}

export function wireProcessorDeps(wiring: ProcessorWiring): ProcessorDeps {
  const logger = wiring.logger ?? createLogger(PROCESSOR_SERVICE);
  const metrics = wiring.metrics ?? createMetrics(PROCESSOR_SERVICE);
  const statusCheck =
    "getOrderStatus" in wiring.pincode
      ? wiring.pincode
      : createPincodeClient({ ...wiring.pincode, onMetric: pincodeMetricSink(metrics) });
  return {
    orders: createOrderRepository(wiring.dynamo, wiring.tableName, {
      ...(wiring.now ? { now: wiring.now } : {}),
      ...(wiring.buyerDataRetentionDays ? { buyerDataRetentionMs: daysToMs(wiring.buyerDataRetentionDays) } : {}),
    }),
    submissions: createSubmissionResultRepository(wiring.dynamo, wiring.tableName),
    submissionEvents: createSubmissionRepository(wiring.dynamo, wiring.tableName),
    ...(wiring.commands
      ? {
          automation: createOrderAutomation(
            wireSubmitDeps({
              dynamo: wiring.dynamo,
              sqs: wiring.commands.sqs,
              tableName: wiring.tableName,
              commandsQueueUrl: wiring.commands.queueUrl,
            }),
            logger,
          ),
        }
      : {}),
    unknownCallbacks: createUnknownCallbackRepository(wiring.dynamo, wiring.tableName),
    quarantine: createQuarantineRepository({ client: wiring.dynamo, tableName: wiring.tableName }),
    events: wiring.events,
    statusCheck,
    logger,
    metrics,
    ...(wiring.now ? { now: wiring.now } : {}),
  };
}

export function processorDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ProcessorDeps {
  const config = parseProcessorEnv(env);
  // Stage additions to the outbound reason tables (-c extraCancelReasons / extraItemReasons).
  extendReasonTablesFromEnv(env);
  const secrets = createSecretsClient();
  const dynamo = createDynamoClient();
  return wireProcessorDeps({
    dynamo,
    tableName: config.TABLE_NAME,
    events: createEventBridgePublisher(createEventBridgeClient(), config.EVENT_BUS_NAME),
    pincode: {
      baseUrl: config.PINCODE_API_BASE_URL,
      authBaseUrl: config.PINCODE_AUTH_URL,
      credentials: () => loadJsonSecret(secrets, config.PINCODE_CREDENTIALS_SECRET_ARN, PincodeCredentialsSchema),
      // The stack-wide Pincode budget (docs/rate-budget.md); without PINCODE_RATE_LIMIT_PER_S the per-process throttle.
      ...rateBudgetOption(env, { dynamo, tableName: config.TABLE_NAME }),
    },
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    metrics: createMetrics(config.POWERTOOLS_SERVICE_NAME),
    ...(config.BUYER_DATA_RETENTION_DAYS ? { buyerDataRetentionDays: config.BUYER_DATA_RETENTION_DAYS } : {}),
    ...(config.COMMANDS_QUEUE_URL ? { commands: { sqs: createSqsClient(), queueUrl: config.COMMANDS_QUEUE_URL } } : {}),
  });
}
