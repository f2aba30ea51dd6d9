/** Reading and checking request inputs; every refusal names the input and its expected form, never its value. */
import { STORE_ID_FORM, STORE_ID_PATTERN } from "#adapters/store-repository.ts";
import type { ApiRequest, ApiResponse } from "./types.ts";
import { apiError } from "./types.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: ApiResponse };

const bad = (message: string): { ok: false; response: ApiResponse } => ({
  ok: false,
  response: apiError(400, "INVALID_REQUEST", message),
});

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

export function parseLimit(request: ApiRequest): Parsed<number> {
  const raw = request.query.limit;
  if (raw === undefined || raw === "") return { ok: true, value: DEFAULT_LIMIT };
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    return bad(`limit: expected an integer from 1 to ${MAX_LIMIT}`);
  }
  return { ok: true, value: Number(raw) };
}

/** Epoch milliseconds, or an ISO 8601 timestamp with a time zone. */
export function parseTimestamp(name: string, raw: string | undefined): Parsed<number | null> {
  if (raw === undefined || raw === "") return { ok: true, value: null };
  if (/^\d{1,15}$/.test(raw)) return { ok: true, value: Number(raw) };
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms) && ms >= 0) return { ok: true, value: ms };
  }
  return bad(
    `${name}: expected epoch milliseconds or an ISO 8601 timestamp with a time zone (e.g. 2026-01-31T10:00:00Z)`,
  );
}

/** Order states are an open set (Pincode's initial state is undocumented): any upper-case token, case-insensitive. */
export function parseState(raw: string | undefined): Parsed<string | null> {
  if (raw === undefined || raw === "") return { ok: true, value: null };
  const value = raw.toUpperCase();
  if (!/^[A-Z_]{1,40}$/.test(value)) {
    return bad("state: expected an order state such as ACCEPTED, IN_PROGRESS, COMPLETED or CANCELLED");
  }
  return { ok: true, value };
}

export function parseStoreId(name: string, raw: string | undefined): Parsed<string | null> {
  if (raw === undefined || raw === "") return { ok: true, value: null };
  if (!STORE_ID_PATTERN.test(raw)) return bad(`${name}: expected a store id (${STORE_ID_FORM})`);
  return { ok: true, value: raw };
}

/** Order, command and submission ids in a path: printable, no spaces, bounded. */
export function parseId(name: string, raw: string | undefined): Parsed<string> {
  if (raw === undefined || !/^[A-Za-z0-9._:@+=-]{1,128}$/.test(raw)) {
    return bad(`${name}: expected 1-128 characters of letters, digits and . _ : @ + = -`);
  }
  return { ok: true, value: raw };
}

/**
 * The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header: a Structured Fields string, so `"key"`;
 * a bare token is accepted too). Undefined when absent.
 */
export function parseIdempotencyKey(request: ApiRequest): Parsed<string | undefined> {
  const raw = request.headers["idempotency-key"];
  if (raw === undefined) return { ok: true, value: undefined };
  const trimmed = raw.trim();
  const value = /^".*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!/^[A-Za-z0-9._:@+=-]{1,128}$/.test(value)) {
    return bad('Idempotency-Key: expected a quoted string ("...") of 1-128 letters, digits and . _ : @ + = -');
  }
  return { ok: true, value };
}
