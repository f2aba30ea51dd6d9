/** Retry policy for Pincode calls: which failures are retried and how long to wait before the next attempt. */

export interface RetryPolicy {
  /** Total HTTP attempts for transient failures (the first try included). The one 401/412 re-auth retry is extra. */
  maxAttempts: number;
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest `Retry-After` we honour; a longer one ends the call with the 429/503 error instead of sleeping. */
  maxRetryAfterMs: number;
  /** Wall-clock budget for the whole call (throttle waits, attempts and backoff). */
  deadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  deadlineMs: 45_000,
};

/** PINCODE-API A7: 429 is undocumented but plausible; back off on it and on every 5xx. Other 4xx are final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Pincode signals an expired token or session with 401 or 412 (PINCODE-API A7, §2.11). */
export function isAuthExpiredStatus(status: number): boolean {
  return status === 401 || status === 412;
}

/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads retries of
 * many clients over the whole window so they do not hammer Pincode in lockstep.
 * @param retryNumber 1 for the wait before the second attempt, 2 before the third, ...
 * @param random a [0, 1) source
 */
export function backoffDelayMs(
  retryNumber: number,
  policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` as milliseconds from `nowMs`: either delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date always names a month; without this check Date.parse reads "-5" as the year -5.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
