/**
 * The order use cases of the processor: apply a snapshot to the stored view (freshness-guarded) and tell the seller's
 * systems about every accepted change; resolve a poll hit through Status Check unless the view is already fresh.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { type EventPublisher, orderChangedEvent } from "#adapters/event-publisher.ts";
import { countMetric, dimensionedMetric } from "#adapters/metric-helpers.ts";
import type {
  OrderNotFoundOutcome,
  OrderRepository,
  SnapshotInput,
  StoredOrderView,
  UpsertOutcome,
} from "#adapters/order-repository.ts";
import type { OrderChangedMessage } from "#core/messages.ts";
import type { CallOptions } from "#pincode/client.ts";
import { PincodeApiError } from "#pincode/errors.ts";
import { findUnknownEnumValues, type Order, oddFieldsOf } from "#pincode/schemas.ts";

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

/**
 * Publishes the view's unconfirmed changes (oldest first), then marks them published. A failed publish throws: the
 * record is retried, the retry finds the same snapshot stored (a duplicate) with the changes still pending and
 * publishes them again. Delivery is at-least-once; `version` lets consumers drop repeats.
 */
async function emitPending(deps: IngestDeps, view: StoredOrderView): Promise<number> {
  if (view.pendingEvents.length === 0) return 0;
  await deps.events.publish(view.pendingEvents.map(orderChangedEvent));
  await deps.orders.clearPendingEvents(view.orderId, view.version);
  return view.pendingEvents.length;
}

/** Counts the fields tolerant parsing had to drop, one metric per field path (never the value). */
export function countOddFields(
  deps: Pick<IngestDeps, "logger" | "metrics">,
  orderId: string,
  fields: readonly string[],
) {
  if (fields.length === 0) return;
  const byField = new Map<string, number>();
  for (const field of fields) byField.set(field, (byField.get(field) ?? 0) + 1);
  for (const [field, count] of byField) dimensionedMetric(deps.metrics, "OddFieldValues", { field }, count);
  deps.logger.warn("order carried field values that could not be read; dropped and ingested without them", {
    orderId,
    oddFields: [...byField.keys()],
  });
}

/** Status Check 404 with one of these codes means the order does not exist: final, not transient. */
const NOT_FOUND_CODES: readonly string[] = ["ORDER_NOT_FOUND", "NOT_FOUND"];

export function isOrderNotFound(error: unknown): error is PincodeApiError {
  return error instanceof PincodeApiError && error.status === 404 && NOT_FOUND_CODES.includes(error.errorCode ?? "");
}

export interface IngestOptions {
  /** What the invocation has left for a settling Status Check; unbounded (client defaults) when absent. */
  timeLeftMs?: (() => number) | undefined;
  /** A snapshot from a settling Status Check does not start another one (the next delivery or poll hit will). */
  settling?: boolean;
}

export async function ingestSnapshot(
  deps: IngestDeps,
  input: SnapshotInput,
  options: IngestOptions = {},
): Promise<UpsertOutcome | OrderNotFoundOutcome> {
  const { logger, metrics } = deps;
  countOddFields(deps, input.order.id, oddFieldsOf(input.order));
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
  // A tie taken on arrival order (or one still unsettled when this redelivery came): Pincode settles it. A failed
  // check throws, the record is retried, and the retry (a duplicate) finds the tie still pending.
  const unsettled =
    (result.outcome === "accepted" && result.settle) ||
    (result.outcome === "duplicate" && result.view.settlePending && input.source !== "status-check");
  if (unsettled && !options.settling) {
    countMetric(metrics, "TieStatusChecks");
    logger.info("snapshots tie on evidence with different content: Status Check settles it", context);
    return checkAndIngest(deps, input.order.id, `${input.messageId}:settle`, options.timeLeftMs, true);
  }
  return result.outcome;
}

/**
 * Status Check, then ingest its answer: `syncedAt` is the moment before the call (whatever Pincode answers was true at
 * least then), `receivedAt` the moment the answer came back. 404 ORDER_NOT_FOUND is final: recorded on the order's
 * history and the message completes (retrying would only move it to the DLQ five calls later).
 */
async function checkAndIngest(
  deps: IngestDeps,
  orderId: string,
  messageId: string,
  timeLeftMs: (() => number) | undefined,
  settling: boolean,
): Promise<UpsertOutcome | OrderNotFoundOutcome> {
  const checkedAt = deps.now();
  let order: Order;
  try {
    order = await deps.statusCheck.getOrderStatus(orderId, timeLeftMs ? { timeLeftMs: Math.max(0, timeLeftMs()) } : {});
  } catch (error) {
    if (!isOrderNotFound(error)) throw error;
    await deps.orders.recordNotFound({
      orderId,
      checkedAt,
      messageId,
      errorCode: error.errorCode ?? "ORDER_NOT_FOUND",
    });
    countMetric(deps.metrics, "StatusCheckOrderNotFound");
    deps.logger.warn("Status Check: Pincode has no such order; recorded on its history, not retried", {
      orderId,
      messageId,
      errorCode: error.errorCode ?? null,
    });
    return "not-found";
  }
  if (order.id !== orderId) {
    throw new PoisonMessageError(`Status Check for ${orderId} returned order ${order.id}`);
  }
  return ingestSnapshot(
    deps,
    { order, source: "status-check", receivedAt: deps.now(), syncedAt: checkedAt, messageId },
    { timeLeftMs, settling },
  );
}

export type ChangeResolution = "skipped" | UpsertOutcome | OrderNotFoundOutcome;

/**
 * A poll hit: the order changed at some point up to `observedAt` (the poll window's end). A view proven true at or
 * after that moment (`syncedAt`, a lower bound: never a callback's arrival time) already reflects the change, so the
 * Status Check is skipped (PINCODE-API A8: spare the rate limit). A view holding an unsettled tie is always checked.
 */
export async function resolveOrderChange(
  deps: IngestDeps,
  message: OrderChangedMessage,
  /** What the invocation has left for the Status Check; unbounded (client defaults) when absent. */
  timeLeftMs?: () => number,
): Promise<ChangeResolution> {
  const view = await deps.orders.get(message.orderId);
  if (view && !view.settlePending && view.syncedAt >= message.observedAt) {
    countMetric(deps.metrics, "StatusChecksSkipped");
    deps.logger.debug("view proven true after the poll window; Status Check skipped", {
      orderId: message.orderId,
      syncedAt: view.syncedAt,
      observedAt: message.observedAt,
    });
    // The change that synced it may still owe its event (a publish failed before this redelivery).
    await emitPending(deps, view);
    return "skipped";
  }
  return checkAndIngest(deps, message.orderId, message.messageId, timeLeftMs, false);
}
