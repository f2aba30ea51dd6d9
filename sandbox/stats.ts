/** Counters exposed by GET /_sandbox/stats, so tests and operators can see what the sandbox did. */
import type { RateLimitConfig, RateWindowStats } from "./rate-limit.ts";

export interface CallbackCounters {
  /** Callbacks created for a registered receiver (one per order change or submission result). */
  generated: number;
  /** Callbacks not created because no receiver was registered or subscribed. */
  skipped: number;
  /** HTTP POST attempts, including retries and duplicate deliveries. */
  sent: number;
  /** Deliveries that ended with a valid ACK. */
  acked: number;
  /** Deliveries abandoned after the last retry. */
  failed: number;
  /** Attempts after the first one of a delivery. */
  retried: number;
  /** Callbacks never delivered (fault). */
  dropped: number;
  /** Callbacks delivered a second time (fault). */
  duplicated: number;
  /** Snapshots delivered after a newer one for the same order (fault). */
  reordered: number;
  /** Deliveries that waited `callbackDelayMs` (fault). */
  delayed: number;
  /** Callbacks held back `callbackLateMs` and overtaken by the order's later snapshots (fault). */
  late: number;
}

export interface DeliveryFailure {
  requestId: string;
  kind: string;
  attempts: number;
  reason: string;
}

export interface StatsSnapshot {
  /** Calls per endpoint path, by HTTP status ("200", "400", "401", "429", "500", ...). */
  calls: Record<string, Record<string, number>>;
  /** Order id -> number of /tsp/order/v1/update calls that reached the order logic (after auth and faults). */
  updatesByOrder: Record<string, number>;
  callbacks: CallbackCounters;
  /** The last few deliveries that failed for good, newest last. */
  recentCallbackFailures: DeliveryFailure[];
  tokensIssued: number;
  orders: number;
  submissions: number;
  /** Calls per one-second window (peak and mean) in total, per /tsp endpoint and per family (rate-limit.ts). */
  rates: {
    total: RateWindowStats;
    byEndpoint: Record<string, RateWindowStats>;
    byFamily: Record<string, RateWindowStats>;
  };
  /** The rate budget in force. */
  rateLimit: RateLimitConfig;
  /** 429s the sandbox sent because a rate budget was exceeded (not the apiRateLimitRate fault's). */
  budget429s: number;
  /** The same, by the bucket that was empty: "total" or a family. */
  budget429sByScope: Record<string, number>;
}

const MAX_FAILURES_KEPT = 20;

export function emptyCallbackCounters(): CallbackCounters {
  return {
    generated: 0,
    skipped: 0,
    sent: 0,
    acked: 0,
    failed: 0,
    retried: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    delayed: 0,
    late: 0,
  };
}

export class Stats {
  calls: Record<string, Record<string, number>> = {};
  updatesByOrder: Record<string, number> = {};
  callbacks: CallbackCounters = emptyCallbackCounters();
  recentCallbackFailures: DeliveryFailure[] = [];

  countCall(endpoint: string, status: number): void {
    const byStatus = this.calls[endpoint] ?? {};
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.calls[endpoint] = byStatus;
  }

  countUpdate(orderId: string): void {
    this.updatesByOrder[orderId] = (this.updatesByOrder[orderId] ?? 0) + 1;
  }

  recordFailure(failure: DeliveryFailure): void {
    this.recentCallbackFailures.push(failure);
    if (this.recentCallbackFailures.length > MAX_FAILURES_KEPT) this.recentCallbackFailures.shift();
  }

  reset(): void {
    this.calls = {};
    this.updatesByOrder = {};
    this.callbacks = emptyCallbackCounters();
    this.recentCallbackFailures = [];
  }
}
