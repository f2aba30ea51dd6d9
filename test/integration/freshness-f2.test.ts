/**
 * Stored data outlives code (issue 11): this release's freshness keys are f3 (a faster content digest); the previous
 * release wrote f2 keys (same evidence, SHA-256 digest). Views written the f2 way, on dynalite through the real order
 * repository, must still compare right: the same content is a duplicate (no new version, no event) and its key is
 * upgraded on the way; older content is stale; newer is accepted; the stored sync bound is still trusted.
 *
 * The f2 keys below are literals produced by the previous release's code (commit ef49c77) for these very orders, so
 * the test does not depend on how this release computes anything.
 */
import { readFileSync } from "node:fs";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { freshnessOf } from "../../functions/core/freshness.ts";
import { summarise } from "../../functions/core/order-summary.ts";
import { type Order, parseInboundOrder, parseInboundOrderBySchema } from "../../functions/pincode/schemas.ts";
import { historyOf } from "./ingestion.harness.ts";

type Json = Record<string, unknown>;
const sample = (): Json =>
  (
    JSON.parse(readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8")) as {
      response: Json;
    }
  ).response;

/** The documented sample (COMPLETED, one CANCEL_ORDER action), and the same before that action. */
const current = (id: string): Json => ({ ...sample(), id });
const beforeCancel = (id: string): Json => ({ ...sample(), id, actions: [], orderState: "COMPLETED" });

/** `freshnessOf` of the previous release (ef49c77) for current("OD-F2-…") and beforeCancel(…); ids do not enter it. */
const F2_KEY = {
  current: "f2|1|3|005|001722578383000|001|001732517746206|001713773187000|9999996|0|57c0a4ac3c25",
  beforeCancel: "f2|1|3|005|001722578383000|000|000000000000000|001713773187000|9999996|0|bc6720b9c694",
};

const parsedBySchema = (raw: Json): Order => {
  const parsed = parseInboundOrderBySchema(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.order;
};
const parsed = (raw: Json): Order => {
  const read = parseInboundOrder(raw);
  if (!read.ok) throw new Error(read.reason);
  return read.order;
};

describe("order views the previous release wrote with f2 freshness keys", () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  /** A view item exactly as the previous release's repository wrote it (its toItem, field for field). */
  async function putF2View(orderId: string, raw: Json, freshness: string, syncedAt: number, receivedAt: number) {
    const order = parsedBySchema(raw);
    const summary = summarise(order);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          pk: { S: `ORDER#${orderId}` },
          sk: { S: "VIEW" },
          kind: { S: "ORDER_VIEW" },
          orderId: { S: orderId },
          storeId: { S: "P1" },
          freshness: { S: freshness },
          syncedAt: { N: String(syncedAt) },
          settlePending: { BOOL: false },
          source: { S: "status-check" },
          version: { N: "1" },
          receivedAt: { N: String(receivedAt) },
          updatedAt: { N: String(summary.updatedAt) },
          itemCount: { N: String(summary.itemCount) },
          unitCount: { N: String(summary.unitCount) },
          fulfillmentStates: { M: {} },
          summary: { S: JSON.stringify(summary) },
          snapshot: { S: JSON.stringify(order) },
          writtenAt: { N: String(receivedAt) },
          ...(summary.orderState ? { orderState: { S: summary.orderState } } : {}),
        },
      }),
    );
  }

  it("the literal f2 keys are what the previous release computed (sanity: same evidence as f3)", () => {
    const now = Date.now();
    const evidence = (key: string) => key.slice(3, key.lastIndexOf("|"));
    expect(evidence(freshnessOf(parsed(current("OD-F2-1")), now))).toBe(evidence(F2_KEY.current));
    expect(evidence(freshnessOf(parsed(beforeCancel("OD-F2-1")), now))).toBe(evidence(F2_KEY.beforeCancel));
    expect(freshnessOf(parsed(current("OD-F2-1")), now).startsWith("f3|")).toBe(true);
  });

  it("same content is a duplicate (key upgraded to f3), older is stale, and the stored sync bound is kept", async () => {
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    const receivedAt = Date.now() - 60_000;
    const syncedAt = receivedAt - 2_000; // a Status Check's start: an f2 view stores a proven bound
    await putF2View("OD-F2-1", current("OD-F2-1"), F2_KEY.current, syncedAt, receivedAt);

    // Assess: the f2 view's syncedAt is trusted as stored (f1's was not).
    expect((await repository.getSyncState(["OD-F2-1"])).get("OD-F2-1")?.syncedAt).toBe(syncedAt);

    // Act: the same snapshot again, by callback.
    const same = await repository.upsert({
      order: parsed(current("OD-F2-1")),
      source: "callback",
      receivedAt: Date.now(),
      messageId: "m-same",
    });
    expect(same.outcome).toBe("duplicate");
    let view = await repository.get("OD-F2-1");
    expect(view?.version).toBe(1);
    expect(view?.freshness).toBe(freshnessOf(parsed(current("OD-F2-1")), Date.now()));
    expect(view?.freshness.startsWith("f3|")).toBe(true);
    expect(view?.syncedAt).toBeGreaterThanOrEqual(syncedAt);

    // Act: an older snapshot (before the action).
    const older = await repository.upsert({
      order: parsed(beforeCancel("OD-F2-1")),
      source: "callback",
      receivedAt: Date.now(),
      messageId: "m-older",
    });
    expect(older.outcome).toBe("stale");
    view = await repository.get("OD-F2-1");
    expect(view?.version).toBe(1);
    expect(view?.order.actions).toHaveLength(1); // still the stored (newer) content
    expect((await historyOf(dynamo, "OD-F2-1")).map((e) => e.outcome).sort()).toEqual(["duplicate", "stale"]);
  });

  it("an f2 view of older content is replaced by newer content (accepted, version 2)", async () => {
    const repository = createOrderRepository(dynamo.client, dynamo.tableName);
    const receivedAt = Date.now() - 60_000;
    await putF2View("OD-F2-2", beforeCancel("OD-F2-2"), F2_KEY.beforeCancel, receivedAt - 1_000, receivedAt);

    // A redelivery of the stored content first: a duplicate, not a tie (its f2 digest is not compared with f3's).
    const again = await repository.upsert({
      order: parsed(beforeCancel("OD-F2-2")),
      source: "callback",
      receivedAt: Date.now(),
      messageId: "m-again",
    });
    expect(again.outcome).toBe("duplicate");

    const newer = await repository.upsert({
      order: parsed(current("OD-F2-2")),
      source: "callback",
      receivedAt: Date.now(),
      messageId: "m-newer",
    });
    expect(newer.outcome).toBe("accepted");
    const view = await repository.get("OD-F2-2");
    expect(view?.version).toBe(2);
    expect(view?.order.actions).toHaveLength(1);
    expect(view?.freshness).toBe(freshnessOf(parsed(current("OD-F2-2")), Date.now()));
  });
});
