/**
 * Domain events for the seller's systems (POS, ERP, WMS): `OrderChanged` on the EventBridge bus, source
 * `pincode-bridge`. Details carry PII-free summaries only (functions/core/order-summary.ts).
 *
 * A publish either succeeds for every entry or throws, so the processor fails the record and SQS redelivers it; the
 * view remembers the unconfirmed change (`eventPending`) and the redelivery re-emits it: at-least-once delivery.
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { OrderSummary } from "#core/order-summary.ts";

export const EVENT_SOURCE = "pincode-bridge";
export const ORDER_CHANGED = "OrderChanged";

export interface OrderChangedDetail {
  orderId: string;
  storeId: string | null;
  before: OrderSummary | null;
  after: OrderSummary;
  source: string;
  receivedAt: number;
  /** Accepted-change counter of the view: consumers can order and de-duplicate events with it. */
  version: number;
}

export interface DomainEvent {
  detailType: typeof ORDER_CHANGED;
  detail: OrderChangedDetail;
}

/** The OrderChanged event for an accepted change: only the detail's fields, so nothing else on the change leaks out. */
export const orderChangedEvent = (change: OrderChangedDetail): DomainEvent => ({
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

// --- Command-side events (issue 9). JSON Schemas: docs/events/*.json --------------------------------------------

export const COMMAND_SUCCEEDED = "CommandSucceeded";
export const COMMAND_REJECTED = "CommandRejected";
export const COMMAND_FAILED = "CommandFailed";
export const SUBMISSION_COMPLETED = "SubmissionCompleted";

/** A seller command reached Pincode and took effect. */
export interface CommandSucceededDetail {
  commandId: string;
  orderId: string;
  storeId: string | null;
  /** The Pincode Order Update action types sent, in order. */
  actions: string[];
  orderState: string | null;
  fulfillments: { fulfillmentId: string; type: string | null; fulfillmentState: string | null }[];
  /** "order-update": Pincode's reply; "status-check": a Status Check after an ambiguous failure proved it. */
  decidedBy: "order-update" | "status-check";
  attempts: number;
  completedAt: number;
}

/** Pincode refused a seller command (e.g. ACTION_NOT_ALLOWED, INVALID_ITEM_UNITS, ORDER_NOT_FOUND). */
export interface CommandRejectedDetail {
  commandId: string;
  orderId: string;
  storeId: string | null;
  actions: string[];
  errorCode: string | null;
  message: string | null;
  httpStatus: number | null;
  attempts: number;
  completedAt: number;
}

/**
 * The bridge gave up on a seller order command (FAILED): nothing more will be sent for it. Whether an attempt took
 * effect may be unknown (the reason says so); the order's next OrderChanged shows Pincode's state.
 */
export interface CommandFailedDetail {
  commandId: string;
  orderId: string;
  storeId: string | null;
  actions: string[];
  /** Why, in our words (never a value from the order or the request). */
  reason: string | null;
  /** "status-check": a Status Check found the order closed before an ambiguous attempt could be confirmed. */
  decidedBy: "order-update" | "status-check" | null;
  attempts: number;
  completedAt: number;
}

/** The result callback of a catalog/store submission was processed: per-message outcome. */
export interface SubmissionCompletedDetail {
  submissionId: string;
  pincodeSubmissionId: string;
  commandId: string;
  type: "store-toggle" | "listings";
  storeId: string;
  /** SUCCEEDED, FAILED or PARTIAL (submission-result-repository.ts). */
  outcome: string;
  processingStatus: string;
  counts: { messages: number; succeeded: number; warnings: number; failed: number };
  messages: {
    messageId: string;
    row: number;
    serviceProviderItemId: string | null;
    outcome: string;
    issueCodes: string[];
  }[];
  completedAt: number;
}

export type BridgeEvent =
  | DomainEvent
  | { detailType: typeof COMMAND_SUCCEEDED; detail: CommandSucceededDetail }
  | { detailType: typeof COMMAND_REJECTED; detail: CommandRejectedDetail }
  | { detailType: typeof COMMAND_FAILED; detail: CommandFailedDetail }
  | { detailType: typeof SUBMISSION_COMPLETED; detail: SubmissionCompletedDetail };

export interface EventPublisher {
  publish(events: readonly BridgeEvent[]): Promise<void>;
}

export class EventPublishError extends Error {
  constructor(
    message: string,
    readonly failedCount: number,
  ) {
    super(message);
    this.name = "EventPublishError";
  }
}

const MAX_ENTRIES = 10; // PutEvents accepts at most 10 entries per call.

export function createEventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(events) {
      for (let start = 0; start < events.length; start += MAX_ENTRIES) {
        const entries = events.slice(start, start + MAX_ENTRIES).map((event) => ({
          EventBusName: eventBusName,
          Source: EVENT_SOURCE,
          DetailType: event.detailType,
          Detail: JSON.stringify(event.detail),
          Resources: [],
        }));
        const result = await client.send(new PutEventsCommand({ Entries: entries }));
        const failed = result.FailedEntryCount ?? 0;
        if (failed > 0) {
          const codes = [...new Set((result.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean))].join(", ");
          throw new EventPublishError(`EventBridge refused ${failed} of ${entries.length} event(s): ${codes}`, failed);
        }
      }
    },
  };
}

/** Keeps events in memory: tests read them back, local mode can print them. */
export interface RecordingEventPublisher extends EventPublisher {
  /** The OrderChanged events (kept apart so existing readers stay typed). */
  readonly events: DomainEvent[];
  /** Every event, of every kind, in publish order. */
  readonly all: BridgeEvent[];
  /** Make the next `count` publish calls throw, to exercise the retry path. */
  failNext(count?: number): void;
}

export function createRecordingEventPublisher(onEvent?: (event: BridgeEvent) => void): RecordingEventPublisher {
  const events: DomainEvent[] = [];
  const all: BridgeEvent[] = [];
  let failures = 0;
  return {
    events,
    all,
    failNext(count = 1) {
      failures += count;
    },
    async publish(batch) {
      if (failures > 0) {
        failures -= 1;
        throw new EventPublishError("publish refused (injected failure)", batch.length);
      }
      for (const event of batch) {
        all.push(structuredClone(event));
        if (event.detailType === ORDER_CHANGED) events.push(structuredClone(event));
        onEvent?.(event);
      }
    },
  };
}
