/**
 * A throttled Order Poll page must give up before the store's lease runs out: past it, another task may take the store
 * and page it at the same time (A8: one poll loop per store), or the function times out mid-page. The client and the
 * poller share a fake clock whose sleeps advance it, so Retry-After waits are instant and their length exact.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { newPollTask } from "../../functions/core/messages.ts";
import { DEFAULT_RETRY_POLICY } from "../../functions/pincode/retry.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  fakeLambdaClock,
  type OutputCapture,
  sandboxClientConfig,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

const FUNCTION_TIMEOUT_MS = 60_000;
const BUDGET_MS = 10_000;
const SAFETY_MS = 5_000;

describe("poller time bound", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let throttled: Sandbox;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, queues, throttled] = await Promise.all([
      startLocalDynamo(),
      startLocalQueues(),
      // Every /tsp call answers 429 with Retry-After: 14 s, under the client's 30 s Retry-After cap.
      startSandbox({ seed: 31, faults: { apiRateLimitRate: 1, retryAfterSeconds: 14 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), throttled?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.stop());

  it("ends a throttled page within the store's lease and fails only that task", async () => {
    // Prepare
    const clock = fakeLambdaClock(FUNCTION_TIMEOUT_MS);
    const { startedAt } = clock;
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: ["SLOW1"],
        pincode: {
          ...sandboxClientConfig(throttled),
          retry: { ...DEFAULT_RETRY_POLICY },
          now: clock.now,
          sleep: clock.sleep,
        },
        settings: { timeBudgetMs: BUDGET_MS, safetyMarginMs: SAFETY_MS, settleMs: 0, lookbackMs: 0 },
        now: clock.now,
        ...testObservability("poller-time-bound-test"),
      }),
    );
    const context = clock.context();
    const event = sqsEventOf([newPollTask("SLOW1", startedAt)]);
    // Act
    const response = await handler(event, context);
    // Assess: the lease was taken until start + budget + safety margin
    expect(clock.elapsed()).toBeLessThanOrEqual(BUDGET_MS + SAFETY_MS);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const checkpoint = await createPollCheckpointRepository(dynamo.client, dynamo.tableName).get("SLOW1");
    expect(checkpoint?.leaseOwner).toBeUndefined();
  });
});
