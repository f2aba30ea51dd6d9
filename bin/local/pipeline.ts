/**
 * The whole pincode-bridge pipeline in one process: dynalite, fauxqs, the sandbox (or a real Pincode), an HTTP
 * front door mapping API Gateway's routes to the real handlers, the poller on a timer and SQS consumer loops that
 * invoke the processor and poller the way Lambda's event source mappings do.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { CONSOLE_PATH, isConsolePath, loadConsoleAssets, serveConsole } from "../../console/assets.ts";
import { createEmfMetrics } from "../../functions/adapters/emf-writer.ts";
import { type BridgeEvent, createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createLogger } from "../../functions/adapters/observability.ts";
import { createQueuePublisher } from "../../functions/adapters/queue-publisher.ts";
import { rateBudgetOption } from "../../functions/adapters/rate-budget-store.ts";
import { createStoreConfigReader } from "../../functions/adapters/store-config-reader.ts";
import { createCallbackHandler } from "../../functions/callback/create-handler.ts";
import { createCallbackAuthHandler } from "../../functions/callback-auth/create-handler.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { type GatewayRoute, type RouteFunction, resolveGatewayRoute } from "../../functions/core/routes.ts";
import { extendReasonTables } from "../../functions/pincode/schemas.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { type AdaptiveSchedule, maxTasksPerTick } from "../../functions/poller/schedule.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { createSellerApiHandler } from "../../functions/seller-api/create-handler.ts";
import { wireSellerApiDeps } from "../../functions/seller-api/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import { apiGatewayEventFromRequest, writeApiGatewayResult } from "./api-gateway-event.ts";
import { LOCAL_REAL_PINCODE_DEFAULT_RATE, type LocalConfig } from "./config.ts";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "./emulators.ts";
import { createSqsDriver, lambdaContext, type SqsDriver, scheduledEvent } from "./sqs-driver.ts";
import { type CallbackCounters, readStatus, type StatusSnapshot } from "./status.ts";

export const ROUTES = {
  callbacks: "/pincode/callbacks",
  token: "/pincode/oauth/token",
} as const;

export interface LocalPipeline {
  apiUrl: string;
  callbackUrl: string;
  tokenUrl: string;
  dynamo: LocalDynamo;
  queues: LocalQueues;
  sandbox: Sandbox | undefined;
  /** The seed the sandbox runs with (SANDBOX_SEED, or time-based when unset). */
  sandboxSeed: number | undefined;
  pincodeApiBaseUrl: string;
  pincodeAuthUrl: string;
  callbackClient: { clientId: string; clientSecret: string };
  /** The console (issue 12): the page served at /console on the front door, a client of the seller API. */
  consoleUrl: string;
  /** The seller API's bearer key (SELLER_API_KEY, or generated and kept in DATA_DIR). */
  sellerApiKey: string;
  /** True when the key was generated (not from SELLER_API_KEY): local.ts prints it. */
  sellerApiKeyGenerated: boolean;
  eventsFile: string | undefined;
  counters: CallbackCounters & { events: number };
  /** Runs the scheduled poller once now (as the EventBridge rule would). */
  pollNow(): Promise<void>;
  /**
   * Fault hooks for the chaos run (issue 10; nothing in local mode uses them): kill a consumer loop as a crash would
   * (its invocation in flight is never acknowledged) and start it again.
   */
  consumers: { kill(name: ConsumerName): void; start(name: ConsumerName): void };
  /** While on, the callback route answers 503 before reaching the function (an API Gateway or Lambda outage). */
  setCallbackOutage(on: boolean): void;
  status(): Promise<StatusSnapshot>;
  stop(): Promise<void>;
}

/** The SQS consumer loops of local mode, as Lambda's event source mappings. */
export type ConsumerName = "processor" | "poller" | "commands";

/** The callback OAuth client's signing key, kept in DATA_DIR so tokens survive a restart (random in memory mode). */
async function signingKey(config: LocalConfig): Promise<string> {
  if (config.inMemory) return randomBytes(32).toString("base64url");
  const file = join(config.dataDir, "callback-signing-key");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    const key = randomBytes(32).toString("base64url");
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}

/** The seller API key: SELLER_API_KEY, else one generated once and kept in DATA_DIR (random in memory mode). */
async function sellerApiKey(config: LocalConfig): Promise<{ key: string; generated: boolean }> {
  if (config.SELLER_API_KEY) return { key: config.SELLER_API_KEY, generated: false };
  if (config.inMemory) return { key: randomBytes(24).toString("base64url"), generated: true };
  const file = join(config.dataDir, "seller-api-key");
  try {
    const key = (await readFile(file, "utf8")).trim();
    if (key.length >= 16) return { key, generated: true };
  } catch {
    // not generated yet
  }
  const key = randomBytes(24).toString("base64url");
  await writeFile(file, key, { mode: 0o600 });
  return { key, generated: true };
}

/** Local stand-in for API Gateway's AWS_IAM: `Authorization: Bearer <SELLER_API_KEY>`, compared in constant time. */
export function sellerApiKeyMatches(header: string | undefined, key: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from(match[1] ?? "");
  const wanted = Buffer.from(key);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Observation points for tools that measure local mode (`npm run bench`); nothing in local mode needs them. */
export interface LocalPipelineHooks {
  /** Called with every domain event, right after the processor stored the change it announces. */
  onDomainEvent?: (event: BridgeEvent) => void;
  /** Called with every wait the stack-wide Pincode budget granted (issue 13's simulation measures commands' wait). */
  onRateWait?: (wait: { family: string; priority: "command" | "background"; waitMs: number }) => void;
}

/** POLL_INTERVAL_MIN_S + POLL_INTERVAL_MAX_S: adaptive polling, one schedule tick per POLL_INTERVAL_S. */
function localAdaptiveSchedule(config: LocalConfig): { adaptive?: AdaptiveSchedule } {
  const min = config.POLL_INTERVAL_MIN_S;
  const max = config.POLL_INTERVAL_MAX_S;
  if (min === undefined || max === undefined) return {};
  const tickMs = config.POLL_INTERVAL_S * 1000;
  const budget = config.PINCODE_RATE_LIMIT_PER_S;
  return {
    adaptive: {
      minMs: min * 1000,
      maxMs: Math.max(min, max) * 1000,
      missMemoryMs: 4 * max * 1000,
      tickMs,
      maxTasksPerRun: budget ? maxTasksPerTick(budget, tickMs) : 100_000,
    },
  };
}

export async function startLocalPipeline(
  config: LocalConfig,
  log: (line: string) => void = () => {},
  hooks: LocalPipelineHooks = {},
): Promise<LocalPipeline> {
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log(`shutdown: ${(error as Error).message}`);
      }
    }
  };

  try {
    if (!config.inMemory) await mkdir(config.dataDir, { recursive: true });

    // With AWS_ENDPOINT_URL_DYNAMODB / _SQS set, an emulator already running is used (docs/local-mode.md); a run
    // that keeps its data names its table and queues, an --in-memory run gets fresh ones, deleted at stop.
    const dynamo = await startLocalDynamo({
      ...(config.AWS_ENDPOINT_URL_DYNAMODB ? { endpoint: config.AWS_ENDPOINT_URL_DYNAMODB } : {}),
      port: config.DYNAMODB_PORT,
      host: config.HOST,
      ...(config.inMemory ? {} : { dataDir: join(config.dataDir, "dynamodb"), tableName: "pincode-bridge" }),
    });
    stops.push(() => dynamo.stop());

    const queues = await startLocalQueues({
      ...(config.AWS_ENDPOINT_URL_SQS ? { endpoint: config.AWS_ENDPOINT_URL_SQS } : {}),
      port: config.SQS_PORT,
      ...(config.inMemory ? {} : { prefix: "pincode-bridge" }),
      visibilityTimeoutSeconds: config.VISIBILITY_TIMEOUT_S,
      maxReceiveCount: config.MAX_RECEIVE_COUNT,
    });
    stops.push(() => queues.stop());

    // The stage's additions to the outbound reason tables, as the functions read them on AWS.
    extendReasonTables({
      cancelReasons: config.PINCODE_EXTRA_CANCEL_REASONS,
      itemReasons: config.PINCODE_EXTRA_ITEM_REASONS,
    });

    let sandbox: Sandbox | undefined;
    const sandboxBudget = config.SANDBOX_RATE_LIMIT_PER_S ?? config.PINCODE_RATE_LIMIT_PER_S;
    // Time-based unless pinned: DATA_DIR keeps the last run's orders, and a repeated seed repeats their ids.
    const sandboxSeed = config.realPincode ? undefined : (config.SANDBOX_SEED ?? Date.now() % 2_147_483_647);
    if (!config.realPincode) {
      sandbox = await startSandbox({
        port: config.SANDBOX_PORT,
        host: config.HOST,
        clientId: config.SANDBOX_CLIENT_ID,
        clientSecret: config.SANDBOX_CLIENT_SECRET,
        seed: sandboxSeed,
        stores: config.STORE_IDS,
        updatedAt: config.SANDBOX_UPDATED_AT,
        // Issue 13: the sandbox enforces the budget the bridge is given (a token bucket answering 429).
        ...(sandboxBudget === undefined ? {} : { rateLimit: { perSecond: sandboxBudget } }),
        log,
      });
      stops.push(() => sandbox?.stop());
    }
    const pincodeApiBaseUrl = config.PINCODE_API_BASE_URL ?? sandbox!.apiBaseUrl;
    const pincodeAuthUrl = config.PINCODE_AUTH_URL ?? sandbox!.authBaseUrl;
    const pincodeCredentials = {
      clientId: config.PINCODE_CLIENT_ID ?? config.SANDBOX_CLIENT_ID,
      clientSecret: config.PINCODE_CLIENT_SECRET ?? config.SANDBOX_CLIENT_SECRET,
    };

    // Domain events: appended to DATA_DIR/events.jsonl (the local stand-in for the EventBridge bus).
    const eventsFile = config.inMemory ? undefined : join(config.dataDir, "events.jsonl");
    const counters = { acked: 0, rejected: 0, events: 0 };
    let eventWrites = Promise.resolve();
    const events = createRecordingEventPublisher((event: BridgeEvent) => {
      counters.events++;
      hooks.onDomainEvent?.(event);
      if (eventsFile) {
        eventWrites = eventWrites.then(() => appendFile(eventsFile, `${JSON.stringify(event)}\n`)).catch(() => {});
      }
    });

    // Runs after the consumers stop (stops run in reverse), so every event they emitted is on disk.
    stops.push(() => eventWrites);

    const callbackClient = { clientId: config.CALLBACK_CLIENT_ID, clientSecret: config.CALLBACK_CLIENT_SECRET };
    const authSecret = { ...callbackClient, signingKey: await signingKey(config) };
    const callbackAuth = createCallbackAuthHandler({
      authMode: "oauth",
      loadAuthSecret: async () => authSecret,
      logger: createLogger("pincode-bridge-callback-auth"),
      metrics: createEmfMetrics("pincode-bridge-callback-auth"),
    });
    const callback = createCallbackHandler({
      authMode: "oauth",
      loadAuthKeys: async () => authSecret,
      publisher: createQueuePublisher(queues.client),
      eventsQueueUrl: queues.eventsQueueUrl,
      logger: createLogger("pincode-bridge-callback"),
      metrics: createEmfMetrics("pincode-bridge-callback"),
    });
    // One budget for the whole local stack, paced through dynalite like the deployed one (docs/rate-budget.md).
    const rateBudget = rateBudgetOption(
      {
        PINCODE_RATE_LIMIT_PER_S:
          config.PINCODE_RATE_LIMIT_PER_S ?? (config.realPincode ? LOCAL_REAL_PINCODE_DEFAULT_RATE : undefined),
        PINCODE_RATE_LIMITS: config.PINCODE_RATE_LIMITS,
      },
      { dynamo: dynamo.client, tableName: dynamo.tableName, ...(hooks.onRateWait ? { onWait: hooks.onRateWait } : {}) },
    );
    const pincode = {
      baseUrl: pincodeApiBaseUrl,
      authBaseUrl: pincodeAuthUrl,
      credentials: pincodeCredentials,
      ...rateBudget,
    };
    // One instance per Lambda container: CONSUMER_CONCURRENCY containers each with their own clients and throttles.
    const newProcessor = () =>
      createProcessorHandler(
        wireProcessorDeps({
          dynamo: dynamo.client,
          tableName: dynamo.tableName,
          events,
          pincode,
          // Issue 9: per-store automation (auto-accept) queues its commands here.
          commands: { sqs: queues.client, queueUrl: queues.commandsQueueUrl },
        }),
      );
    // Issue 9: the commands function on the FIFO commands queue.
    const newCommands = () =>
      createCommandsHandler(wireCommandsDeps({ dynamo: dynamo.client, tableName: dynamo.tableName, events, pincode }));
    const poller = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        sqs: queues.client,
        tableName: dynamo.tableName,
        eventsQueueUrl: queues.eventsQueueUrl,
        pollQueueUrl: queues.pollQueueUrl,
        storeIds: config.STORE_IDS,
        storesFromTable: true,
        // As deployed: each scheduled run re-sends commands left QUEUED by a submit that failed half-way.
        commands: { queueUrl: queues.commandsQueueUrl },
        pincode,
        settings: {
          settleMs: config.POLL_SETTLE_S * 1000,
          ...(config.POLL_LOOKBACK_S !== undefined ? { lookbackMs: config.POLL_LOOKBACK_S * 1000 } : {}),
          ...localAdaptiveSchedule(config),
        },
      }),
    );

    const sellerApi = createSellerApiHandler(
      wireSellerApiDeps({
        dynamo: dynamo.client,
        sqs: queues.client,
        tableName: dynamo.tableName,
        commandsQueueUrl: queues.commandsQueueUrl,
        seedStoreIds: config.STORE_IDS,
        // The operations routes (GET /v1/ops/*, /v1/quarantine): the work queues and their DLQs.
        opsQueues: {
          events: { queueUrl: queues.eventsQueueUrl, dlqUrl: queues.eventsDlqUrl },
          poll: { queueUrl: queues.pollQueueUrl, dlqUrl: queues.pollDlqUrl },
          commands: { queueUrl: queues.commandsQueueUrl, dlqUrl: queues.commandsDlqUrl },
        },
      }),
    );
    const apiKey = await sellerApiKey(config);

    // The HTTP front door: the route table (functions/core/routes.ts) resolved as API Gateway resolves it,
    // API Gateway-shaped events, the real handlers.
    const handlers: Record<RouteFunction, typeof callback> = { callback, callbackAuth, sellerApi };
    let callbackOutage = false;
    const json = (response: ServerResponse, status: number, body: unknown, headers = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    // The console's page (bundled once here, so a broken bundle shows at start rather than in the browser).
    await loadConsoleAssets().catch((error: Error) => log(`console: ${error.message}`));
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      // The console is static files beside the routes; its API calls go through the routes below with the key.
      if (isConsolePath(path)) {
        serveConsole(request, response).catch((error: Error) => {
          log(`console: ${error.message}`);
          if (!response.headersSent) json(response, 500, { error: "CONSOLE_UNAVAILABLE", message: error.message });
        });
        return;
      }
      const method = request.method ?? "GET";
      const resolved = resolveGatewayRoute(method, path);
      if (!resolved) {
        json(response, 404, { error: "NOT_FOUND", message: `no route ${method} ${path}` });
        return;
      }
      const route: GatewayRoute = resolved.route;
      if (route.auth === "iam" && !sellerApiKeyMatches(request.headers.authorization, apiKey.key)) {
        // Drain the body so the client sees the answer rather than a reset connection.
        request.resume();
        json(
          response,
          401,
          {
            error: "UNAUTHORIZED",
            message: "the seller API needs 'Authorization: Bearer <SELLER_API_KEY>' (printed when local mode starts)",
          },
          { "WWW-Authenticate": 'Bearer realm="pincode-bridge-seller-api"' },
        );
        return;
      }
      if (callbackOutage && path === ROUTES.callbacks) {
        request.resume();
        counters.rejected++;
        json(response, 503, { error: "SERVICE_UNAVAILABLE", message: "the callback route is down (outage hook)" });
        return;
      }
      const handler = handlers[route.function];
      void (async () => {
        try {
          const event = await apiGatewayEventFromRequest(request, { resource: route.path, stage: "local" });
          if (Object.keys(resolved.params).length > 0) event.pathParameters = resolved.params;
          const result = await handler(event);
          if (path === ROUTES.callbacks) {
            if (result.statusCode === 200) counters.acked++;
            else counters.rejected++;
          }
          writeApiGatewayResult(response, result);
        } catch (error) {
          log(`front door: ${(error as Error).message}`);
          // API Gateway answers 413 for oversized payloads and 502 for a failed integration.
          const tooLarge = /over \d+ bytes/.test((error as Error).message);
          if (path === ROUTES.callbacks) counters.rejected++;
          json(
            response,
            tooLarge ? 413 : 502,
            tooLarge
              ? { error: "PAYLOAD_TOO_LARGE", message: "the body is over API Gateway's 10 MB limit" }
              : { error: "BAD_GATEWAY", message: "the function failed" },
          );
        }
      })();
    });
    const apiPort = await listen(server, config.PORT, config.HOST);
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const apiUrl = `http://${config.HOST}:${apiPort}`;
    const callbackUrl = `${apiUrl}${ROUTES.callbacks}`;
    const tokenUrl = `${apiUrl}${ROUTES.token}`;

    // Lambda's SQS event sources: processor on the events queue, poller on the poll queue (one store per batch).
    const onError = (error: unknown) => log(`consumer: ${(error as Error).message}`);
    const containers = Array.from({ length: config.CONSUMER_CONCURRENCY }, (_, i) => i);
    const consumers: Record<ConsumerName, SqsDriver[]> = {
      processor: containers.map(() =>
        createSqsDriver({
          sqs: queues.client,
          queueUrl: queues.eventsQueueUrl,
          handler: newProcessor(),
          onError,
          // batches each container runs at once (issue 11's bench); containers × this is the events queue's concurrency
          concurrency: config.LOCAL_PROCESSOR_CONCURRENCY,
        }),
      ),
      // POLL_CONSUMERS poll-queue loops, as the deployed poller's concurrency (issue 13's fan-out).
      poller: Array.from({ length: config.POLL_CONSUMERS }, () =>
        createSqsDriver({ sqs: queues.client, queueUrl: queues.pollQueueUrl, handler: poller, batchSize: 1, onError }),
      ),
      commands: containers.map(() =>
        createSqsDriver({ sqs: queues.client, queueUrl: queues.commandsQueueUrl, handler: newCommands(), onError }),
      ),
    };
    const drivers: SqsDriver[] = Object.values(consumers).flat();
    for (const driver of drivers) driver.start();
    stops.push(async () => {
      await Promise.all(drivers.map((d) => d.stop()));
    });

    // The EventBridge schedule: fan out one poll task per store, now and every POLL_INTERVAL_S.
    const pollNow = async () => {
      // The deployed poller's timeout (stage config poller.timeoutSeconds): a fan-out of 10,000 stores fits in it.
      await poller(scheduledEvent(), lambdaContext({ functionName: "poller", timeoutMs: 60_000 }));
    };
    const pollTimer = setInterval(() => pollNow().catch(onError), config.POLL_INTERVAL_S * 1000);
    stops.push(() => clearInterval(pollTimer));
    await pollNow().catch(onError);

    if (sandbox) {
      sandbox.registerCallback({ url: callbackUrl, tokenUrl, ...callbackClient });
      if (config.DEMO) {
        sandbox.setFaults({
          callbackDropRate: config.DEMO_CALLBACK_DROP_RATE,
          apiErrorRate: config.DEMO_API_ERROR_RATE,
        });
        // Issue 9: in the demo the bridge is the seller. Its stores auto-accept and mark PACKING on accept; the
        // sandbox only creates orders and plays logistics (the rest is the seller's move, through the seller API).
        const stores = createStoreConfigReader(dynamo.client, dynamo.tableName);
        for (const storeId of config.STORE_IDS) {
          await stores.setAutomation(storeId, { autoAccept: true, packOnAccept: true }, Date.now());
        }
        sandbox.startDemo({ intervalMs: config.DEMO_INTERVAL_S * 1000, sellerActions: false });
        stops.push(() => sandbox?.stopDemo());
      }
    }
    return {
      apiUrl,
      callbackUrl,
      tokenUrl,
      dynamo,
      queues,
      sandbox,
      sandboxSeed,
      pincodeApiBaseUrl,
      pincodeAuthUrl,
      callbackClient,
      consoleUrl: `${apiUrl}${CONSOLE_PATH}`,
      sellerApiKey: apiKey.key,
      sellerApiKeyGenerated: apiKey.generated,
      eventsFile,
      counters,
      pollNow,
      consumers: {
        kill: (name) => {
          for (const driver of consumers[name]) driver.kill();
        },
        start: (name) => {
          for (const driver of consumers[name]) driver.start();
        },
      },
      setCallbackOutage: (on) => {
        callbackOutage = on;
      },
      status: () =>
        readStatus({
          dynamo: dynamo.client,
          tableName: dynamo.tableName,
          sqs: queues.client,
          dlqUrls: [queues.eventsDlqUrl, queues.pollDlqUrl, queues.commandsDlqUrl],
          callbacks: () => ({ acked: counters.acked, rejected: counters.rejected }),
        }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
