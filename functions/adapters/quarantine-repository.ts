/**
 * Quarantined callbacks: authenticated bodies we could not accept, kept with the reason so nothing Pincode sent is
 * lost (DESIGN.md "Nothing is lost"). The callback function queues them as `callback.quarantined` messages and the
 * processor writes them here (issue 11: the callback carries no DynamoDB client); the item layout is unchanged.
 *
 * The body may hold buyer PII: it is the seller's own data in the seller's encrypted table, and it never goes to a
 * log. Credentials never reach the table: Authorization, Cookie and API-key headers are dropped before the write.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type QuarantineCode, storableHeaders } from "#core/callback-quarantine.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

// Moved to functions/core/callback-quarantine.ts (the callback drops them before queueing); re-exported unchanged.
export { MAX_STORED_HEADERS_BYTES, SECRET_HEADERS, storableHeaders } from "#core/callback-quarantine.ts";

/** DynamoDB items are capped at 400 KB; keep the stored body and headers far below it. */
export const MAX_STORED_BODY_BYTES = 300 * 1024;
export const DEFAULT_QUARANTINE_TTL_DAYS = 30;

export type { QuarantineCode };

export interface QuarantineEntry {
  code: QuarantineCode;
  /** What is wrong and where, e.g. `ORDER_VIEW response.id: expected string`. */
  reason: string;
  /** The body exactly as received (after API Gateway's base64, if any, was undone). */
  body: Uint8Array;
  headers: Record<string, string>;
  sourceIp?: string;
  /** API Gateway's request id, to find the access-log line. */
  apiRequestId?: string;
  /** Pincode's requestContext.requestId, when the body got far enough to have one. */
  callbackRequestId?: string;
  /**
   * When the callback arrived and the quarantine id (the `callback.quarantined` message's receivedAt and messageId):
   * a redelivered message then finds its own item and is not stored twice. Default: now and a fresh uuid.
   */
  at?: number;
  id?: string;
}

export interface QuarantineRecord {
  id: string;
  pk: string;
  sk: string;
}

export interface QuarantineRepository {
  /** Stores the entry; throws if the write fails (the caller answers 5xx so Pincode retries). */
  put(entry: QuarantineEntry): Promise<QuarantineRecord>;
}

export interface QuarantineRepositoryOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
  ttlDays?: number;
  newId?: () => string;
}

/** Cuts UTF-8 bytes at `max` without splitting a multi-byte character. */
export function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function storedBody(body: Uint8Array): Record<string, AttributeValue> {
  const truncated = body.length > MAX_STORED_BODY_BYTES;
  const kept = truncateUtf8(body, MAX_STORED_BODY_BYTES);
  const common = { bodyBytes: { N: String(body.length) }, bodyTruncated: { BOOL: truncated } };
  // Some DynamoDB implementations refuse empty strings and binaries.
  if (body.length === 0) return { ...common, bodyEncoding: { S: "empty" } };
  try {
    return { ...common, body: { S: utf8.decode(kept) }, bodyEncoding: { S: "utf8" } };
  } catch {
    // Not text: keep the bytes as they are.
    return { ...common, body: { B: body.subarray(0, MAX_STORED_BODY_BYTES) }, bodyEncoding: { S: "binary" } };
  }
}

export function createQuarantineRepository(options: QuarantineRepositoryOptions): QuarantineRepository {
  const now = options.now ?? Date.now;
  const ttlSeconds = (options.ttlDays ?? DEFAULT_QUARANTINE_TTL_DAYS) * 24 * 60 * 60;
  const newId = options.newId ?? randomUUID;
  return {
    async put(entry) {
      const at = entry.at ?? now();
      const id = entry.id ?? newId();
      const key = keys.quarantine(at, id);
      const headers = storableHeaders(entry.headers);
      const item: Record<string, AttributeValue> = {
        pk: { S: key.pk },
        sk: { S: key.sk },
        type: { S: "QUARANTINE" },
        quarantineId: { S: id },
        code: { S: entry.code },
        reason: { S: entry.reason.slice(0, 2000) },
        receivedAt: { N: String(at) },
        ...storedBody(entry.body),
        headers: { M: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { S: v }])) },
        [TTL_ATTRIBUTE]: { N: String(Math.floor(at / 1000) + ttlSeconds) },
      };
      if (entry.sourceIp) item.sourceIp = { S: entry.sourceIp };
      if (entry.apiRequestId) item.apiRequestId = { S: entry.apiRequestId };
      if (entry.callbackRequestId) item.callbackRequestId = { S: entry.callbackRequestId.slice(0, 256) };
      try {
        await options.client.send(
          new PutItemCommand({
            TableName: options.tableName,
            Item: item,
            // A fresh uuid never collides; the condition makes an impossible overwrite loud instead of silent.
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
      } catch (error) {
        // The same queue message delivered again (at-least-once): its item is already there, keep the first.
        if (!(entry.id !== undefined && error instanceof ConditionalCheckFailedException)) throw error;
      }
      return { id, ...key };
    },
  };
}
