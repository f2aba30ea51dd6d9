/**
 * Builds the poller's dependencies. `wirePollerDeps` takes ready clients (tests and local mode point them at
 * dynalite, fauxqs and the sandbox); `pollerDepsFromEnv` builds the real ones on AWS. Nothing here does I/O when
 * called: the Pincode credentials are read from Secrets Manager on the first Pincode call.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoClient, createSecretsClient, createSqsClient } from "#adapters/aws-clients.ts";
import { createCommandRepository } from "#adapters/command-repository.ts";
import { pincodeMetricSink } from "#adapters/metric-helpers.ts";
import { createLogger, createMetrics } from "#adapters/observability.ts";
import { createOrderRepository } from "#adapters/order-repository.ts";
import { createPendingSubmissionIndex } from "#adapters/pending-submission-index.ts";
import { createPollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import { createQueuePublisher } from "#adapters/queue-publisher.ts";
import { createQueuedCommandEntries } from "#adapters/queued-command-entries.ts";
import { rateBudgetOption } from "#adapters/rate-budget-store.ts";
import { loadJsonSecret, PincodeCredentialsSchema } from "#adapters/secrets.ts";
import { createStoreRepository } from "#adapters/store-repository.ts";
import { createSubmissionRepository } from "#adapters/submission-repository.ts";
import { createPincodeClient, type PincodeClientConfig } from "#pincode/client.ts";
import { extendReasonTablesFromEnv } from "#pincode/schemas.ts";
import { createSqsCommandQueue } from "../commands/enqueue.ts";
import type { PollerDeps } from "./create-handler.ts";
import { adaptiveScheduleOf, parsePollerEnv } from "./env.ts";
import { DEFAULT_POLL_SETTINGS, type OrderPoller, type PollSettings } from "./poll-store.ts";
import { type StrandedCommandsDeps, sweepStrandedCommands } from "./stranded-commands.ts";

export const POLLER_SERVICE = "pincode-bridge-poller";

export interface PollerWiring {
  dynamo: DynamoDBClient;
  tableName: string;
  sqs: SQSClient;
  pollQueueUrl: string;
  eventsQueueUrl: string;
  storeIds: readonly string[];
  /**
   * Fan out to the ACTIVE stores in the table, seeded from `storeIds` (stores as data), and report the oldest pending
   * submission's age. Default: `storeIds` only, no submission metric.
   */
  storesFromTable?: boolean;
  /**
   * The commands queue: with it, each scheduled run sweeps stranded commands (stranded-commands.ts). Unset: no sweep.
   * `queue` replaces the SQS send (tests simulate a failing queue with it).
   */
  commands?: { queueUrl: string } & Partial<Pick<StrandedCommandsDeps, "graceMs" | "queue">>;
  /** A Pincode client config (its onMetric is wired to our metrics) or a ready Order Poll implementation. */
  pincode: Omit<PincodeClientConfig, "onMetric"> | OrderPoller;
  settings?: Partial<PollSettings>;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/**
 * The budget-derived interval ceiling (docs/scale.md "The ceiling") is never below look-back + settle: below it a
 * quiet run's delayed pass and live window are not contiguous and cost more than the one call the ceiling assumes.
 */
function withCeilingFloor(settings: PollSettings): PollSettings {
  const adaptive = settings.adaptive;
  if (!adaptive || adaptive.ceilingFloorMs !== undefined) return settings;
  return { ...settings, adaptive: { ...adaptive, ceilingFloorMs: settings.lookbackMs + settings.settleMs } };
}

export function wirePollerDeps(wiring: PollerWiring): PollerDeps {
  const logger = wiring.logger ?? createLogger(POLLER_SERVICE);
  const metrics = wiring.metrics ?? createMetrics(POLLER_SERVICE);
  const pincode =
    "pollOrders" in wiring.pincode
      ? wiring.pincode
      : createPincodeClient({ ...wiring.pincode, onMetric: pincodeMetricSink(metrics) });
  return {
    storeIds: wiring.storeIds,
    ...(wiring.storesFromTable
      ? {
          stores: createStoreRepository(wiring.dynamo, wiring.tableName),
          pendingSubmissions: createPendingSubmissionIndex(wiring.dynamo, wiring.tableName),
        }
      : {}),
    ...(wiring.commands ? { strandedCommands: wireStrandedCommands(wiring, wiring.commands) } : {}),
    checkpoints: createPollCheckpointRepository(wiring.dynamo, wiring.tableName),
    orders: createOrderRepository(wiring.dynamo, wiring.tableName),
    queue: createQueuePublisher(wiring.sqs),
    pollQueueUrl: wiring.pollQueueUrl,
    eventsQueueUrl: wiring.eventsQueueUrl,
    pincode,
    settings: withCeilingFloor({ ...DEFAULT_POLL_SETTINGS, ...wiring.settings }),
    logger,
    metrics,
    ...(wiring.now ? { now: wiring.now } : {}),
  };
}

function wireStrandedCommands(wiring: PollerWiring, commands: NonNullable<PollerWiring["commands"]>) {
  const deps: StrandedCommandsDeps = {
    commands: createCommandRepository(wiring.dynamo, wiring.tableName),
    submissions: createSubmissionRepository(wiring.dynamo, wiring.tableName),
    queue: commands.queue ?? createSqsCommandQueue(wiring.sqs, commands.queueUrl),
    entries: createQueuedCommandEntries(wiring.dynamo, wiring.tableName),
    pendingSubmissions: createPendingSubmissionIndex(wiring.dynamo, wiring.tableName),
    ...(commands.graceMs !== undefined ? { graceMs: commands.graceMs } : {}),
  };
  return { sweep: (now: number) => sweepStrandedCommands(deps, now) };
}

export function pollerDepsFromEnv(env: NodeJS.ProcessEnv = process.env): PollerDeps {
  const config = parsePollerEnv(env);
  const adaptive = adaptiveScheduleOf(config);
  // Stage additions to the outbound reason tables (-c extraCancelReasons / extraItemReasons).
  extendReasonTablesFromEnv(env);
  const secrets = createSecretsClient();
  const dynamo = createDynamoClient();
  return wirePollerDeps({
    dynamo,
    tableName: config.TABLE_NAME,
    sqs: createSqsClient(),
    pollQueueUrl: config.POLL_QUEUE_URL,
    eventsQueueUrl: config.EVENTS_QUEUE_URL,
    storeIds: config.STORE_IDS,
    storesFromTable: true,
    ...(config.COMMANDS_QUEUE_URL ? { commands: { queueUrl: config.COMMANDS_QUEUE_URL } } : {}),
    pincode: {
      baseUrl: config.PINCODE_API_BASE_URL,
      authBaseUrl: config.PINCODE_AUTH_URL,
      credentials: () => loadJsonSecret(secrets, config.PINCODE_CREDENTIALS_SECRET_ARN, PincodeCredentialsSchema),
      // The stack-wide Pincode budget (docs/rate-budget.md); without PINCODE_RATE_LIMIT_PER_S the per-process throttle.
      ...rateBudgetOption(env, { dynamo, tableName: config.TABLE_NAME }),
      defaultPollPageSize: config.POLL_PAGE_SIZE,
    },
    settings: {
      lookbackMs: config.POLL_LOOKBACK_MS,
      settleMs: config.POLL_SETTLE_MS,
      pageSize: config.POLL_PAGE_SIZE,
      timeBudgetMs: config.POLL_TIME_BUDGET_MS,
      initialLookbackMs: config.POLL_INITIAL_LOOKBACK_MS,
      maxWindowMs: config.POLL_MAX_WINDOW_MS,
      ...(adaptive ? { adaptive } : {}),
    },
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    metrics: createMetrics(config.POWERTOOLS_SERVICE_NAME),
  });
}
