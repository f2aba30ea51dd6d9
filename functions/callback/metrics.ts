/**
 * The callback function's EMF metrics. Each count carries its own dimension (kind or reason), so it is emitted as
 * a single metric rather than added to the invocation's shared dimension set.
 */

import type { MetricsSink } from "#adapters/emf-writer.ts";
import type { CallbackKindLabel } from "#core/callback-envelope.ts";

export type RejectionReason =
  | "unauthorized"
  | "method_not_allowed"
  | "too_large"
  | "malformed"
  | "invalid"
  | "queue_error"
  | "quarantine_error"
  | "auth_unavailable"
  | "internal_error";

export interface CallbackMetrics {
  accepted(kind: CallbackKindLabel): void;
  rejected(reason: RejectionReason): void;
}

export function callbackMetrics(metrics: MetricsSink): CallbackMetrics {
  const count = (name: string, dimension: [string, string]) => {
    const single = metrics.singleMetric();
    single.addDimension(dimension[0], dimension[1]);
    single.addMetric(name, "Count", 1);
  };
  return {
    accepted: (kind) => count("CallbacksAccepted", ["kind", kind]),
    rejected: (reason) => count("CallbacksRejected", ["reason", reason]),
  };
}
