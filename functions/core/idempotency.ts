/**
 * Idempotency keys for seller commands (draft-ietf-httpapi-idempotency-key-header): a key names one command; the
 * request it was first used with is remembered by its fingerprint, so the same key with the same body returns the
 * same command and the same key with another body is refused (422).
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted, so two equal bodies written in another key order fingerprint the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The fingerprint of a request: its target (route + resource) and its validated body, commandId left out. */
export function requestFingerprint(target: string, body: unknown): string {
  return createHash("sha256").update(target).update("\n").update(canonicalJson(body)).digest("hex");
}
