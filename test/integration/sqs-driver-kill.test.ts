/**
 * The chaos run's consumer crash (issue 10): `kill()` ends a local-mode consumer loop at once; the invocation in
 * flight runs on, but its records are never deleted, so they come back after the visibility timeout and a restarted
 * loop gets them again — as after a crashed Lambda container. Real fauxqs.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalQueues, startLocalQueues } from "../../bin/local/emulators.ts";
import { createSqsDriver } from "../../bin/local/sqs-driver.ts";

describe("local SQS driver: kill and restart", () => {
  let queues: LocalQueues;
  beforeAll(async () => {
    queues = await startLocalQueues({ visibilityTimeoutSeconds: 1 });
  });
  afterAll(() => queues?.stop());

  it("a killed loop's in-flight records are not deleted and reach the restarted loop after the visibility timeout", async () => {
    // Prepare: a handler that holds its first invocation until released
    const seen: { id: string; receiveCount: string }[] = [];
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const driver = createSqsDriver({
      sqs: queues.client,
      queueUrl: queues.eventsQueueUrl,
      waitTimeSeconds: 0,
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) {
          seen.push({ id: r.messageId, receiveCount: r.attributes.ApproximateReceiveCount });
        }
        if (first) {
          first = false;
          await held;
        }
        return { batchItemFailures: [] };
      },
    });
    await queues.client.send(new SendMessageCommand({ QueueUrl: queues.eventsQueueUrl, MessageBody: "{}" }));

    // Act: crash mid-invocation, let the zombie invocation succeed, restart
    driver.start();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
    driver.kill();
    expect(driver.running).toBe(false);
    release();
    driver.start();
    const deadline = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await driver.stop();

    // Assess: the same message again, received a second time (the zombie's success deleted nothing)
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({ id: seen[0]?.id, receiveCount: "2" });
  });
});
