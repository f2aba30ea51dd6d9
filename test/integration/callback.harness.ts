/**
 * Shared set-up for the callback ingress integration tests: dynalite and fauxqs on real ports, the real callback
 * and token handlers wired to them (the way local mode wires them), and a real node:http server that maps
 * `POST /pincode/oauth/token` and `POST /pincode/callbacks` to those handlers with API Gateway-shaped events.
 * Refused callbacks reach the table the way they do on AWS: a `callback.quarantined` message on the events queue,
 * written by the real processor (`processQueued`).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AttributeValue, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { apiGatewayEventFromRequest, writeApiGatewayResult } from "../../bin/local/api-gateway-event.ts";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createEmfMetrics } from "../../functions/adapters/emf-writer.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createLogger } from "../../functions/adapters/observability.ts";
import { createQueuePublisher } from "../../functions/adapters/queue-publisher.ts";
import { type CallbackDeps, createCallbackHandler } from "../../functions/callback/create-handler.ts";
import { createCallbackAuthHandler } from "../../functions/callback-auth/create-handler.ts";
import { type CallbackAuthMode, issueCallbackToken } from "../../functions/core/callback-auth.ts";
import { type EventsQueueMessage, EventsQueueMessageSchema } from "../../functions/core/messages.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { context, sqsEventOf } from "./ingestion.harness.ts";

/** Test-only callback auth secret (what Secrets Manager holds on AWS). */
export const AUTH_SECRET = {
  clientId: "pincode-bridge-test-pincode",
  clientSecret: "integration-client-secret-0123456789",
  signingKey: "integration-signing-key-0123456789-abcdefghijklmnop",
  staticToken: "integration-static-token-0123456789",
};

export interface CallbackHarness {
  dynamo: LocalDynamo;
  queues: LocalQueues;
  /** Builds a callback handler on the emulators; overrides change single deps (e.g. a missing queue). */
  callbackHandler(overrides?: Partial<CallbackDeps>): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  /** A valid access token, as the token endpoint issues it. */
  token(nowMs?: number): Promise<string>;
  /** Receives and deletes everything on the events queue. */
  drainEvents(): Promise<EventsQueueMessage[]>;
  /**
   * Runs the real processor over these messages (as the events queue's consumer would), writing to dynalite;
   * resolves to the ids of records that failed. Quarantined callbacks become QUARANTINE items this way.
   */
  processQueued(messages: readonly (EventsQueueMessage | string)[]): Promise<string[]>;
  /** Quarantine items whose API Gateway request id is `apiRequestId`. */
  quarantined(apiRequestId: string): Promise<Record<string, AttributeValue>[]>;
  stop(): Promise<void>;
}

export interface CallbackHarnessOptions {
  authMode?: CallbackAuthMode;
  /** Tests that assert on logs capture them (test/support/capture-stdout.ts); others may silence them. */
  logLevel?: "INFO" | "SILENT";
}

export async function startCallbackHarness(options: CallbackHarnessOptions = {}): Promise<CallbackHarness> {
  const [dynamo, queues] = await Promise.all([
    startLocalDynamo(),
    startLocalQueues({ visibilityTimeoutSeconds: 5, maxReceiveCount: 3 }),
  ]);
  const logger = createLogger("callback-integration-test");
  logger.setLogLevel(options.logLevel ?? "INFO");

  const callbackHandler = (overrides: Partial<CallbackDeps> = {}) =>
    createCallbackHandler({
      authMode: options.authMode ?? "oauth+static",
      loadAuthKeys: async () => AUTH_SECRET,
      publisher: createQueuePublisher(queues.client),
      eventsQueueUrl: queues.eventsQueueUrl,
      logger,
      metrics: createEmfMetrics("callback-integration-test"),
      ...overrides,
    });

  const processorLogger = createLogger("processor-integration-test");
  processorLogger.setLogLevel("SILENT");
  const processor = createProcessorHandler(
    wireProcessorDeps({
      dynamo: dynamo.client,
      tableName: dynamo.tableName,
      events: createRecordingEventPublisher(),
      pincode: {
        getOrderStatus: async () => {
          throw new Error("the callback tests make no Status Check");
        },
      },
      logger: processorLogger,
    }),
  );

  const receive = async (): Promise<Message[]> => {
    const got = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return got.Messages ?? [];
  };

  return {
    dynamo,
    queues,
    callbackHandler,
    async token(nowMs = Date.now()) {
      return (await issueCallbackToken(AUTH_SECRET, { clientId: AUTH_SECRET.clientId, nowMs })).accessToken;
    },
    async drainEvents() {
      const all: EventsQueueMessage[] = [];
      for (let batch = await receive(); batch.length > 0; batch = await receive()) {
        for (const message of batch) {
          all.push(EventsQueueMessageSchema.parse(JSON.parse(message.Body ?? "")));
          await queues.client.send(
            new DeleteMessageCommand({ QueueUrl: queues.eventsQueueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        }
      }
      return all;
    },
    async processQueued(messages) {
      const result = await processor(sqsEventOf(messages), context());
      return result.batchItemFailures.map((f) => f.itemIdentifier);
    },
    async quarantined(apiRequestId) {
      const scan = await dynamo.client.send(
        new ScanCommand({
          TableName: dynamo.tableName,
          FilterExpression: "apiRequestId = :id",
          ExpressionAttributeValues: { ":id": { S: apiRequestId } },
        }),
      );
      return scan.Items ?? [];
    },
    async stop() {
      await Promise.all([dynamo.stop(), queues.stop()]);
    },
  };
}

export interface IngressServer {
  url: string;
  callbackUrl: string;
  tokenUrl: string;
  stop(): Promise<void>;
}

/** A real HTTP server routing our two API Gateway resources to the handlers, as API Gateway would. */
export async function startIngressServer(handlers: {
  callback: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  token: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
}): Promise<IngressServer> {
  const routes: Record<string, (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>> = {
    "POST /pincode/callbacks": handlers.callback,
    "POST /pincode/oauth/token": handlers.token,
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? "/", "http://localhost").pathname;
      const route = routes[`${request.method} ${path}`];
      if (!route) {
        // API Gateway's own answer for an unmapped resource/method.
        writeApiGatewayResult(response, {
          statusCode: 403,
          headers: { "Content-Type": "application/json" },
          body: '{"message":"Missing Authentication Token"}',
        });
        return;
      }
      const event = await apiGatewayEventFromRequest(request, { resource: path, stage: "test" });
      writeApiGatewayResult(response, await route(event));
    })().catch((error: unknown) => {
      // API Gateway answers 502 when the integration fails.
      response.writeHead(502, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ message: `Internal server error: ${String(error)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    callbackUrl: `${url}/pincode/callbacks`,
    tokenUrl: `${url}/pincode/oauth/token`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A token-endpoint handler for the harness secret. */
export function tokenHandler(authMode: CallbackAuthMode = "oauth+static") {
  const logger = createLogger("callback-auth-integration-test");
  logger.setLogLevel("SILENT");
  return createCallbackAuthHandler({
    authMode,
    loadAuthSecret: async () => AUTH_SECRET,
    logger,
    metrics: createEmfMetrics("callback-auth-integration-test"),
  });
}
