/**
 * Issue 11: local mode's processor consumer runs several batches at once (LOCAL_PROCESSOR_CONCURRENCY, as Lambda's SQS
 * event source runs concurrent invocations); one at a time was what held the end-to-end bench at ~14 orders/s. On
 * fauxqs: with concurrency N at most N invocations overlap and more than one does; every message is handled and
 * deleted exactly once; the default stays one at a time; the setting is parsed with a message naming it.
 */
import { GetQueueAttributesCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalQueues, startLocalQueues } from "../../bin/local/emulators.ts";
import { createSqsDriver } from "../../bin/local/sqs-driver.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("local-mode SQS consumer concurrency", () => {
  let queues: LocalQueues;

  beforeAll(async () => {
    queues = await startLocalQueues({ visibilityTimeoutSeconds: 30 });
  });
  afterAll(async () => {
    await queues?.stop();
  });

  async function send(count: number, tag: string) {
    for (let start = 0; start < count; start += 10) {
      await queues.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queues.eventsQueueUrl,
          Entries: Array.from({ length: Math.min(10, count - start) }, (_, i) => ({
            Id: String(i),
            MessageBody: `${tag}-${start + i}`,
          })),
        }),
      );
    }
  }

  /** Runs the background loop until `count` bodies were handled; returns them and the most invocations at once. */
  async function consume(count: number, concurrency: number | undefined) {
    const bodies: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const driver = createSqsDriver({
      sqs: queues.client,
      queueUrl: queues.eventsQueueUrl,
      batchSize: 2,
      waitTimeSeconds: 0,
      ...(concurrency !== undefined ? { concurrency } : {}),
      handler: async (event) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(150);
        bodies.push(...event.Records.map((r) => r.body));
        inFlight--;
        return { batchItemFailures: [] };
      },
    });
    driver.start();
    const deadline = Date.now() + 30_000;
    while (bodies.length < count && Date.now() < deadline) await sleep(50);
    await driver.stop();
    return { bodies, maxInFlight };
  }

  it("runs up to N invocations at once and handles every message once", async () => {
    await send(24, "c3");
    const { bodies, maxInFlight } = await consume(24, 3);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect([...bodies].sort()).toEqual(Array.from({ length: 24 }, (_, i) => `c3-${i}`).sort());
    // Every handled message was deleted: none visible, none in flight.
    const attrs = await queues.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queues.eventsQueueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    expect(attrs.Attributes?.ApproximateNumberOfMessages).toBe("0");
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe("0");
  });

  it("runs one invocation at a time by default", async () => {
    await send(6, "c1");
    const { bodies, maxInFlight } = await consume(6, undefined);
    expect(maxInFlight).toBe(1);
    expect(bodies).toHaveLength(6);
  });

  it("local mode reads LOCAL_PROCESSOR_CONCURRENCY (default 4), naming it when out of range", () => {
    expect(loadLocalConfig({}, []).LOCAL_PROCESSOR_CONCURRENCY).toBe(4);
    expect(loadLocalConfig({ LOCAL_PROCESSOR_CONCURRENCY: "8" }, []).LOCAL_PROCESSOR_CONCURRENCY).toBe(8);
    for (const bad of ["0", "65", "two", "1.5"]) {
      expect(() => loadLocalConfig({ LOCAL_PROCESSOR_CONCURRENCY: bad }, [])).toThrow(
        /^invalid local-mode configuration: LOCAL_PROCESSOR_CONCURRENCY: /,
      );
    }
  });
});
