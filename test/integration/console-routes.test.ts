/**
 * The seller-API routes added for the console (issue 12), on dynalite with order views and history written by the
 * processor's own order repository: `GET /v1/deadlines` (promised times for a list screen, no buyer data) and
 * `GET /v1/ops/arrivals` (snapshots per minute by how they arrived).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createOrderRepository, type SnapshotSource } from "../../functions/adapters/order-repository.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createSellerApiHandler, type SellerApiHandler } from "../../functions/seller-api/create-handler.ts";
import { wireSellerApiDeps } from "../../functions/seller-api/deps.ts";
import { createSandbox } from "../../sandbox/sandbox.ts";
import { buildApiGatewayEvent } from "../support/api-gateway-event.ts";
import { testObservability } from "./ingestion.harness.ts";

const MINUTE = 60_000;
/** Mid-minute, so bucket arithmetic is visible. */
const NOW = Date.UTC(2026, 11, 2, 10, 30, 30);

let dynamo: LocalDynamo;
let sqs: LocalQueues;
let api: SellerApiHandler;

async function get(resource: string, query: Record<string, string> = {}) {
  const result = await api(buildApiGatewayEvent({ method: "GET", path: resource, resource, query }));
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read the JSON answer freely
  return { status: result.statusCode, text: result.body, json: JSON.parse(result.body) as Record<string, any> };
}

const sandbox = createSandbox({ seed: 11, stores: ["S01", "S02"], clock: { now: () => NOW - 20 * MINUTE } });
const orders = [sandbox.createOrder({ storeId: "S01" }), sandbox.createOrder({ storeId: "S02" })];
const promisedPacking = (order: Record<string, unknown>) =>
  // biome-ignore lint/suspicious/noExplicitAny: reading the sandbox's view
  (order as any).fulfillments[0].fulfilmentStatusHistory.PACKING.promised.endTime as number;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  sqs = await startLocalQueues({ visibilityTimeoutSeconds: 30 });
  api = createSellerApiHandler(
    wireSellerApiDeps({
      dynamo: dynamo.client,
      sqs: sqs.client,
      tableName: dynamo.tableName,
      commandsQueueUrl: sqs.commandsQueueUrl,
      seedStoreIds: ["S01", "S02"],
      now: () => NOW,
      ...testObservability("pincode-bridge-seller-api"),
    }),
  );
  const repository = createOrderRepository(dynamo.client, dynamo.tableName);
  let n = 0;
  const write = (order: Record<string, unknown>, source: SnapshotSource, receivedAt: number) =>
    repository.upsert({
      order: OrderSchema.parse(order),
      source,
      receivedAt,
      syncedAt: receivedAt,
      messageId: `m-${++n}`,
    });
  const [first, second] = orders as [Record<string, unknown>, Record<string, unknown>];
  // First order: arrives by callback 5 min ago, then the same snapshot again (duplicate) 4 min ago.
  await write(first, "callback", NOW - 5 * MINUTE);
  await write(first, "callback", NOW - 4 * MINUTE);
  // Second order: the callback was lost; the poller found it 3 min ago, then our accept's reply came 1 min ago.
  await write(second, "status-check", NOW - 3 * MINUTE);
  await write(
    { ...second, orderState: "ACCEPTED", updatedAt: String(NOW - MINUTE - 500) },
    "order-update",
    NOW - MINUTE,
  );
  // An old snapshot of the first order arriving late (stale) 2 min ago.
  // Older on every timestamp it carries (order and billing updatedAt): with equal evidence it would be a tie, which
  // the freshness rule hands to the later arrival (docs/ingestion.md).
  const billing = first.billing as Record<string, unknown>;
  await write(
    {
      ...first,
      updatedAt: String(Number(first.updatedAt) - 10_000),
      billing: { ...billing, updatedAt: String(Number(billing.updatedAt) - 10_000) },
    },
    "callback",
    NOW - 2 * MINUTE,
  );
});
afterAll(async () => {
  await sqs?.stop();
  await dynamo?.stop();
});

describe("GET /v1/deadlines", () => {
  it("gives each order's fulfilment states and promised times, and nothing about the buyer", async () => {
    const [first, second] = orders as [Record<string, unknown>, Record<string, unknown>];
    const ids = `${first.id},${second.id},OD-NOT-HERE`;

    const answer = await get("/v1/deadlines", { orderIds: ids });

    expect(answer.status).toBe(200);
    expect(answer.json.missing).toEqual(["OD-NOT-HERE"]);
    const byId = Object.fromEntries(answer.json.deadlines.map((d: { orderId: string }) => [d.orderId, d]));
    expect(byId[first.id as string].fulfillments[0]).toMatchObject({
      type: "STORE",
      fulfillmentState: null,
      fulfilmentStatusHistory: { PACKING: { promised: { endTime: promisedPacking(first) } } },
    });
    expect(byId[second.id as string].orderState).toBe("ACCEPTED");
    // The sandbox's buyers are "Test Buyer N" with 9000000NNN phones and addresses in "Sandbox Residency".
    expect(answer.text).not.toMatch(/Test Buyer|Sandbox Residency|900000\d{4}|example\.com/);
  });

  it("refuses a missing, oversized or malformed id list, naming the parameter and the form", async () => {
    for (const orderIds of ["", Array.from({ length: 101 }, (_, i) => `OD${i}`).join(","), "OD1,bad id"]) {
      const answer = await get("/v1/deadlines", { orderIds });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: "INVALID_REQUEST",
        message: "orderIds: expected 1-100 comma-separated order ids of letters, digits and . _ : @ + = -",
      });
    }
  });
});

describe("GET /v1/ops/arrivals", () => {
  it("counts accepted snapshots per minute by channel, new orders by how they first arrived, stale and duplicates", async () => {
    const answer = await get("/v1/ops/arrivals", { minutes: "10" });

    expect(answer.status).toBe(200);
    const { from, to, bucketMs, series, newOrders, totals, complete } = answer.json;
    expect(bucketMs).toBe(MINUTE);
    expect(to).toBe(Date.UTC(2026, 11, 2, 10, 31));
    expect(from).toBe(to - 10 * MINUTE);
    const bucket = (ago: number) => Math.floor((NOW - ago * MINUTE - from) / MINUTE);
    const only = (at: number) => Array.from({ length: 10 }, (_, i) => (i === at ? 1 : 0));
    expect(series.callback).toEqual(only(bucket(5)));
    expect(series.poll).toEqual(only(bucket(3)));
    expect(series.command).toEqual(only(bucket(1)));
    expect(newOrders.callback).toEqual(only(bucket(5)));
    expect(newOrders.poll).toEqual(only(bucket(3)));
    expect(newOrders.command).toEqual(only(-1));
    expect(totals).toEqual({ stale: 1, duplicate: 1 });
    expect(complete).toBe(true);
  });

  it("leaves out what arrived before the window", async () => {
    const answer = await get("/v1/ops/arrivals", { minutes: "2" });
    expect(answer.json.series).toEqual({ callback: [0, 0], poll: [0, 0], command: [1, 0] });
    expect(answer.json.totals).toEqual({ stale: 0, duplicate: 0 }); // the stale one came 2.5 min ago
  });

  it("refuses minutes outside 1-180", async () => {
    for (const minutes of ["0", "181", "x"]) {
      const answer = await get("/v1/ops/arrivals", { minutes });
      expect(answer.status).toBe(400);
      expect(answer.json.message).toBe("minutes: expected an integer from 1 to 180");
    }
  });
});
