/**
 * The order use cases of the processor: apply a snapshot to the stored view (freshness-guarded) and tell the seller's
 * systems about every accepted change; resolve a poll hit through Status Check unless the view is already fresh.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DomainEvent, EventPublisher } from "#adapters/event-publisher.ts";
import { ORDER_CHANGED } from "#adapters/event-publisher.ts";
import { countMetric } from "#adapters/metric-helpers.ts";
import type {
  OrderChange,
  OrderRepository,
  SnapshotInput,
  StoredOrderView,
  UpsertOutcome,
} from "#adapters/order-repository.ts";
import type { OrderChangedMessage } from "#core/messages.ts";
import type { CallOptions } from "#pincode/client.ts";
import { findUnknownEnumValues, type Order } from "#pincode/schemas.ts";

/** The one Pincode call the processor makes. */
export interface StatusChecker {
  getOrderStatus(orderId: string, options?: CallOptions): Promise<Order>;
}

export interface IngestDeps {
  orders: OrderRepository;
  events: EventPublisher;
  statusCheck: StatusChecker;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  /** Issue 9: per-store automation (auto-accept), called with the view after each snapshot; absent = none. */
  automation?: {
    onOrderView(view: { orderId: string; storeId: string | null; orderState: string | null }): Promise<void>;
  };
}

/** A message that can never succeed, however often it is retried: it ends in the DLQ, with this reason logged. */
export class PoisonMessageError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "PoisonMessageError";
  }
}

const toEvent = (change: OrderChange): DomainEvent => ({
  detailType: ORDER_CHANGED,
  detail: {
    orderId: change.orderId,
    storeId: change.storeId,
    before: change.before,
    after: change.after,
    source: change.source,
    receivedAt: change.receivedAt,
    version: change.version,
  },
});

/**
 * Publishes the view's unconfirmed changes (oldest first), then marks them published. A failed publish throws: the
 * record is retried, the retry finds the same snapshot stored (a duplicate) with the changes still pending and
 * publishes them again. Delivery is at-least-once; `version` lets consumers drop repeats.
 */
async function emitPending(deps: IngestDeps, view: StoredOrderView): Promise<number> {
  if (view.pendingEvents.length === 0) return 0;
  await deps.events.publish(view.pendingEvents.map(toEvent));
  await deps.orders.clearPendingEvents(view.orderId, view.version);
  return view.pendingEvents.length;
}

export async function ingestSnapshot(deps: IngestDeps, input: SnapshotInput): Promise<UpsertOutcome> {
  const { logger, metrics } = deps;
  const unknown = findUnknownEnumValues(input.order);
  if (unknown.length > 0) {
    // A16: Pincode's enums grow; unknown values are stored as sent and counted so someone can extend the tables.
    countMetric(metrics, "UnknownEnumValues", unknown.length);
    logger.warn("order carries enum values outside the documented tables", {
      orderId: input.order.id,
      unknownEnumValues: unknown,
    });
  }

  const result = await deps.orders.upsert(input);
  const context = {
    orderId: input.order.id,
    source: input.source,
    messageId: input.messageId,
    outcome: result.outcome,
    orderState: result.view.summary?.orderState ?? null,
  };
  switch (result.outcome) {
    case "accepted":
      countMetric(metrics, "OrdersUpserted");
      logger.info("order view updated", { ...context, version: result.view.version });
      await emitPending(deps, result.view);
      break;
    case "duplicate": {
      countMetric(metrics, "OrdersDuplicate");
      logger.debug("snapshot equals the stored view", context);
      const republished = await emitPending(deps, result.view);
      if (republished > 0) {
        countMetric(metrics, "OrderEventsRepublished", republished);
        logger.info("re-emitted OrderChanged events whose publish had not been confirmed", { ...context, republished });
      }
      break;
    }
    case "stale":
      countMetric(metrics, "OrdersStale");
      logger.info("older snapshot recorded in history; view kept", context);
      break;
  }
  if (deps.automation && result.outcome !== "stale") {
    // Also on duplicates: a redelivery after a failed submit gets its auto-accept (idempotent by key).
    await deps.automation.onOrderView({
      orderId: result.view.orderId,
      storeId: result.view.storeId,
      orderState: result.view.summary?.orderState ?? null,
    });
  }
  return result.outcome;
}

export type ChangeResolution = "skipped" | UpsertOutcome;

/**
 * A poll hit: the order changed at some point up to `observedAt` (the poll window's end). A view synced at or after
 * that moment already reflects the change, so the Status Check is skipped (PINCODE-API A8: spare the rate limit).
 */
export async function resolveOrderChange(
  deps: IngestDeps,
  message: OrderChangedMessage,
  /** What the invocation has left for the Status Check; unbounded (client defaults) when absent. */
  timeLeftMs?: () => number,
): Promise<ChangeResolution> {
  const view = await deps.orders.get(message.orderId);
  if (view && view.syncedAt >= message.observedAt) {
    countMetric(deps.metrics, "StatusChecksSkipped");
    deps.logger.debug("view already synced after the poll window; Status Check skipped", {
      orderId: message.orderId,
      syncedAt: view.syncedAt,
      observedAt: message.observedAt,
    });
    // The change that synced it may still owe its event (a publish failed before this redelivery).
    await emitPending(deps, view);
    return "skipped";
  }

  // Taken before the call: whatever Pincode answers is current at least as of this moment.
  const checkedAt = deps.now();
  const order = await deps.statusCheck.getOrderStatus(
    message.orderId,
    timeLeftMs ? { timeLeftMs: Math.max(0, timeLeftMs()) } : {},
  );
  if (order.id !== message.orderId) {
    throw new PoisonMessageError(`Status Check for ${message.orderId} returned order ${order.id}`);
  }
  return ingestSnapshot(deps, {
    order,
    source: "status-check",
    receivedAt: checkedAt,
    syncedAt: checkedAt,
    messageId: message.messageId,
  });
}
