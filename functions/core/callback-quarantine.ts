/**
 * Turning a refused callback into a `callback.quarantined` events-queue message. Pure: no I/O, no schema library
 * (this is on the callback's bundle). The processor writes the message as the quarantine item.
 *
 * Credentials never leave the function: Authorization, Cookie and API-key headers are dropped here, before the body
 * is queued, so neither the queue nor the table ever holds them.
 */
import { randomUUID } from "node:crypto";
import type { QuarantinedCallbackMessage } from "./messages.ts";

/** Headers that carry credentials: never queued, never stored. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-amz-security-token",
]);

export const MAX_STORED_HEADERS_BYTES = 16 * 1024;

/** Drops credential headers; keys are lower-cased; the whole is kept under MAX_STORED_HEADERS_BYTES. */
export function storableHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (SECRET_HEADERS.has(key) || value === "") continue;
    size += key.length + value.length;
    if (size > MAX_STORED_HEADERS_BYTES) break;
    kept[key] = value;
  }
  return kept;
}

export type QuarantineCode = QuarantinedCallbackMessage["code"];

export interface RefusedCallback {
  code: QuarantineCode;
  /** What is wrong and where (the 400's message), never a value. */
  reason: string;
  /** The body exactly as received. */
  body: Uint8Array;
  headers: Record<string, string>;
  sourceIp?: string | undefined;
  apiRequestId?: string | undefined;
  callbackRequestId?: string | undefined;
}

export function quarantineMessage(refused: RefusedCallback, nowMs: number): QuarantinedCallbackMessage {
  return {
    v: 1,
    messageId: randomUUID(),
    receivedAt: nowMs,
    kind: "callback.quarantined",
    code: refused.code,
    reason: refused.reason.slice(0, 2000),
    bodyBase64: Buffer.from(refused.body.buffer, refused.body.byteOffset, refused.body.byteLength).toString("base64"),
    bodyBytes: refused.body.byteLength,
    headers: storableHeaders(refused.headers),
    ...(refused.sourceIp ? { sourceIp: refused.sourceIp } : {}),
    ...(refused.apiRequestId ? { apiRequestId: refused.apiRequestId } : {}),
    ...(refused.callbackRequestId ? { callbackRequestId: refused.callbackRequestId.slice(0, 256) } : {}),
  };
}
