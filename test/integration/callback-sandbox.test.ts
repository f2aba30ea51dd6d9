/**
 * Must show (a): a callback becomes the DynamoDB order view. The sandbox plays Pincode: it fetches a token from our
 * token endpoint and POSTs ORDER_VIEW callbacks over real HTTP to a server that hands API Gateway-shaped events to
 * the real callback handler; the real processor then drains the events queue (fauxqs) into the table (dynalite).
 */
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsDriver, type SqsDriver } from "../../bin/local/sqs-driver.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createOrderRepository, type OrderRepository } from "../../functions/adapters/order-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import { CALLBACK_SCOPE } from "../../functions/core/callback-auth.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import { admin, PincodeCaller } from "../../sandbox/testkit.ts";
import {
  AUTH_SECRET,
  type CallbackHarness,
  type IngressServer,
  startCallbackHarness,
  startIngressServer,
  tokenHandler,
} from "./callback.harness.ts";
import { sandboxClientConfig, testObservability } from "./ingestion.harness.ts";

let h: CallbackHarness;
let ingress: IngressServer;
let sandbox: Sandbox;
let processor: SqsDriver;
let orders: OrderRepository;

beforeAll(async () => {
  h = await startCallbackHarness({ logLevel: "SILENT" });
  [ingress, sandbox] = await Promise.all([
    startIngressServer({ callback: h.callbackHandler(), token: tokenHandler() }),
    // A1: the sandbox labels its JSON callbacks form-encoded, as Pincode's docs say it will.
    startSandbox({
      seed: 23,
      quirks: { callbackContentType: "application/x-www-form-urlencoded" },
      callbackRetry: { attempts: 2, baseBackoffMs: 5, maxBackoffMs: 10, timeoutMs: 2_000 },
    }),
  ]);
  const { logger, metrics } = testObservability("processor-for-callback-test");
  logger.setLogLevel("SILENT");
  const deps = wireProcessorDeps({
    dynamo: h.dynamo.client,
    tableName: h.dynamo.tableName,
    events: createRecordingEventPublisher(),
    pincode: sandboxClientConfig(sandbox),
    logger,
    metrics,
  });
  processor = createSqsDriver({
    sqs: h.queues.client,
    queueUrl: h.queues.eventsQueueUrl,
    handler: createProcessorHandler(deps),
  });
  orders = createOrderRepository(h.dynamo.client, h.dynamo.tableName);
});

afterAll(async () => {
  await Promise.all([ingress?.stop(), sandbox?.stop()]);
  await h?.stop();
});

beforeEach(async () => {
  await h.drainEvents();
});

/** Registers our endpoints with the sandbox over its admin API, as a seller registers them with Pincode by email. */
async function register(body: Record<string, unknown>) {
  const answer = await admin(sandbox.url, "PUT", "/_sandbox/callback", { url: ingress.callbackUrl, ...body });
  expect(answer.status).toBe(200);
}

describe("Pincode (sandbox) -> callback endpoint -> events queue -> processor -> order view", () => {
  it("stores every order the sandbox reports by OAuth-authenticated callback, matching the sandbox's truth", async () => {
    // Prepare
    await register({
      tokenUrl: ingress.tokenUrl,
      clientId: AUTH_SECRET.clientId,
      clientSecret: AUTH_SECRET.clientSecret,
      scope: CALLBACK_SCOPE,
    });
    const before = sandbox.stats().callbacks;

    // Act: two new orders, then the seller accepts one through Order Update (every change is a full ORDER_VIEW
    // callback: PINCODE-API §3.2).
    const created = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S01" });
    const other = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S02" });
    const orderId = String((created.json as { id: string }).id);
    const otherId = String((other.json as { id: string }).id);
    const seller = new PincodeCaller(sandbox.apiBaseUrl, {
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
    });
    const accepted = await seller.post("/tsp/order/v1/update", {
      requestContext: { requestId: "PB-accept-1", transactionId: orderId, actionType: "UPDATE" },
      orderId,
      actions: [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }],
    });
    expect(accepted.status).toBe(200);
    await sandbox.callbacksIdle();
    const drained = await processor.drainUntilIdle();

    // Assess: every callback was ACKed on the first attempt, and the processor took every message.
    const after = sandbox.stats().callbacks;
    expect(after.acked - before.acked).toBe(3);
    expect(after.failed - before.failed).toBe(0);
    expect(after.retried - before.retried).toBe(0);
    expect(drained).toMatchObject({ received: 3, failed: 0 });
    for (const id of [orderId, otherId]) {
      const stored = await orders.get(id);
      const truth = OrderSchema.parse(sandbox.getOrder(id));
      expect(stored?.order).toEqual(truth);
      expect(stored?.source).toBe("callback");
      expect(stored?.summary.orderState).toBe(truth.orderState);
    }
    expect((await orders.get(orderId))?.summary.orderState).toBe("ACCEPTED");
    expect((await orders.get(orderId))?.version).toBe(2);
  });

  it("accepts callbacks authenticated by the static token (oauth+static mode)", async () => {
    // Prepare
    await register({ staticToken: AUTH_SECRET.staticToken });
    const before = sandbox.stats().callbacks;
    // Act
    const created = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S03" });
    const orderId = String((created.json as { id: string }).id);
    await sandbox.callbacksIdle();
    await processor.drainUntilIdle();
    // Assess
    expect(sandbox.stats().callbacks.acked - before.acked).toBe(1);
    expect((await orders.get(orderId))?.order).toEqual(OrderSchema.parse(sandbox.getOrder(orderId)));
  });

  it("refuses the sandbox's callbacks with wrong credentials: nothing queued, nothing stored", async () => {
    // Prepare
    await register({ tokenUrl: ingress.tokenUrl, clientId: AUTH_SECRET.clientId, clientSecret: "not-the-secret" });
    const before = sandbox.stats().callbacks;
    // Act
    const created = await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId: "S01" });
    const orderId = String((created.json as { id: string }).id);
    await sandbox.callbacksIdle();
    // Assess: the sandbox could not get a token, so it never delivered; we queued nothing.
    const after = sandbox.stats().callbacks;
    expect(after.failed - before.failed).toBe(1);
    expect(after.acked - before.acked).toBe(0);
    expect(await h.drainEvents()).toEqual([]);
    expect(await orders.get(orderId)).toBeUndefined();
  });

  it("carries a STORE_UPDATE submission result (no type) through to the submission record", async () => {
    // Prepare
    await register({
      tokenUrl: ingress.tokenUrl,
      clientId: AUTH_SECRET.clientId,
      clientSecret: AUTH_SECRET.clientSecret,
    });
    const caller = new PincodeCaller(sandbox.apiBaseUrl, {
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
    });
    // Act: a store toggle whose result arrives later as a callback (PINCODE-API §2.4, §3.4).
    const reply = await caller.post("/tsp/catalog/v1/store", {
      requestContext: { requestId: "PB-store-toggle-1" },
      messages: [
        {
          messageId: "M1",
          serviceProviderId: "S02",
          operationType: "PARTIAL_UPDATE",
          data: { type: "STORE_TOGGLE", orderAcceptance: { status: "DISABLED", validTill: Date.now() + 3_600_000 } },
        },
      ],
    });
    expect(reply.status).toBeGreaterThanOrEqual(200);
    expect(reply.status).toBeLessThan(300);
    const submissionId = String((reply.json as { response: { submissionId: string } }).response.submissionId);
    await sandbox.callbacksIdle();
    const drained = await processor.drainUntilIdle();
    // Assess
    expect(drained).toMatchObject({ received: 1, failed: 0 });
    const item = await h.dynamo.client.send(
      new GetItemCommand({
        TableName: h.dynamo.tableName,
        Key: {
          pk: { S: keys.submission(submissionId).pk },
          sk: { S: keys.submission(submissionId).sk },
        },
      }),
    );
    expect(item.Item?.submissionId?.S).toBe(submissionId);
    expect(item.Item?.resultRequestId?.S).toBe("PB-store-toggle-1");
  });
});
