/**
 * Telling a dependency outage (DynamoDB or SQS down, throttled or unreachable) from a bug. An outage is answered
 * 503 `SERVICE_UNAVAILABLE` with `Retry-After`, so clients and the CLI retry; a bug stays 500 `INTERNAL_ERROR`.
 * Reads the AWS SDK v3 error's own classification (`$fault`, `$retryable`, the HTTP status) and Node's network
 * error codes; never its message (it can quote request data).
 */

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
]);

const OUTAGE_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ThrottlingException",
  "Throttling",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
  "InternalFailure",
  "KMSThrottlingException",
  "KmsThrottled",
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  cause?: unknown;
}

export function isDependencyOutage(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 3) return false;
  const e = error as SdkErrorShape;
  if (e.$fault === "server" || e.$retryable !== undefined) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 500) return true;
  if (typeof e.name === "string" && OUTAGE_NAMES.has(e.name)) return true;
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  return isDependencyOutage(e.cause, depth + 1);
}

/** Seconds a client should wait before retrying after a 503. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
