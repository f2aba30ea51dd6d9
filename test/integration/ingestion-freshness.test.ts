/**
 * (c) Freshness, not arrival order: the snapshots one order goes through on the sandbox, delivered duplicated, shuffled
 * and in random batches through the real processor into dynalite, always leave exactly the freshest state.
 */
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { decodeFreshness, freshnessOf } from "../../functions/core/freshness.ts";
import { createPincodeClient } from "../../functions/pincode/client.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  historyOf,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

describe("order view freshness under duplicated, reordered delivery (property)", () => {
  let dynamo: LocalDynamo;
  let sandbox: Sandbox;
  let output: OutputCapture;
  /** Every state one sandbox order went through, oldest first, as Pincode renders it. */
  let lifecycle: Record<string, unknown>[];

  beforeAll(async () => {
    [dynamo, sandbox] = await Promise.all([startLocalDynamo(), startSandbox({ seed: 33 })]);
    const seller = createPincodeClient(sandboxClientConfig(sandbox));
    const created = sandbox.createOrder({ storeId: "S01" });
    const id = String(created.id);
    lifecycle = [created];
    const record = () => lifecycle.push(sandbox.getOrder(id)!);
    const storeLeg = String(
      (created.fulfillments as { type: string; fulfillmentId: string }[]).find((f) => f.type === "STORE")
        ?.fulfillmentId,
    );
    const steps: (() => Promise<unknown>)[] = [
      () => seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]),
      () =>
        seller.updateOrder(id, [
          { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: storeLeg, fulfillmentState: "PACKING" },
        ]),
      () =>
        seller.updateOrder(id, [
          { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: storeLeg, fulfillmentState: "PACKED" },
        ]),
      () => seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" }]),
      async () => sandbox.advanceOrder(id),
      async () => sandbox.advanceOrder(id),
      async () => sandbox.advanceOrder(id),
      () => seller.updateOrder(id, [{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }]),
    ];
    for (const step of steps) {
      await step();
      record();
    }
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), sandbox?.stop()]);
  });
  afterEach(() => output?.stop());

  it("stores the freshest snapshot, never moves a terminal order back, and records the late ones", async () => {
    output = captureStdout();
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    const distinct = new Set(lifecycle.map((o) => freshnessOf(OrderSchema.parse(o))));
    expect(distinct.size).toBe(lifecycle.length);
    let run = 0;

    const plan = fc.record({
      copies: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: lifecycle.length, maxLength: lifecycle.length }),
      seed: fc.integer(),
      batchSizes: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 12 }),
    });

    await fc.assert(
      fc.asyncProperty(plan, async ({ copies, seed, batchSizes }) => {
        // Prepare: a fresh order id per run, each snapshot delivered 1-3 times, shuffled, cut into batches
        run += 1;
        const orderId = `${String(lifecycle[0]?.id)}-R${run}`;
        const snapshots = lifecycle.map((o) => ({ ...o, id: orderId }));
        const deliveries = snapshots.flatMap((s, i) => Array.from({ length: copies[i] ?? 1 }, () => s));
        const shuffled = fc.sample(fc.shuffledSubarray(deliveries, { minLength: deliveries.length }), {
          seed,
          numRuns: 1,
        })[0]!;
        const batches: (typeof shuffled)[] = [];
        for (let at = 0, b = 0; at < shuffled.length; b++) {
          const size = batchSizes[b % batchSizes.length] ?? 1;
          batches.push(shuffled.slice(at, at + size));
          at += size;
        }
        const events = recordingEvents();
        const handler = createProcessorHandler(
          wireProcessorDeps({
            dynamo: dynamo.client,
            tableName: dynamo.tableName,
            events,
            pincode: { getOrderStatus: () => Promise.reject(new Error("no Status Check in this test")) },
            ...testObservability("freshness-property"),
          }),
        );

        // Act
        const seenFreshness: string[] = [];
        for (const batch of batches) {
          const response = await handler(sqsEventOf(batch.map((s) => snapshotMessage(s))), context());
          expect(response.batchItemFailures).toEqual([]);
          seenFreshness.push((await repository.get(orderId))?.freshness ?? "");
        }

        // Assess
        const freshest = snapshots
          .map((s) => OrderSchema.parse(s))
          .reduce((a, b) => (freshnessOf(a) >= freshnessOf(b) ? a : b));
        const view = await repository.get(orderId);
        expect(view?.order).toEqual(freshest);
        expect(view?.summary.orderState).toBe("COMPLETED");
        // the stored freshness never decreased between batches, so a terminal view stayed terminal
        for (let i = 1; i < seenFreshness.length; i++) {
          expect(seenFreshness[i]! >= seenFreshness[i - 1]!).toBe(true);
          if (decodeFreshness(seenFreshness[i - 1]!)?.terminal)
            expect(decodeFreshness(seenFreshness[i]!)?.terminal).toBe(true);
        }
        // at least one event per accepted change (a concurrent writer may repeat one it saw unconfirmed), repeats
        // identical, and chained: each reports the previous change's state as `before`
        const byVersion = new Map<number, (typeof events.events)[number]>();
        for (const e of events.events) {
          const seen = byVersion.get(e.detail.version);
          if (seen) expect(e).toEqual(seen);
          byVersion.set(e.detail.version, e);
        }
        const published = [...byVersion.values()].sort((a, b) => a.detail.version - b.detail.version);
        expect(published.map((e) => e.detail.version)).toEqual(
          Array.from({ length: view?.version ?? 0 }, (_, i) => i + 1),
        );
        expect(published[0]?.detail.before).toBeNull();
        for (let i = 1; i < published.length; i++)
          expect(published[i]?.detail.before).toEqual(published[i - 1]?.detail.after);
        expect(published.at(-1)?.detail.after).toEqual(view?.summary);
        // Nothing still pending that was not published. The outbox marker is written without a condition, so on an
        // emulator that runs requests in parallel (DynamoDB Local, AWS) a lower marker can land last: its events
        // stay listed as pending and go out again with the order's next change (at least once; docs/performance.md).
        for (const pending of view?.pendingEvents ?? []) expect(byVersion.has(pending.version)).toBe(true);
        // every delivery is in history; the late ones as stale, never above the stored freshness
        const history = await historyOf(dynamo, orderId);
        expect(history).toHaveLength(deliveries.length);
        expect(history.filter((h) => h.outcome === "accepted")).toHaveLength(view?.version ?? -1);
        // each accepted item names the view version it became: 1..version, once each (issue 10 reads write order so)
        expect(
          history
            .filter((h) => h.outcome === "accepted")
            .map((h) => h.version)
            .sort((a, b) => (a ?? 0) - (b ?? 0)),
        ).toEqual(Array.from({ length: view?.version ?? 0 }, (_, i) => i + 1));
        for (const h of history.filter((x) => x.outcome !== "accepted")) expect(h.version).toBeUndefined();
        for (const h of history.filter((x) => x.outcome === "stale")) expect(h.freshness < view!.freshness).toBe(true);
        // records of one batch run concurrently: "late" means in a batch after the one that stored the freshest
        const firstBatch = batches.findIndex((batch) => batch.includes(snapshots.at(-1)!));
        const lateOnes = new Set(
          batches
            .slice(firstBatch + 1)
            .flat()
            .filter((s) => s !== snapshots.at(-1)),
        );
        const staleFreshness = new Set(history.filter((h) => h.outcome === "stale").map((h) => h.freshness));
        for (const late of lateOnes) expect(staleFreshness.has(freshnessOf(OrderSchema.parse(late)))).toBe(true);
      }),
      // Modest: issue 8's order-truth property test covers many orders per run on top of this one.
      { numRuns: 12 },
    );
  }, 120_000);
});
