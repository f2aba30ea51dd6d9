/**
 * Stores as data, seen from the poller's scheduled run: it seeds STORE_IDS once, fans out to the ACTIVE stores in
 * the table (an added store is polled, a retired one is not, a seed never brings a retired one back) and reports the
 * oldest pending submission's age for the alarm, clearing index entries whose submission is no longer pending.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaContext, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { createPendingSubmissionIndex } from "../../functions/adapters/pending-submission-index.ts";
import { createStoreRepository } from "../../functions/adapters/store-repository.ts";
import { createSubmissionRepository } from "../../functions/adapters/submission-repository.ts";
import { submitStoreToggle } from "../../functions/commands/submit.ts";
import type { FanOutResult } from "../../functions/poller/create-handler.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { type CommandsEnv, drainCommands, startCommandsEnv } from "./commands.harness.ts";
import { captureStdout, drainBodies, sandboxClientConfig, testObservability } from "./ingestion.harness.ts";

describe("poller fan-out over the stored stores", () => {
  let env: CommandsEnv;
  beforeAll(async () => {
    env = await startCommandsEnv();
  });
  afterAll(() => env?.stop());

  /** A poller as a fresh Lambda container would build it (its seed runs once per container). */
  const newPoller = (storeIds: string[]) =>
    createPollerHandler(
      wirePollerDeps({
        dynamo: env.dynamo.client,
        sqs: env.queues.client,
        tableName: env.dynamo.tableName,
        eventsQueueUrl: env.queues.eventsQueueUrl,
        pollQueueUrl: env.queues.pollQueueUrl,
        storeIds,
        storesFromTable: true,
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("poller-stores-test"),
      }),
    );
  const tick = async (poller: ReturnType<typeof newPoller>) => {
    const capture = captureStdout();
    try {
      const result = (await poller(scheduledEvent(), lambdaContext({ functionName: "poller" }))) as FanOutResult;
      const tasks = await drainBodies<{ storeId: string }>(env.queues.client, env.queues.pollQueueUrl);
      const ages = capture
        .metricsNamed("OldestPendingSubmissionAgeMs")
        .map((m) => Number(m.OldestPendingSubmissionAgeMs));
      return { result, stores: tasks.map((t) => t.storeId).sort(), ages };
    } finally {
      capture.stop();
    }
  };

  it("seeds, then follows added and retired stores without a redeploy", async () => {
    const stores = createStoreRepository(env.dynamo.client, env.dynamo.tableName);
    const poller = newPoller(["P01", "P02"]);
    const first = await tick(poller);
    expect(first.stores).toEqual(["P01", "P02"]);
    expect(first.result.tasks).toBe(2);

    await stores.put({ storeId: "P03" }, Date.now());
    await stores.retire("P02", Date.now());
    expect((await tick(poller)).stores).toEqual(["P01", "P03"]);

    // A new container seeds P01,P02 again: the retired P02 stays retired.
    expect((await tick(newPoller(["P01", "P02"]))).stores).toEqual(["P01", "P03"]);
    expect((await stores.get("P02"))?.status).toBe("RETIRED");
  });

  it("seeds many stores concurrently: idempotent, never overwriting a store that exists, never reviving a retired one", async () => {
    const stores = createStoreRepository(env.dynamo.client, env.dynamo.tableName);
    const ids = Array.from({ length: 120 }, (_, i) => `SEED${String(i).padStart(3, "0")}`);
    await stores.put({ storeId: "SEED005", name: "kept by the seller" }, Date.now());
    await stores.put({ storeId: "SEED077" }, Date.now());
    await stores.retire("SEED077", Date.now());
    // Duplicates in the list are one store.
    expect(await stores.seed([...ids, "SEED001", "SEED002"], Date.now())).toBe(118);
    expect(await stores.seed(ids, Date.now())).toBe(0);
    expect((await stores.get("SEED005"))?.name).toBe("kept by the seller");
    expect((await stores.get("SEED077"))?.status).toBe("RETIRED");
    const active = new Set(await stores.listActiveIds());
    expect(ids.filter((id) => !active.has(id))).toEqual(["SEED077"]);
  });

  it("reports the oldest pending submission's age, 0 once it is no longer pending", async () => {
    const stores = createStoreRepository(env.dynamo.client, env.dynamo.tableName);
    await stores.put({ storeId: "P01" }, Date.now());
    const toggled = await submitStoreToggle(env.submit, { storeId: "P01", body: { status: "DISABLED" } });
    expect(toggled.status).toBe(202);
    const submissionId = String(toggled.body.submissionId);
    const index = createPendingSubmissionIndex(env.dynamo.client, env.dynamo.tableName);
    const since = Date.now() - 40 * 60_000;
    await index.markPending(submissionId, since);
    // An entry whose submission never existed (or expired) is cleared, not reported.
    await index.markPending("SUB-gone", since - 60_000);

    const poller = newPoller(["P01"]);
    const pending = await tick(poller);
    expect(pending.ages).toHaveLength(1);
    expect(pending.ages[0]).toBeGreaterThanOrEqual(40 * 60_000);
    expect(pending.ages[0]).toBeLessThan(45 * 60_000);

    await createSubmissionRepository(env.dynamo.client, env.dynamo.tableName).markFinal(
      submissionId,
      "FAILED",
      { reason: "test: gave up" },
      Date.now(),
    );
    expect((await tick(poller)).ages).toEqual([0]);
    expect(await index.oldestPending()).toBeUndefined();
    await drainCommands(env);
  });
});
