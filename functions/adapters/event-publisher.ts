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

export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
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
  readonly events: DomainEvent[];
  /** Make the next `count` publish calls throw, to exercise the retry path. */
  failNext(count?: number): void;
}

export function createRecordingEventPublisher(onEvent?: (event: DomainEvent) => void): RecordingEventPublisher {
  const events: DomainEvent[] = [];
  let failures = 0;
  return {
    events,
    failNext(count = 1) {
      failures += count;
    },
    async publish(batch) {
      if (failures > 0) {
        failures -= 1;
        throw new EventPublishError("publish refused (injected failure)", batch.length);
      }
      for (const event of batch) {
        events.push(structuredClone(event));
        onEvent?.(event);
      }
    },
  };
}
