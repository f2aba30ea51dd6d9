import type { PincodeFamily } from "./errors.ts";

/** What happened to one HTTP attempt. */
export type PincodeOutcome =
  | "success"
  | "client_error"
  | "auth_expired"
  | "rate_limited"
  | "server_error"
  | "timeout"
  | "network_error"
  | "invalid_response";

/** One record per HTTP attempt (retries and the token call included), shaped for an EMF publisher. */
export interface PincodeMetric {
  /** Path of the endpoint, e.g. `/tsp/order/v1/status`. */
  endpoint: string;
  family: PincodeFamily;
  outcome: PincodeOutcome;
  /** HTTP status when there was an answer. */
  status?: number;
  latencyMs: number;
  /** 1-based attempt number within the call. */
  attempt: number;
  /** `error.errorCode` from Pincode's error envelope, when present. */
  errorCode?: string;
}

export type MetricSink = (metric: PincodeMetric) => void;

/** A broken metrics publisher must never fail or retry a Pincode call. */
export function emitMetric(sink: MetricSink | undefined, metric: PincodeMetric): void {
  if (!sink) return;
  try {
    sink(metric);
  } catch {
    // deliberately ignored: metrics are best effort
  }
}

export function outcomeForStatus(status: number): PincodeOutcome {
  if (status >= 200 && status <= 299) return "success";
  if (status === 401 || status === 412) return "auth_expired";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "client_error";
}
