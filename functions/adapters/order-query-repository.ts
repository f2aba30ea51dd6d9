/**
 * Read side of the orders for the seller API: one order's view and history, and a store's orders newest first from
 * the byStore GSI (partition storeId, sort updatedAt). Never a Scan: a listing is one Query per store page.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { OrderSummary } from "#core/order-summary.ts";
import { keyOf } from "./attributes.ts";
import { createOrderRepository, type StoredOrderView } from "./order-repository.ts";
import { BY_STORE_INDEX, keys } from "./table.ts";

export interface OrderListItem {
  orderId: string;
  storeId: string | null;
  orderState: string | null;
  fulfillments: OrderSummary["fulfillments"];
  createdAt: number | null;
  updatedAt: number;
  itemCount: number;
  unitCount: number;
  totalPaise: number | null;
  version: number;
  syncedAt: number;
}

/** Where a store's listing stands: the last order handed out (the GSI key of its view). */
export interface StorePosition {
  updatedAt: number;
  orderId: string;
}

export interface StorePageRequest {
  storeId: string;
  /** Upper-case order state to keep (a filter on the page, not a key condition). */
  state?: string;
  /** Only orders updated at or after this (epoch ms): a key condition on the GSI sort key. */
  updatedSince?: number;
  /** Continue after this order. */
  after?: StorePosition;
  /** How many matching orders to return at most. */
  limit: number;
}

export interface StorePage {
  items: OrderListItem[];
  /** True when the store has no further matching orders after the last item returned. */
  exhausted: boolean;
  /**
   * Where to continue once every returned item is handed out (not exhausted): after the last item returned, or after
   * the last item read when a state filter discarded the rest of the round, so a page always makes progress.
   */
  resume?: StorePosition;
}

export interface HistoryEntry {
  at: number;
  source: string | null;
  outcome: string | null;
  messageId: string | null;
  orderState: string | null;
  fulfillments: OrderSummary["fulfillments"];
  updatedAt: number | null;
}

export interface OrderQueryRepository {
  getView(orderId: string): Promise<StoredOrderView | undefined>;
  /** The order's snapshot history (accepted, duplicate, stale), oldest first, at most `limit` of the latest. */
  history(orderId: string, limit?: number): Promise<HistoryEntry[]>;
  storePage(request: StorePageRequest): Promise<StorePage>;
  /** Counts a store's orders by state among those updated since `since` (bounded by `maxItems`). */
  countByState(
    storeId: string,
    since: number,
    maxItems: number,
  ): Promise<{ counts: Record<string, number>; complete: boolean }>;
}

/** Query rounds per store page when a state filter discards items (each round reads at most `limit` items). */
const MAX_FILTER_ROUNDS = 5;
const UNKNOWN_STATE = "UNKNOWN";

function listItem(item: Record<string, AttributeValue>): OrderListItem {
  const summary = JSON.parse(item.summary?.S ?? "null") as OrderSummary | null;
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  return {
    orderId: item.orderId?.S ?? summary?.orderId ?? "",
    storeId: item.storeId?.S ?? summary?.storeId ?? null,
    orderState: upper(summary?.orderState ?? item.orderState?.S ?? null),
    fulfillments: (summary?.fulfillments ?? []).map((f) => ({ ...f, fulfillmentState: upper(f.fulfillmentState) })),
    createdAt: summary?.createdAt ?? n("createdAt") ?? null,
    updatedAt: n("updatedAt") ?? summary?.updatedAt ?? 0,
    itemCount: summary?.itemCount ?? n("itemCount") ?? 0,
    unitCount: summary?.unitCount ?? n("unitCount") ?? 0,
    totalPaise: summary?.totalPaise ?? n("totalPaise") ?? null,
    version: n("version") ?? 0,
    syncedAt: n("syncedAt") ?? 0,
  };
}

export const upper = (value: string | null | undefined) => (typeof value === "string" ? value.toUpperCase() : null);

export function createOrderQueryRepository(dynamo: DynamoDBClient, tableName: string): OrderQueryRepository {
  const orders = createOrderRepository(dynamo, tableName);

  function storeQuery(
    request: Pick<StorePageRequest, "storeId" | "state" | "updatedSince">,
    limit: number,
    start: Record<string, AttributeValue> | undefined,
    projection?: string,
  ) {
    const values: Record<string, AttributeValue> = { ":store": { S: request.storeId }, ":view": { S: "ORDER_VIEW" } };
    let condition = "storeId = :store";
    if (request.updatedSince !== undefined) {
      condition += " AND updatedAt >= :since";
      values[":since"] = { N: String(request.updatedSince) };
    }
    // Store CONFIG items share the GSI's key names (store-repository.ts): keep order views only.
    const names: Record<string, string> = { "#kind": "kind" };
    let filter = "#kind = :view";
    if (request.state !== undefined) {
      filter += " AND orderState = :state";
      values[":state"] = { S: request.state };
    }
    return new QueryCommand({
      TableName: tableName,
      IndexName: BY_STORE_INDEX.name,
      KeyConditionExpression: condition,
      FilterExpression: filter,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: limit,
      ...(projection ? { ProjectionExpression: projection } : {}),
      ...(start ? { ExclusiveStartKey: start } : {}),
    });
  }

  return {
    getView: (orderId) => orders.get(orderId),

    async history(orderId, limit = 100) {
      const view = keys.orderHistory(orderId, 0, "");
      const result = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :event)",
          ExpressionAttributeValues: { ":pk": { S: view.pk }, ":event": { S: "EVENT#" } },
          // The summary only: history snapshots hold buyer data the history does not need.
          ProjectionExpression: "receivedAt, #source, outcome, messageId, summary",
          ExpressionAttributeNames: { "#source": "source" },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (result.Items ?? [])
        .map((item): HistoryEntry => {
          const summary = JSON.parse(item.summary?.S ?? "null") as OrderSummary | null;
          return {
            at: Number(item.receivedAt?.N ?? 0),
            source: item.source?.S ?? null,
            outcome: item.outcome?.S ?? null,
            messageId: item.messageId?.S ?? null,
            orderState: upper(summary?.orderState),
            fulfillments: (summary?.fulfillments ?? []).map((f) => ({
              ...f,
              fulfillmentState: upper(f.fulfillmentState),
            })),
            updatedAt: summary?.updatedAt ?? null,
          };
        })
        .reverse();
    },

    async storePage(request) {
      const items: OrderListItem[] = [];
      let start: Record<string, AttributeValue> | undefined = request.after
        ? {
            ...keyOf(keys.orderView(request.after.orderId)),
            storeId: { S: request.storeId },
            updatedAt: { N: String(request.after.updatedAt) },
          }
        : undefined;
      for (let round = 1; round <= MAX_FILTER_ROUNDS; round++) {
        // One more than asked, so a full page can tell whether anything follows it.
        const want = request.limit + 1 - items.length;
        const page = await dynamo.send(storeQuery(request, want, start));
        for (const item of page.Items ?? []) items.push(listItem(item));
        start = page.LastEvaluatedKey;
        if (!start || items.length > request.limit) break;
      }
      if (items.length > request.limit) {
        const kept = items.slice(0, request.limit);
        const last = kept[kept.length - 1]!;
        return { items: kept, exhausted: false, resume: { updatedAt: last.updatedAt, orderId: last.orderId } };
      }
      if (!start) return { items, exhausted: true };
      const orderId = (start.pk?.S ?? "").replace(/^ORDER#/, "");
      return { items, exhausted: false, resume: { updatedAt: Number(start.updatedAt?.N ?? 0), orderId } };
    },

    async countByState(storeId, since, maxItems) {
      const counts: Record<string, number> = {};
      let seen = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamo.send(
          storeQuery({ storeId, updatedSince: since }, Math.min(1000, maxItems - seen), start, "orderState"),
        );
        for (const item of page.Items ?? []) {
          const state = upper(item.orderState?.S) ?? UNKNOWN_STATE;
          counts[state] = (counts[state] ?? 0) + 1;
        }
        seen += page.ScannedCount ?? page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start && seen < maxItems);
      return { counts, complete: start === undefined };
    },
  };
}
