/** Builds the buyer-data purge's dependencies once per container: one DynamoDB client and the logger. */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoClient } from "#adapters/aws-clients.ts";
import { createBuyerDataPurge } from "#adapters/buyer-data-retention.ts";
import { createLogger } from "#adapters/observability.ts";
import { daysToMs } from "#core/buyer-data.ts";
import type { RetentionDeps } from "./create-handler.ts";
import { parseRetentionEnv } from "./env.ts";

export function wireRetentionDeps(wiring: {
  dynamo: DynamoDBClient;
  tableName: string;
  retentionDays: number;
  logger?: Logger;
  now?: () => number;
}): RetentionDeps {
  return {
    purge: createBuyerDataPurge(wiring.dynamo, wiring.tableName, { retentionMs: daysToMs(wiring.retentionDays) }),
    logger: wiring.logger ?? createLogger("pincode-bridge-retention"),
    ...(wiring.now ? { now: wiring.now } : {}),
  };
}

export function retentionDepsFromEnv(env: NodeJS.ProcessEnv = process.env): RetentionDeps {
  const config = parseRetentionEnv(env);
  return wireRetentionDeps({
    dynamo: createDynamoClient(),
    tableName: config.TABLE_NAME,
    retentionDays: config.BUYER_DATA_RETENTION_DAYS,
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
}
