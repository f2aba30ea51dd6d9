/**
 * Optional buyer-data retention (docs/buyer-data.md) on dynalite, which has no TTL: the order repository enters an
 * order in the retention index when its view becomes final, and the purge removes its buyer fields once it has been
 * final (unchanged) for the retention period. The rest of the view, its history summaries and its freshness key keep
 * working; no later snapshot, stale, duplicate or newer, brings the buyer data back.
 */
import { readFileSync } from "node:fs";
import { type AttributeValue, GetItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import {
  BUYER_DATA_PURGED_AT,
  createBuyerDataPurge,
  retentionKeys,
} from "../../functions/adapters/buyer-data-retention.ts";
import { createOrderQueryRepository } from "../../functions/adapters/order-query-repository.ts";
import { createOrderRepository, type SnapshotInput } from "../../functions/adapters/order-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import { daysToMs, utcDay } from "../../functions/core/buyer-data.ts";
import { type Order, OrderSchema } from "../../functions/pincode/schemas.ts";
import { createRetentionHandler } from "../../functions/retention/create-handler.ts";
import { wireRetentionDeps } from "../../functions/retention/deps.ts";

const SAMPLE = JSON.parse(
  readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8"),
) as { response: Record<string, unknown> };
/** The documented sample's buyer data (PINCODE-API §3.2): name, phone, street address. */
const BUYER = ["Loren Lpsum", "8686868686", "410 Lorem Lpsum", "Room No 410, Lorem Lpsum Training Institute"];
const RETENTION_DAYS = 30;
const DAY = daysToMs(1);
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

/** The sample as a COMPLETED order without its later CANCEL_ORDER action (`withCancel` adds it back: newer). */
function sample(id: string, overrides: { orderState?: string; withCancel?: boolean } = {}): Order {
  const raw = structuredClone(SAMPLE.response);
  raw.id = id;
  if (overrides.orderState) raw.orderState = overrides.orderState;
  if (!overrides.withCancel) raw.actions = [];
  if (overrides.orderState === "ACCEPTED") {
    // An earlier snapshot: nothing packed yet.
    for (const f of raw.fulfillments as Record<string, unknown>[]) {
      delete f.fulfillmentState;
      f.fulfilmentStatusHistory = {};
    }
  }
  return OrderSchema.parse(raw);
}

describe("buyer-data retention", () => {
  let dynamo: LocalDynamo;
  let clock = T0;
  const repository = () =>
    createOrderRepository(dynamo.client, dynamo.tableName, {
      now: () => clock,
      buyerDataRetentionMs: daysToMs(RETENTION_DAYS),
    });
  const upsert = (order: Order, at: number, messageId: string) => {
    clock = at;
    const input: SnapshotInput = { order, source: "callback", receivedAt: at, messageId };
    return repository().upsert(input);
  };
  const viewItem = async (orderId: string) =>
    (
      await dynamo.client.send(
        new GetItemCommand({ TableName: dynamo.tableName, Key: key(keys.orderView(orderId)), ConsistentRead: true }),
      )
    ).Item as Record<string, AttributeValue>;
  const history = async (orderId: string) =>
    (
      await dynamo.client.send(
        new QueryCommand({
          TableName: dynamo.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :e)",
          ExpressionAttributeValues: { ":pk": { S: `ORDER#${orderId}` }, ":e": { S: "EVENT#" } },
        }),
      )
    ).Items ?? [];
  const entries = async (day: string) =>
    (
      await dynamo.client.send(
        new QueryCommand({
          TableName: dynamo.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: `RETENTION#${day}` } },
        }),
      )
    ).Items ?? [];
  const buyerValuesIn = (text: string) => BUYER.filter((v) => text.includes(v));
  const purge = () => createBuyerDataPurge(dynamo.client, dynamo.tableName, { retentionMs: daysToMs(RETENTION_DAYS) });

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo?.stop());

  it("purges an order final 30 days ago: buyer fields gone from view and history, the rest and its key intact", async () => {
    // Prepare: an order seen ACCEPTED, then COMPLETED (final) at T0; another one still open.
    expect((await upsert(sample("OD-RET-1", { orderState: "ACCEPTED" }), T0 - DAY, "m1")).outcome).toBe("accepted");
    const final = await upsert(sample("OD-RET-1"), T0, "m2");
    expect(final.outcome).toBe("accepted");
    await upsert(sample("OD-RET-OPEN", { orderState: "ACCEPTED" }), T0, "m3");
    const before = await viewItem("OD-RET-1");
    expect(buyerValuesIn(JSON.stringify(before))).toEqual(BUYER);
    // Only the final order is entered, due 30 days after it became final.
    const dueDay = utcDay(T0 + daysToMs(RETENTION_DAYS));
    expect((await entries(dueDay)).map((e) => e.orderId?.S)).toEqual(["OD-RET-1"]);

    // Act: a run before it is due changes nothing; the run after does.
    const early = await purge().run(T0 + 10 * DAY);
    expect(early.purged).toBe(0);
    expect(buyerValuesIn(JSON.stringify(await viewItem("OD-RET-1")))).toEqual(BUYER);
    const run = await purge().run(T0 + daysToMs(RETENTION_DAYS) + 3_600_000);

    // Assess
    expect(run).toMatchObject({ purged: 1, historyItems: 2, deferred: 0, left: 0 });
    const after = await viewItem("OD-RET-1");
    expect(buyerValuesIn(JSON.stringify(after))).toEqual([]);
    expect(after[BUYER_DATA_PURGED_AT]?.N).toBe(String(T0 + daysToMs(RETENTION_DAYS) + 3_600_000));
    // What remains: the key, the freshness key, the summary, the order without its buyer fields.
    for (const name of ["freshness", "summary", "orderState", "storeId", "updatedAt", "version", "syncedAt"]) {
      expect(after[name], name).toEqual(before[name]);
    }
    const order = JSON.parse(after.snapshot?.S ?? "{}") as {
      billing: unknown;
      fulfillments: { end: object; fulfillmentState?: string }[];
    };
    expect(order).toMatchObject({ id: "OD-RET-1", orderState: "COMPLETED", items: [{ name: "cold drink" }] });
    expect(order.billing).toEqual({ createdAt: 1713773187000, updatedAt: 1713773187000 });
    expect(Object.keys(order.fulfillments[0]?.end ?? { missing: 1 })).toEqual([]);
    expect(order.fulfillments[0]?.fulfillmentState).toBe("PACKED");
    for (const item of await history("OD-RET-1")) {
      expect(buyerValuesIn(JSON.stringify(item))).toEqual([]);
      expect(item.summary?.S).toBeDefined();
    }
    // The open order keeps its buyer data; the entry is gone and the checkpoint moved to the day before the run.
    expect(buyerValuesIn(JSON.stringify(await viewItem("OD-RET-OPEN")))).toEqual(BUYER);
    expect(await entries(dueDay)).toEqual([]);
    expect(run.checkpoint).toBe(utcDay(T0 + daysToMs(RETENTION_DAYS) + 3_600_000 - DAY));
    // The seller API reads the purged order like any other.
    const read = await createOrderQueryRepository(dynamo.client, dynamo.tableName).getView("OD-RET-1");
    expect(JSON.stringify(read)).toContain("OD-RET-1");
    expect(buyerValuesIn(JSON.stringify(read))).toEqual([]);
  });

  it("never lets a later snapshot bring the buyer data back: stale, duplicate or newer", async () => {
    const later = T0 + 40 * DAY;
    // A stale one (the earlier ACCEPTED snapshot, delivered late): recorded in history, without buyer data.
    const stale = await upsert(sample("OD-RET-1", { orderState: "ACCEPTED" }), later, "m-late");
    expect(stale.outcome).toBe("stale");
    // The same COMPLETED snapshot again: the freshness key still recognises it.
    const duplicate = await upsert(sample("OD-RET-1"), later + 1, "m-dup");
    expect(duplicate.outcome).toBe("duplicate");
    // A newer one (Pincode's later CANCEL_ORDER action, as in its sample): accepted, stored without buyer data.
    const newer = await upsert(sample("OD-RET-1", { withCancel: true }), later + 2, "m-new");
    expect(newer.outcome).toBe("accepted");
    expect(buyerValuesIn(JSON.stringify(newer.view.order))).toEqual([]);

    const view = await viewItem("OD-RET-1");
    expect(buyerValuesIn(JSON.stringify(view))).toEqual([]);
    expect(view[BUYER_DATA_PURGED_AT]).toBeDefined();
    expect(JSON.parse(view.snapshot?.S ?? "{}").actions).toHaveLength(1);
    for (const item of await history("OD-RET-1")) expect(buyerValuesIn(JSON.stringify(item))).toEqual([]);
    // A purged order is not entered again.
    expect(await entries(utcDay(later + 2 + daysToMs(RETENTION_DAYS)))).toEqual([]);
  });

  it("waits a full period after the last change of a final order (COMPLETED, then cancelled 20 days later)", async () => {
    clock = T0;
    await upsert(sample("OD-RET-2"), T0, "b1");
    await upsert(sample("OD-RET-2", { withCancel: true }), T0 + 20 * DAY, "b2");
    const handler = createRetentionHandler(
      wireRetentionDeps({
        dynamo: dynamo.client,
        tableName: dynamo.tableName,
        retentionDays: RETENTION_DAYS,
        now: () => T0 + 31 * DAY,
      }),
    );
    // Thirty-one days after it first became final, eleven after it last changed: not yet.
    const first = await handler({});
    expect(first.purged).toBe(0);
    expect(buyerValuesIn(JSON.stringify(await viewItem("OD-RET-2")))).toEqual(BUYER);
    expect((await entries(utcDay(T0 + 50 * DAY))).map((e) => e.orderId?.S)).toEqual(["OD-RET-2"]);

    const second = await purge().run(T0 + 51 * DAY);
    expect(second.purged).toBe(1);
    expect(buyerValuesIn(JSON.stringify(await viewItem("OD-RET-2")))).toEqual([]);
  });

  it("reads views the previous release wrote (no retention attributes) and leaves them alone without an entry", async () => {
    // A view item as the previous release wrote it: no buyerDataPurgedAt, never entered in the index.
    const previous = await viewItem("OD-RET-OPEN");
    await dynamo.client.send(
      new PutItemCommand({ TableName: dynamo.tableName, Item: { ...previous, ...key(keys.orderView("OD-RET-OLD")) } }),
    );
    const run = await purge().run(T0 + 60 * DAY);
    expect(run.purged).toBe(0);
    expect(buyerValuesIn(JSON.stringify(await viewItem("OD-RET-OLD")))).toEqual(BUYER);
    const view = await repository().get("OD-RET-OLD");
    expect(view?.buyerDataPurgedAt).toBeUndefined();
    expect(retentionKeys.checkpoint.pk).toBe("RETENTION");
  });

  it("is off by default: without a retention period no entry is written", async () => {
    const plain = createOrderRepository(dynamo.client, dynamo.tableName, { now: () => T0 + 500 * DAY });
    await plain.upsert({
      order: sample("OD-RET-OFF"),
      source: "callback",
      receivedAt: T0 + 500 * DAY,
      messageId: "o1",
    });
    expect(await entries(utcDay(T0 + 530 * DAY))).toEqual([]);
  });
});

function key(k: { pk: string; sk: string }) {
  return { pk: { S: k.pk }, sk: { S: k.sk } };
}
