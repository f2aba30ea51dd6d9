/**
 * The order view and its history in the single table (DESIGN.md "Data"), written with single-item conditional
 * writes only (dynalite has no transactions, and one write per event keeps the cost flat).
 *
 * An upsert reads the current view, judges the incoming snapshot's freshness against it (functions/core/freshness.ts)
 * and, when it is newer, replaces the view with a PutItem conditioned on what it read: the view must still be absent,
 * or still hold an older freshness AND the same version. A lost race re-reads and judges again, so concurrent
 * writers converge on the freshest snapshot and the version counter counts accepted changes exactly.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { freshnessOf, judgeSnapshot } from "#core/freshness.ts";
import { type OrderSummary, summarise } from "#core/order-summary.ts";
import type { Order } from "#pincode/schemas.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export type SnapshotSource = "callback" | "status-check" | "order-update";
export type UpsertOutcome = "accepted" | "duplicate" | "stale";

/** History items expire after this long (TTL attribute `expiresAt`). */
export const HISTORY_RETENTION_MS = 90 * 24 * 3_600_000;
/** A batch holds at most 10 records, so 10 attempts outlast any race inside one batch. */
const MAX_WRITE_ATTEMPTS = 10;
const BATCH_GET_MAX_KEYS = 100;

export interface StoredOrderView {
  orderId: string;
  storeId: string | null;
  freshness: string;
  /** Epoch ms of the last authoritative snapshot (callback receipt, Status Check, Order Update reply). */
  syncedAt: number;
  source: SnapshotSource;
  /** Number of accepted changes: 1 after the first snapshot. */
  version: number;
  /** When the snapshot now stored was received (or fetched). */
  receivedAt: number;
  summary: OrderSummary;
  /** The normalised order (timestamps as epoch ms, unknown fields kept). Holds buyer data: never log it. */
  order: Record<string, unknown>;
  /**
   * Accepted changes whose OrderChanged event is not yet confirmed published, oldest first. A writer that replaces
   * the view keeps the previous writer's unconfirmed changes here, so a failed publish is never lost to a newer one.
   */
  pendingEvents: OrderChange[];
  lastMessageId?: string;
}

/** What the OrderChanged event for an accepted change says. */
export interface OrderChange {
  orderId: string;
  storeId: string | null;
  before: OrderSummary | null;
  after: OrderSummary;
  source: SnapshotSource;
  receivedAt: number;
  freshness: string;
  version: number;
}

export interface SnapshotInput {
  order: Order;
  source: SnapshotSource;
  /** When we received it (message receivedAt, or when the Status Check was made). */
  receivedAt: number;
  /** What syncedAt becomes when this snapshot is accepted or confirms the stored one. */
  syncedAt: number;
  /** Our message id: names the history item, so a redelivery rewrites the same one. */
  messageId: string;
  requestId?: string;
}

/**
 * `view.pendingEvents` lists the changes to publish now (after an accept: this change and any unconfirmed earlier
 * ones; after a duplicate: whatever a failed publish left behind).
 */
export type UpsertResult =
  | { outcome: "accepted"; view: StoredOrderView; change: OrderChange }
  | {
      outcome: "duplicate";
      view: StoredOrderView;
      /** Whether this duplicate moved syncedAt forward. */
      synced: boolean;
    }
  | { outcome: "stale"; view: StoredOrderView };

/** At most this many unconfirmed changes are kept per order (only reached if EventBridge fails for a long time). */
export const MAX_PENDING_EVENTS = 25;

export interface OrderRepository {
  get(orderId: string): Promise<StoredOrderView | undefined>;
  /** syncedAt of each stored view (absent ids are left out). */
  getSyncedAt(orderIds: readonly string[]): Promise<Map<string, number>>;
  upsert(input: SnapshotInput): Promise<UpsertResult>;
  /**
   * Marks the pending events of view `version` as published. When a newer change was written meanwhile the call does
   * nothing: that change's writer publishes the whole list again (at-least-once, consumers de-duplicate on version).
   */
  clearPendingEvents(orderId: string, version: number): Promise<void>;
}

// --- attribute helpers ---------------------------------------------------------------------------------------

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
/** A table key ({pk, sk} strings) as DynamoDB attribute values. */
export const keyOf = (key: { pk: string; sk: string }): Record<string, AttributeValue> => ({
  pk: S(key.pk),
  sk: S(key.sk),
});
const str = (item: Record<string, AttributeValue>, name: string) => item[name]?.S;
const num = (item: Record<string, AttributeValue>, name: string) => {
  const n = item[name]?.N;
  return n === undefined ? undefined : Number(n);
};

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

function fromItem(item: Record<string, AttributeValue>): StoredOrderView {
  const view: StoredOrderView = {
    orderId: str(item, "orderId") ?? "",
    storeId: str(item, "storeId") ?? null,
    freshness: str(item, "freshness") ?? "",
    syncedAt: num(item, "syncedAt") ?? 0,
    source: (str(item, "source") ?? "callback") as SnapshotSource,
    version: num(item, "version") ?? 0,
    receivedAt: num(item, "receivedAt") ?? 0,
    summary: JSON.parse(str(item, "summary") ?? "null") as OrderSummary,
    order: JSON.parse(str(item, "snapshot") ?? "{}") as Record<string, unknown>,
    pendingEvents: JSON.parse(str(item, "pendingEvents") ?? "[]") as OrderChange[],
  };
  const lastMessageId = str(item, "lastMessageId");
  if (lastMessageId !== undefined) view.lastMessageId = lastMessageId;
  return view;
}

function toItem(view: StoredOrderView, now: number): Record<string, AttributeValue> {
  const { summary } = view;
  const item: Record<string, AttributeValue> = {
    ...keyOf(keys.orderView(view.orderId)),
    kind: S("ORDER_VIEW"),
    orderId: S(view.orderId),
    freshness: S(view.freshness),
    syncedAt: N(view.syncedAt),
    source: S(view.source),
    version: N(view.version),
    receivedAt: N(view.receivedAt),
    // GSI byStore sort key: the normalised updatedAt.
    updatedAt: N(summary.updatedAt),
    itemCount: N(summary.itemCount),
    unitCount: N(summary.unitCount),
    fulfillmentStates: {
      M: Object.fromEntries(summary.fulfillments.map((f) => [f.fulfillmentId, S(f.fulfillmentState ?? "")])),
    },
    summary: S(JSON.stringify(summary)),
    snapshot: S(JSON.stringify(view.order)),
    writtenAt: N(now),
  };
  // GSI byStore partition key: an empty string is not a valid key value, so an order without a store stays out.
  if (view.storeId) item.storeId = S(view.storeId);
  if (summary.orderState) item.orderState = S(summary.orderState);
  if (summary.createdAt !== null) item.createdAt = N(summary.createdAt);
  if (summary.totalPaise !== null) item.totalPaise = N(summary.totalPaise);
  if (view.pendingEvents.length > 0) item.pendingEvents = S(JSON.stringify(view.pendingEvents));
  if (view.lastMessageId !== undefined) item.lastMessageId = S(view.lastMessageId);
  return item;
}

export interface OrderRepositoryOptions {
  now?: () => number;
  historyRetentionMs?: number;
}

export function createOrderRepository(
  dynamo: DynamoDBClient,
  tableName: string,
  options: OrderRepositoryOptions = {},
): OrderRepository {
  const now = options.now ?? Date.now;
  const retentionMs = options.historyRetentionMs ?? HISTORY_RETENTION_MS;

  async function get(orderId: string): Promise<StoredOrderView | undefined> {
    const result = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: keyOf(keys.orderView(orderId)), ConsistentRead: true }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async function putHistory(input: SnapshotInput, outcome: UpsertOutcome, freshness: string, summary: OrderSummary) {
    const orderId = input.order.id;
    const item: Record<string, AttributeValue> = {
      ...keyOf(keys.orderHistory(orderId, input.receivedAt, input.messageId)),
      kind: S("ORDER_SNAPSHOT"),
      outcome: S(outcome),
      source: S(input.source),
      freshness: S(freshness),
      messageId: S(input.messageId),
      receivedAt: N(input.receivedAt),
      summary: S(JSON.stringify(summary)),
      [TTL_ATTRIBUTE]: N(Math.floor((input.receivedAt + retentionMs) / 1000)),
    };
    if (input.requestId) item.requestId = S(input.requestId);
    // A duplicate carries nothing new; accepted and late (stale) snapshots are kept whole.
    if (outcome !== "duplicate") item.snapshot = S(JSON.stringify(input.order));
    try {
      // First outcome wins: a redelivery after a failed event publish must not relabel "accepted" as "duplicate".
      await dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Moves syncedAt forward on a view that still holds `freshness`; never backwards. */
  async function confirmSynced(orderId: string, freshness: string, syncedAt: number): Promise<boolean> {
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.orderView(orderId)),
          UpdateExpression: "SET syncedAt = :s",
          ConditionExpression: "freshness = :f AND syncedAt < :s",
          ExpressionAttributeValues: { ":s": N(syncedAt), ":f": S(freshness) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  return {
    get,

    async getSyncedAt(orderIds) {
      const found = new Map<string, number>();
      const unique = [...new Set(orderIds)];
      for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) {
        let requestKeys: Record<string, AttributeValue>[] = unique
          .slice(start, start + BATCH_GET_MAX_KEYS)
          .map((id) => keyOf(keys.orderView(id)));
        for (let attempt = 1; requestKeys.length > 0 && attempt <= 5; attempt++) {
          const result = await dynamo.send(
            new BatchGetItemCommand({
              RequestItems: {
                [tableName]: {
                  Keys: requestKeys,
                  ProjectionExpression: "orderId, syncedAt",
                  ConsistentRead: true,
                },
              },
            }),
          );
          for (const item of result.Responses?.[tableName] ?? []) {
            const id = str(item, "orderId");
            const syncedAt = num(item, "syncedAt");
            if (id !== undefined && syncedAt !== undefined) found.set(id, syncedAt);
          }
          // Unprocessed keys are only an optimisation lost: the caller treats them as "not known fresh".
          requestKeys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return found;
    },

    async upsert(input) {
      const orderId = input.order.id;
      const freshness = freshnessOf(input.order);
      const summary = summarise(input.order);

      for (let attempt = 1; ; attempt++) {
        const current = await get(orderId);
        const verdict = judgeSnapshot(freshness, current?.freshness);

        if (verdict !== "newer" && current) {
          await putHistory(input, verdict, freshness, summary);
          if (verdict === "stale") return { outcome: "stale", view: current };
          const synced = await confirmSynced(orderId, freshness, input.syncedAt);
          return { outcome: "duplicate", view: synced ? { ...current, syncedAt: input.syncedAt } : current, synced };
        }

        const version = (current?.version ?? 0) + 1;
        const change: OrderChange = {
          orderId,
          storeId: summary.storeId,
          before: current?.summary ?? null,
          after: summary,
          source: input.source,
          receivedAt: input.receivedAt,
          freshness,
          version,
        };
        const pendingEvents = [...(current?.pendingEvents ?? []), change].slice(-MAX_PENDING_EVENTS);
        const view: StoredOrderView = {
          orderId,
          storeId: summary.storeId,
          freshness,
          syncedAt: Math.max(current?.syncedAt ?? 0, input.syncedAt),
          source: input.source,
          version,
          receivedAt: input.receivedAt,
          summary,
          order: input.order as Record<string, unknown>,
          pendingEvents,
          lastMessageId: input.messageId,
        };
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: toItem(view, now()),
              ...(current
                ? {
                    ConditionExpression: "freshness < :f AND version = :v",
                    ExpressionAttributeValues: { ":f": S(freshness), ":v": N(current.version) },
                  }
                : { ConditionExpression: "attribute_not_exists(pk)" }),
            }),
          );
        } catch (error) {
          if (isConditionFailure(error) && attempt < MAX_WRITE_ATTEMPTS) continue; // lost a race: judge again
          throw error;
        }
        await putHistory(input, "accepted", freshness, summary);
        return { outcome: "accepted", view, change };
      }
    },

    async clearPendingEvents(orderId, version) {
      try {
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(keys.orderView(orderId)),
            UpdateExpression: "REMOVE pendingEvents",
            ConditionExpression: "version = :v",
            ExpressionAttributeValues: { ":v": N(version) },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
}
