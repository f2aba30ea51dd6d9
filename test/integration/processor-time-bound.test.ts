/**
 * A throttled Status Check must give up within the invocation's remaining time, so only its own record fails. Without
 * that bound the client's 45 s deadline (Retry-After honoured up to 30 s) outlasts a 30 s processor timeout, and a
 * timed-out invocation fails every record of its batch. The client and the Lambda context share a fake clock whose
 * sleeps advance it, so Retry-After waits are instant and the time they would take is exact.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { newEventsMessage, type OrderChangedMessage } from "../../functions/core/messages.ts";
import { DEFAULT_RETRY_POLICY } from "../../functions/pincode/retry.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  fakeLambdaClock,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

const FUNCTION_TIMEOUT_MS = 30_000;

describe("processor time bound", () => {
  let dynamo: LocalDynamo;
  let healthy: Sandbox;
  let throttled: Sandbox;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, healthy, throttled] = await Promise.all([
      startLocalDynamo(),
      startSandbox({ seed: 21 }),
      // Every /tsp call answers 429 with Retry-After: 14 s, well under the client's 30 s Retry-After cap.
      startSandbox({ seed: 22, faults: { apiRateLimitRate: 1, retryAfterSeconds: 14 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), healthy?.stop(), throttled?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.stop());

  it("fails only the throttled Status Check, before the function would time out, and keeps the batch's snapshot", async () => {
    // Prepare
    const clock = fakeLambdaClock(FUNCTION_TIMEOUT_MS);
    const { startedAt } = clock;
    const handler = createProcessorHandler(
      wireProcessorDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        events: recordingEvents(),
        pincode: {
          ...sandboxClientConfig(throttled),
          retry: { ...DEFAULT_RETRY_POLICY },
          now: clock.now,
          sleep: clock.sleep,
        },
        ...testObservability("processor-time-bound-test"),
      }),
    );
    const context = clock.context();
    const order = healthy.createOrder({ storeId: "S01" });
    const change = newEventsMessage<OrderChangedMessage>({
      kind: "order.changed",
      source: "poll",
      orderId: "OD-THROTTLED-1",
      storeId: "S01",
      observedAt: startedAt,
    });
    const event = sqsEventOf([change, snapshotMessage(order)]);
    // Act
    const response = await handler(event, context);
    // Assess
    expect(clock.elapsed()).toBeLessThan(FUNCTION_TIMEOUT_MS);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const stored = await createOrderRepository(dynamo.client, dynamo.tableName).get(String(order.id));
    expect(stored?.version).toBe(1);
    expect(output.logs()).toContainEqual(
      expect.objectContaining({ message: "record failed; will be retried", reason: expect.stringContaining("429") }),
    );
  });
});
