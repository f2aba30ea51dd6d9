/**
 * The order view and its history in the single table (DESIGN.md "Data"), written with single-item conditional
 * writes only (dynalite has no transactions, and one write per event keeps the cost flat).
 *
 * An upsert reads the current view, judges the incoming snapshot's freshness against it (functions/core/freshness.ts)
 * and, when it is newer, replaces the view with a PutItem conditioned on what it read: the view must still be absent,
 * or still hold the same version. A lost race re-reads and judges again, so concurrent writers converge on the
 * freshest snapshot and the version counter counts accepted changes exactly.
 *
 * `syncedAt` is a LOWER BOUND of when the stored snapshot was true (the start of the Status Check that fetched it, or
 * a time inside its content), never when a callback happened to arrive: the poller skips Status Checks on it.
 * Items written by the previous release (`f1` keys, syncedAt = callback receipt) are read with a bound recomputed from
 * what they hold, and compared by a key recomputed from their stored snapshot (docs/ingestion.md "Stored data").
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { withoutBuyerData } from "#core/buyer-data.ts";
import {
  contentTimeBound,
  freshnessOf,
  isCurrentFreshness,
  isTerminalState,
  judgeSnapshot,
  legacyKeyTimes,
  resolveTie,
  storesSyncBound,
} from "#core/freshness.ts";
import { type OrderSummary, summarise } from "#core/order-summary.ts";
import { type Order, parseInboundOrder } from "#pincode/schemas.ts";
import { keyOf, N, S } from "./attributes.ts";
import { BUYER_DATA_PURGED_AT, retentionEntry } from "./buyer-data-retention.ts";
import { createDynamoBatcher } from "./dynamo-batcher.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export type SnapshotSource = "callback" | "status-check" | "order-update";
export type UpsertOutcome = "accepted" | "duplicate" | "stale";
/** A Status Check found no such order (404 ORDER_NOT_FOUND): recorded on the order's history, never retried. */
export type OrderNotFoundOutcome = "not-found";

/** History items expire after this long (TTL attribute `expiresAt`). */
export const HISTORY_RETENTION_MS = 90 * 24 * 3_600_000;
/** A batch holds at most 10 records, so 10 attempts outlast any race inside one batch. */
const MAX_WRITE_ATTEMPTS = 10;
const BATCH_GET_MAX_KEYS = 100;

export interface StoredOrderView {
  orderId: string;
  storeId: string | null;
  freshness: string;
  /**
   * Epoch ms, a lower bound of when the stored snapshot was true: the start of the Status Check (or Order Update) that
   * fetched or confirmed it, or the latest credible time inside its content. Never a callback's arrival time.
   */
  syncedAt: number;
  /**
   * A tie (equal evidence, different content) was taken on arrival order and Pincode has not settled it yet: the next
   * delivery or poll hit runs a Status Check instead of trusting the view.
   */
  settlePending: boolean;
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
  /**
   * Buyer-data retention (docs/buyer-data.md): when the buyer fields were purged. From then on every snapshot of
   * this order is stored without them, so a late or newer snapshot never brings them back.
   */
  buyerDataPurgedAt?: number;
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
  /** When we received it (callback receipt; for a Status Check, when its answer came back): it was true by then. */
  receivedAt: number;
  /**
   * Proven lower bound of when it was true, if the fetch proves one: the START of the Status Check or Order Update
   * call that returned it. Omit for callbacks: the bound then comes from the content's own times.
   */
  syncedAt?: number;
  /** Our message id: names the history item, so a redelivery rewrites the same one. */
  messageId: string;
  requestId?: string;
}

/**
 * `view.pendingEvents` lists the changes to publish now (after an accept: this change and any unconfirmed earlier
 * ones; after a duplicate: whatever a failed publish left behind).
 */
export type UpsertResult =
  | {
      outcome: "accepted";
      view: StoredOrderView;
      change: OrderChange;
      /** Accepted on a tie by arrival order: the caller must have Pincode settle it (Status Check). */
      settle: boolean;
    }
  | {
      outcome: "duplicate";
      view: StoredOrderView;
      /** Whether this duplicate moved syncedAt forward. */
      synced: boolean;
    }
  | { outcome: "stale"; view: StoredOrderView };

/** At most this many unconfirmed changes are kept per order (only reached if EventBridge fails for a long time). */
export const MAX_PENDING_EVENTS = 25;

/** What the poller reads of a stored view. */
export interface SyncState {
  /** The lower bound the poller may skip a Status Check on; 0 for a view waiting for a tie to be settled. */
  syncedAt: number;
  /**
   * When the bridge last wrote or synced the view: the later of its write time (`writtenAt`) and its sync bound. Only
   * for adaptive polling's "missed callback" signal: a callback whose content carries no new time (updatedAt frozen,
   * Pincode's sample) still moves it. An item without `writtenAt` reports its sync bound.
   */
  touchedAt: number;
}

export interface OrderRepository {
  get(orderId: string): Promise<StoredOrderView | undefined>;
  /** The sync state of each stored view (absent ids are left out), read with one projected BatchGetItem per 100. */
  getSyncState(orderIds: readonly string[]): Promise<Map<string, SyncState>>;
  /** Records on the order's history that a Status Check found no such order (404 ORDER_NOT_FOUND). */
  recordNotFound(input: { orderId: string; checkedAt: number; messageId: string; errorCode: string }): Promise<void>;
  upsert(input: SnapshotInput): Promise<UpsertResult>;
  /**
   * Marks the pending events of view `version` as published. When a newer change was written meanwhile the call does
   * nothing: that change's writer publishes the whole list again (at-least-once, consumers de-duplicate on version).
   */
  clearPendingEvents(orderId: string, version: number): Promise<void>;
}

/**
 * The view attributes `getSyncState` reads: the freshness evidence and the write time, nothing of the buyer. The
 * poller's IAM grant on order items is limited to these (`dynamodb:Attributes`, functions/adapters/table-access.ts).
 */
export const SYNC_STATE_ATTRIBUTES = [
  "orderId",
  "syncedAt",
  "freshness",
  "source",
  "receivedAt",
  "settlePending",
  "writtenAt",
] as const;

// --- attribute helpers ---------------------------------------------------------------------------------------

const str = (item: Record<string, AttributeValue>, name: string) => item[name]?.S;
const num = (item: Record<string, AttributeValue>, name: string) => {
  const n = item[name]?.N;
  return n === undefined ? undefined : Number(n);
};

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

/**
 * The sync bound of a stored view. Current items store it. A previous-release item stored the arrival time of the last
 * callback there (moved forward even by a redelivered old one), which proves nothing: its bound is recomputed from
 * what it holds, the start of the Status Check that fetched it (then `receivedAt`) or the times inside its key.
 */
function syncBoundOf(item: Record<string, AttributeValue>): number {
  const freshness = str(item, "freshness") ?? "";
  if (storesSyncBound(freshness)) return num(item, "syncedAt") ?? 0;
  const receivedAt = num(item, "receivedAt") ?? 0;
  const times = legacyKeyTimes(freshness);
  const fromContent = [times?.updatedAt ?? 0, times?.latestActualAt ?? 0].filter((t) => t <= receivedAt);
  const fromCheck = str(item, "source") === "status-check" ? receivedAt : 0;
  return Math.max(fromCheck, ...fromContent, 0);
}

function fromItem(item: Record<string, AttributeValue>): StoredOrderView {
  const view: StoredOrderView = {
    orderId: str(item, "orderId") ?? "",
    storeId: str(item, "storeId") ?? null,
    freshness: str(item, "freshness") ?? "",
    syncedAt: syncBoundOf(item),
    settlePending: item.settlePending?.BOOL === true,
    source: (str(item, "source") ?? "callback") as SnapshotSource,
    version: num(item, "version") ?? 0,
    receivedAt: num(item, "receivedAt") ?? 0,
    summary: JSON.parse(str(item, "summary") ?? "null") as OrderSummary,
    order: JSON.parse(str(item, "snapshot") ?? "{}") as Record<string, unknown>,
    pendingEvents: JSON.parse(str(item, "pendingEvents") ?? "[]") as OrderChange[],
  };
  const lastMessageId = str(item, "lastMessageId");
  if (lastMessageId !== undefined) view.lastMessageId = lastMessageId;
  const purgedAt = num(item, BUYER_DATA_PURGED_AT);
  if (purgedAt !== undefined) view.buyerDataPurgedAt = purgedAt;
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
    settlePending: { BOOL: view.settlePending },
    source: S(view.source),
    version: N(view.version),
    receivedAt: N(view.receivedAt),
    // GSI byStore sort key: the normalised updatedAt.
    updatedAt: N(summary.updatedAt),
    itemCount: N(summary.itemCount),
    unitCount: N(summary.unitCount),
    fulfillmentStates: {
      M: Object.fromEntries(
        summary.fulfillments.filter((f) => f.fulfillmentId).map((f) => [f.fulfillmentId, S(f.fulfillmentState ?? "")]),
      ),
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
  if (view.buyerDataPurgedAt !== undefined) item[BUYER_DATA_PURGED_AT] = N(view.buyerDataPurgedAt);
  return item;
}

export interface OrderRepositoryOptions {
  now?: () => number;
  historyRetentionMs?: number;
  /**
   * Buyer-data retention (stage config `buyerDataRetentionDays`, off when absent): an order's view that becomes
   * final (COMPLETED, CANCELLED) is entered in the retention index, due this long after the write.
   */
  buyerDataRetentionMs?: number;
}

export function createOrderRepository(
  dynamo: DynamoDBClient,
  tableName: string,
  options: OrderRepositoryOptions = {},
): OrderRepository {
  const now = options.now ?? Date.now;
  const retentionMs = options.historyRetentionMs ?? HISTORY_RETENTION_MS;

  // Issue 11: the concurrent records of a batch share their reads (BatchGetItem) and history/marker writes
  // (BatchWriteItem); the view's conditional write stays one PutItem per accepted snapshot.
  const batcher = createDynamoBatcher(dynamo, tableName);

  async function get(orderId: string): Promise<StoredOrderView | undefined> {
    const [item, marker] = await Promise.all([
      batcher.get(keys.orderView(orderId)),
      batcher.get(keys.orderPublished(orderId)),
    ]);
    if (!item) return undefined;
    const view = fromItem(item);
    // Events up to the marker's version were published: only later ones are still pending (the outbox).
    const published = marker ? (num(marker, "publishedVersion") ?? 0) : 0;
    if (published > 0) view.pendingEvents = view.pendingEvents.filter((e) => e.version > published);
    return view;
  }

  async function putHistory(
    input: SnapshotInput,
    outcome: UpsertOutcome,
    freshness: string,
    summary: OrderSummary,
    /** The view version an accepted snapshot became: history read in version order is the view's write order. */
    version?: number,
  ) {
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
    if (version !== undefined) item.version = N(version);
    // A duplicate carries nothing new; accepted and late (stale) snapshots are kept whole.
    if (outcome !== "duplicate") item.snapshot = S(JSON.stringify(input.order));
    // Batched with the other records' history items (BatchWriteItem: no condition). A redelivery of the accepted
    // message itself is written as "accepted" again by the caller, so a publish retry does not relabel it.
    await batcher.put(item);
  }

  /**
   * A duplicate confirms the stored content: moves syncedAt forward (never backwards) when it proves a later bound,
   * upgrades a previous-release key, and, when it comes from a Status Check, marks a pending tie settled.
   */
  async function confirmSynced(
    current: StoredOrderView,
    freshness: string,
    syncedAt: number,
    settles: boolean,
  ): Promise<boolean> {
    const moves = syncedAt > current.syncedAt;
    const settling = settles && current.settlePending;
    const upgrading = current.freshness !== freshness;
    if (!moves && !settling && !upgrading) return false;
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.orderView(current.orderId)),
          UpdateExpression: `SET syncedAt = :s, freshness = :f${settling ? ", settlePending = :false" : ""}`,
          ConditionExpression: "freshness = :stored AND version = :v",
          ExpressionAttributeValues: {
            ":s": N(Math.max(current.syncedAt, syncedAt)),
            ":f": S(freshness),
            ":stored": S(current.freshness),
            ":v": N(current.version),
            ...(settling ? { ":false": { BOOL: false } } : {}),
          },
        }),
      );
      return moves;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The stored view's key in the current encoding: a previous-release key is recomputed from its stored snapshot. */
  function currentKeyOf(view: StoredOrderView, now: number): string {
    if (isCurrentFreshness(view.freshness)) return view.freshness;
    const reread = parseInboundOrder(view.order);
    return reread.ok ? freshnessOf(reread.order, now) : view.freshness;
  }

  return {
    get,

    async getSyncState(orderIds) {
      const found = new Map<string, SyncState>();
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
                  // Only these: the poller's IAM grant allows no other attribute of an order (table-access.ts).
                  ProjectionExpression: SYNC_STATE_ATTRIBUTES.map((name) => `#${name}`).join(", "),
                  ExpressionAttributeNames: Object.fromEntries(SYNC_STATE_ATTRIBUTES.map((name) => [`#${name}`, name])),
                  ConsistentRead: true,
                },
              },
            }),
          );
          for (const item of result.Responses?.[tableName] ?? []) {
            const id = str(item, "orderId");
            if (id === undefined) continue;
            const bound = syncBoundOf(item);
            found.set(id, {
              // A tie waiting for Pincode to settle it proves nothing yet.
              syncedAt: item.settlePending?.BOOL ? 0 : bound,
              touchedAt: Math.max(bound, num(item, "writtenAt") ?? 0),
            });
          }
          // Unprocessed keys are only an optimisation lost: the caller treats them as "not known fresh".
          requestKeys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
      }
      return found;
    },

    async recordNotFound({ orderId, checkedAt, messageId, errorCode }) {
      try {
        await dynamo.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...keyOf(keys.orderHistory(orderId, checkedAt, messageId)),
              kind: S("ORDER_STATUS_NOT_FOUND"),
              outcome: S("not-found"),
              source: S("status-check"),
              errorCode: S(errorCode),
              messageId: S(messageId),
              receivedAt: N(checkedAt),
              [TTL_ATTRIBUTE]: N(Math.floor((checkedAt + retentionMs) / 1000)),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async upsert(original) {
      const input = original;
      const orderId = input.order.id;
      const writtenAt = now();
      const freshness = freshnessOf(input.order, writtenAt);
      const summary = summarise(input.order);
      const incoming = {
        receivedAt: input.receivedAt,
        syncedAt: Math.max(input.syncedAt ?? 0, contentTimeBound(input.order, input.receivedAt)),
      };
      const fromStatusCheck = input.source === "status-check";

      for (let attempt = 1; ; attempt++) {
        const current = await get(orderId);
        // Once purged, an order's buyer fields are never stored again, whatever snapshot comes (docs/buyer-data.md).
        const purgedAt = current?.buyerDataPurgedAt;
        const input =
          purgedAt === undefined ? original : { ...original, order: withoutBuyerData(original.order) as Order };
        const storedKey = current ? currentKeyOf(current, writtenAt) : undefined;
        let verdict = judgeSnapshot(freshness, storedKey);
        let settle = false;
        if (verdict === "tie" && current) {
          const tie = resolveTie(incoming, current);
          verdict = tie === "unknown" ? "newer" : tie;
          settle = tie === "unknown";
        }

        if (verdict !== "newer" && current) {
          // Our own message again (its event publish failed, say): it was accepted, and its history says so.
          const own = verdict === "duplicate" && current.lastMessageId === input.messageId;
          await putHistory(
            input,
            verdict === "stale" ? "stale" : own ? "accepted" : "duplicate",
            freshness,
            summary,
            own ? current.version : undefined,
          );
          if (verdict === "stale") return { outcome: "stale", view: current };
          const synced = await confirmSynced(current, freshness, incoming.syncedAt, fromStatusCheck);
          const view: StoredOrderView = {
            ...current,
            freshness,
            syncedAt: Math.max(current.syncedAt, synced ? incoming.syncedAt : 0),
            settlePending: current.settlePending && !fromStatusCheck,
          };
          return { outcome: "duplicate", view, synced };
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
          // Proven newer: it became true after the stored one was, so the stored bound still holds. A tie taken on
          // arrival order proves nothing about the stored one: only its own bound.
          syncedAt: settle ? incoming.syncedAt : Math.max(current?.syncedAt ?? 0, incoming.syncedAt),
          settlePending: settle,
          source: input.source,
          version,
          receivedAt: input.receivedAt,
          summary,
          order: input.order as Record<string, unknown>,
          pendingEvents,
          lastMessageId: input.messageId,
          ...(purgedAt !== undefined ? { buyerDataPurgedAt: purgedAt } : {}),
        };
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: toItem(view, writtenAt),
              ...(current
                ? {
                    // The version guards the read-judge-write: any accepted change in between bumps it.
                    ConditionExpression: "version = :v",
                    ExpressionAttributeValues: { ":v": N(current.version) },
                  }
                : { ConditionExpression: "attribute_not_exists(pk)" }),
            }),
          );
        } catch (error) {
          if (isConditionFailure(error) && attempt < MAX_WRITE_ATTEMPTS) continue; // lost a race: judge again
          throw error;
        }
        await putHistory(input, "accepted", freshness, summary, version);
        if (
          options.buyerDataRetentionMs !== undefined &&
          purgedAt === undefined &&
          isTerminalState(summary.orderState)
        ) {
          // Its own PutItem (not batched with the history): the grant for it is scoped to RETENTION# alone.
          await dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: retentionEntry(orderId, writtenAt, options.buyerDataRetentionMs),
            }),
          );
        }
        return { outcome: "accepted", view, change, settle };
      }
    },

    async clearPendingEvents(orderId, version) {
      // Issue 11: a small marker item, batched with the batch's history writes, instead of an UpdateItem on the view.
      // Unconditional: a marker that lands late with a lower version only makes an event be published again
      // (at-least-once; consumers de-duplicate on version), never lost.
      await batcher.put({
        ...keyOf(keys.orderPublished(orderId)),
        kind: S("ORDER_PUBLISHED"),
        orderId: S(orderId),
        publishedVersion: N(version),
        writtenAt: N(now()),
      });
    },
  };
}
