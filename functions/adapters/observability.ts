/**
 * Structured logging and EMF metrics (Powertools), created once per module. Buyer PII never reaches a log line:
 * the logger's JSON replacer blanks every key that carries it, wherever it sits in a logged object.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/** Keys whose values are buyer PII in Pincode payloads (billing, fulfilment `end`) or secrets. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  "billing",
  "end",
  "person",
  "contact",
  "address",
  "formattedAddress",
  "building",
  "locality",
  "email",
  "phone",
  "lat",
  "lon",
  "authorization",
  "Authorization",
  "client_secret",
  "clientSecret",
  "access_token",
  "refresh_token",
  "signingKey",
  "staticToken",
]);

export const REDACTED = "[REDACTED]";

/** JSON replacer that blanks PII and secret keys; also usable directly to sanitise an object for storage. */
export function redactReplacer(key: string, value: unknown): unknown {
  return key !== "" && REDACTED_KEYS.has(key) && value !== undefined ? REDACTED : value;
}

export function redact<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, redactReplacer)) as T;
}

export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactReplacer });
}

export function createMetrics(serviceName: string): Metrics {
  return new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "PincodeBridge", serviceName });
}

export { MetricUnit };
