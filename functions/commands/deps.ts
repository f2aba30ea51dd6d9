/**
 * Builds the commands function's dependencies. `wireCommandsDeps` takes ready clients (tests and local mode point
 * them at dynalite, the sandbox and a recording event sink); `commandsDepsFromEnv` builds the real ones on AWS.
 * Nothing here does I/O when called: the Pincode credentials are read on the first Pincode call.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoClient, createEventBridgeClient, createSecretsClient } from "#adapters/aws-clients.ts";
import { createCommandRepository } from "#adapters/command-repository.ts";
import { createEventBridgePublisher, type EventPublisher } from "#adapters/event-publisher.ts";
import { pincodeMetricSink } from "#adapters/metric-helpers.ts";
import { createLogger, createMetrics } from "#adapters/observability.ts";
import { createOrderRepository } from "#adapters/order-repository.ts";
import { rateBudgetOption } from "#adapters/rate-budget-store.ts";
import { loadJsonSecret, PincodeCredentialsSchema } from "#adapters/secrets.ts";
import { createSubmissionRepository } from "#adapters/submission-repository.ts";
import { daysToMs } from "#core/buyer-data.ts";
import { createPincodeClient, type PincodeClientConfig } from "#pincode/client.ts";
import { extendReasonTablesFromEnv } from "#pincode/schemas.ts";
import { parseCommandsEnv } from "./env.ts";
import type { ExecutorDeps, PincodeCommandClient } from "./execute.ts";

export const COMMANDS_SERVICE = "pincode-bridge-commands";

export interface CommandsWiring {
  dynamo: DynamoDBClient;
  tableName: string;
  events: EventPublisher;
  /** A Pincode client config (its onMetric is wired to our metrics) or a ready client. */
  pincode: Omit<PincodeClientConfig, "onMetric"> | PincodeCommandClient;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** Buyer-data retention in days (stage config `buyerDataRetentionDays`); absent: off (docs/buyer-data.md). */
  buyerDataRetentionDays?: number;
  maxAttempts?: number;
  /** The commands queue's maxReceiveCount (default 5, the stage config's). */
  maxReceiveCount?: number;
}

export function wireCommandsDeps(wiring: CommandsWiring): ExecutorDeps {
  const logger = wiring.logger ?? createLogger(COMMANDS_SERVICE);
  const metrics = wiring.metrics ?? createMetrics(COMMANDS_SERVICE);
  const pincode =
    "updateOrder" in wiring.pincode
      ? wiring.pincode
      : (createPincodeClient({
          ...wiring.pincode,
          onMetric: pincodeMetricSink(metrics),
        }) as unknown as PincodeCommandClient);
  return {
    commands: createCommandRepository(wiring.dynamo, wiring.tableName),
    submissions: createSubmissionRepository(wiring.dynamo, wiring.tableName),
    orders: createOrderRepository(wiring.dynamo, wiring.tableName, {
      ...(wiring.now ? { now: wiring.now } : {}),
      ...(wiring.buyerDataRetentionDays ? { buyerDataRetentionMs: daysToMs(wiring.buyerDataRetentionDays) } : {}),
    }),
    events: wiring.events,
    pincode,
    logger,
    metrics,
    now: wiring.now ?? Date.now,
    ...(wiring.maxAttempts ? { maxAttempts: wiring.maxAttempts } : {}),
    ...(wiring.maxReceiveCount ? { maxReceiveCount: wiring.maxReceiveCount } : {}),
  };
}

export function commandsDepsFromEnv(env: NodeJS.ProcessEnv = process.env): ExecutorDeps {
  const config = parseCommandsEnv(env);
  // Stage additions to the outbound reason tables (-c extraCancelReasons / extraItemReasons).
  extendReasonTablesFromEnv(env);
  const secrets = createSecretsClient();
  const dynamo = createDynamoClient();
  return wireCommandsDeps({
    dynamo,
    tableName: config.TABLE_NAME,
    events: createEventBridgePublisher(createEventBridgeClient(), config.EVENT_BUS_NAME),
    pincode: {
      baseUrl: config.PINCODE_API_BASE_URL,
      authBaseUrl: config.PINCODE_AUTH_URL,
      credentials: () => loadJsonSecret(secrets, config.PINCODE_CREDENTIALS_SECRET_ARN, PincodeCredentialsSchema),
      // The stack-wide Pincode budget (docs/rate-budget.md): commands take their slots first.
      ...rateBudgetOption(env, { dynamo, tableName: config.TABLE_NAME }),
    },
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    metrics: createMetrics(config.POWERTOOLS_SERVICE_NAME),
    ...(config.BUYER_DATA_RETENTION_DAYS ? { buyerDataRetentionDays: config.BUYER_DATA_RETENTION_DAYS } : {}),
    maxAttempts: config.COMMAND_MAX_ATTEMPTS,
  });
}
