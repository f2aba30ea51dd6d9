/**
 * A saved Order Poll cursor that Pincode no longer accepts (expired, issued before a reset, belonging to another query:
 * A9 documents none of this) must not wedge the store: the run restarts the segment from its first page.
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { newPollTask, type OrderChangedMessage } from "../../functions/core/messages.ts";
import { createPincodeClient, type PollOrdersParams } from "../../functions/pincode/client.ts";
import { PincodeApiError } from "../../functions/pincode/errors.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import type { OrderPoller } from "../../functions/poller/poll-store.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  drainBodies,
  type OutputCapture,
  sandboxClientConfig,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

describe("poller with a cursor Pincode refuses", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([startLocalDynamo(), startLocalQueues(), startSandbox({ seed: 11 })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.stop());

  const takeAll = (queueUrl: string) => drainBodies<OrderChangedMessage>(queues.client, queueUrl);

  it("restarts the saved segment from its first page and completes the window", async () => {
    // Prepare: a run that stops after one page (budget spent) leaves a cursor; then Pincode stops accepting it
    const store = "CURSOR1";
    const ids = Array.from({ length: 5 }, () => String(sandbox.createOrder({ storeId: store }).id));
    const calls: PollOrdersParams[] = [];
    let skew = 0;
    let msPerPage = 10_000;
    const real = createPincodeClient(sandboxClientConfig(sandbox));
    const recorded: OrderPoller = {
      async pollOrders(params) {
        calls.push(params);
        const page = await real.pollOrders(params);
        skew += msPerPage;
        return page;
      },
    };
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [store],
        pincode: recorded,
        settings: {
          lookbackMs: 0,
          settleMs: 0,
          pageSize: 2,
          timeBudgetMs: 5_000,
          initialLookbackMs: 60_000,
          safetyMarginMs: 0,
        },
        now: () => Date.now() + skew,
        ...testObservability("poller-cursor-test"),
      }),
    );
    await handler(sqsEventOf([newPollTask(store, Date.now())]), context());
    const checkpoints = createPollCheckpointRepository(dynamo.client, dynamo.tableName);
    const saved = await checkpoints.get(store);
    expect(saved?.cursor).toEqual(expect.any(String));
    await takeAll(queues.eventsQueueUrl);
    // The sandbox answers 400 INVALID_REQUEST for a cursor it did not issue, as Pincode may for an expired one.
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: `STORE#${store}` }, sk: { S: "POLL" } },
        UpdateExpression: "SET pageCursor = :c",
        ExpressionAttributeValues: { ":c": { S: Buffer.from('{"not":"a cursor"}').toString("base64url") } },
      }),
    );
    calls.length = 0;
    msPerPage = 0;
    // Act
    const response = await handler(sqsEventOf([newPollTask(store, Date.now())]), context());
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls[0]).toMatchObject({ fromTimestamp: saved?.cursorFrom, toTimestamp: saved?.cursorTo });
    expect(calls[0]?.nextPage).toEqual(expect.any(String));
    expect(calls[1]).toMatchObject({ fromTimestamp: saved?.cursorFrom, toTimestamp: saved?.cursorTo });
    expect(calls[1]?.nextPage).toBeUndefined();
    const done = await checkpoints.get(store);
    expect(done?.cursor).toBeUndefined();
    expect(done?.windowEnd).toBe(saved?.cursorTo);
    const queued = (await takeAll(queues.eventsQueueUrl)).map((m) => m.orderId);
    expect([...queued].sort()).toEqual([...ids].sort());
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("refused the saved cursor"), storeId: store }),
    );
  });

  it("still fails the task when the first page, without a cursor, is refused", async () => {
    // Prepare: a Pincode that refuses every poll with 400
    const store = "CURSOR2";
    const calls: PollOrdersParams[] = [];
    const refusing: OrderPoller = {
      async pollOrders(params) {
        calls.push(params);
        throw new PincodeApiError({
          status: 400,
          errorCode: "INVALID_REQUEST",
          requestId: "PB-test",
          endpoint: "/tsp/order/v1/changes",
          attempts: 1,
          retryable: false,
        });
      },
    };
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [store],
        pincode: refusing,
        settings: { lookbackMs: 0, settleMs: 0, initialLookbackMs: 60_000, safetyMarginMs: 0 },
        ...testObservability("poller-cursor-test"),
      }),
    );
    const event = sqsEventOf([newPollTask(store, Date.now())]);
    // Act
    const response = await handler(event, context());
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    expect(calls).toHaveLength(1);
  });
});
