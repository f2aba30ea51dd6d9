/**
 * The operations side of the seller API, pure parts: which queues an operator may look into, how a quarantined
 * callback is named in URLs, what a queue message is in one line (never its buyer data), and the query parameters
 * of the operations routes. No I/O.
 */

/** Our three work queues; each has a DLQ (DESIGN.md "Every queue has a DLQ"). The route's `{queue}` is one of these. */
export const OPS_QUEUES = ["events", "poll", "commands"] as const;
export type OpsQueueName = (typeof OPS_QUEUES)[number];

export function isOpsQueueName(value: string | undefined): value is OpsQueueName {
  return (OPS_QUEUES as readonly string[]).includes(value ?? "");
}

export interface QueueEndpoints {
  queueUrl: string;
  dlqUrl: string;
}
export type OpsQueues = Record<OpsQueueName, QueueEndpoints>;

/**
 * The id of a quarantined callback in URLs: `<day>.<ts>.<uuid>` built from its key (`QUARANTINE#<day>` /
 * `<ts>#<uuid>`), so the item is found with one GetItem whatever wrote it, and the id reads as a date.
 */
export function quarantineApiId(pk: string, sk: string): string | undefined {
  const day = pk.startsWith("QUARANTINE#") ? pk.slice("QUARANTINE#".length) : undefined;
  const hash = sk.indexOf("#");
  if (!day || hash <= 0) return undefined;
  return `${day}.${sk.slice(0, hash)}.${sk.slice(hash + 1)}`;
}

const QUARANTINE_ID = /^(\d{4}-\d{2}-\d{2})\.(\d{1,15})\.([A-Za-z0-9-]{1,64})$/;

export function parseQuarantineApiId(id: string): { pk: string; sk: string } | undefined {
  const match = QUARANTINE_ID.exec(id);
  if (!match) return undefined;
  const [, day, ts, rest] = match;
  return { pk: `QUARANTINE#${day}`, sk: `${ts}#${rest}` };
}

export const QUARANTINE_ID_FORM = "<YYYY-MM-DD>.<timestamp>.<uuid> as listed by GET /v1/quarantine";

/** UTC days from `now` back over `days` days, newest first, as `YYYY-MM-DD`. */
export function recentDays(now: number, days: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < days; i++) out.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/** What a queue message is, in ids only: bodies carry order snapshots with buyer data. */
export interface MessageSummary {
  kind?: string;
  messageId?: string;
  orderId?: string;
  storeId?: string;
  commandId?: string;
  submissionId?: string;
  source?: string;
  receivedAt?: number;
  /** Set when the body is not a JSON object (a poison message). */
  unreadable?: string;
}

const SUMMARY_FIELDS = ["kind", "messageId", "orderId", "storeId", "commandId", "submissionId", "source"] as const;

export function summariseMessageBody(body: string | undefined): MessageSummary {
  if (body === undefined || body === "") return { unreadable: "empty body" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { unreadable: "body is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { unreadable: "body is not a JSON object" };
  }
  const record = parsed as Record<string, unknown>;
  const summary: MessageSummary = {};
  for (const field of SUMMARY_FIELDS) {
    const value = record[field];
    // Ids are short; anything long is not an id and is left out rather than echoed.
    if (typeof value === "string" && value.length > 0 && value.length <= 128) summary[field] = value;
  }
  if (typeof record.receivedAt === "number") summary.receivedAt = record.receivedAt;
  return summary;
}

export type QueryResult<T> = { ok: true; value: T } | { ok: false; message: string };

export interface QuarantineListQuery {
  /** One day (`YYYY-MM-DD`), or the last `days` days when absent. */
  day?: string;
  days: number;
  limit: number;
  cursor?: QuarantineCursor;
}

/** Quarantined items live 30 days (their TTL), so looking further back finds nothing. */
export const MAX_QUARANTINE_DAYS = 30;
export const DEFAULT_QUARANTINE_DAYS = 7;
export const MAX_LIST_LIMIT = 200;

export interface QuarantineCursor {
  day: string;
  sk?: string;
}

export function encodeCursor(cursor: QuarantineCursor): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function decodeCursor(text: string): QuarantineCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Record<string, unknown>;
    if (typeof value.day !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value.day)) return undefined;
    if (value.sk !== undefined && typeof value.sk !== "string") return undefined;
    return value.sk === undefined ? { day: value.day } : { day: value.day, sk: value.sk as string };
  } catch {
    return undefined;
  }
}

function intParam(
  raw: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): QueryResult<number> {
  if (raw === undefined || raw === "") return { ok: true, value: fallback };
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    return { ok: false, message: `${name}: expected an integer from ${min} to ${max}` };
  }
  return { ok: true, value: Number(raw) };
}

export function parseQuarantineListQuery(query: Record<string, string | undefined>): QueryResult<QuarantineListQuery> {
  const days = intParam(query.days, "days", 1, MAX_QUARANTINE_DAYS, DEFAULT_QUARANTINE_DAYS);
  if (!days.ok) return days;
  const limit = intParam(query.limit, "limit", 1, MAX_LIST_LIMIT, 50);
  if (!limit.ok) return limit;
  const result: QuarantineListQuery = { days: days.value, limit: limit.value };
  if (query.day !== undefined && query.day !== "") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(query.day) || Number.isNaN(Date.parse(`${query.day}T00:00:00Z`))) {
      return { ok: false, message: "day: expected a UTC date YYYY-MM-DD" };
    }
    result.day = query.day;
  }
  if (query.cursor !== undefined && query.cursor !== "") {
    const cursor = decodeCursor(query.cursor);
    if (!cursor) return { ok: false, message: "cursor: expected the nextCursor of a previous page, unchanged" };
    result.cursor = cursor;
  }
  return { ok: true, value: result };
}

export interface PeekQuery {
  limit: number;
  /** Include message bodies (buyer data: the caller asked for it explicitly). */
  body: boolean;
}

export const MAX_PEEK = 50;

export function parsePeekQuery(query: Record<string, string | undefined>): QueryResult<PeekQuery> {
  const limit = intParam(query.limit, "limit", 1, MAX_PEEK, 10);
  if (!limit.ok) return limit;
  const body = query.body;
  if (body !== undefined && !["true", "false", "1", "0"].includes(body)) {
    return { ok: false, message: "body: expected true or false" };
  }
  return { ok: true, value: { limit: limit.value, body: body === "true" || body === "1" } };
}

export interface RedriveRequest {
  dryRun: boolean;
  /** At most this many messages move in one call. */
  max: number;
}

export const MAX_REDRIVE = 1000;

export function parseRedriveRequest(body: unknown): QueryResult<RedriveRequest> {
  if (body === undefined || body === null) return { ok: true, value: { dryRun: true, max: 100 } };
  if (typeof body !== "object" || Array.isArray(body)) return { ok: false, message: "body: expected a JSON object" };
  const record = body as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => k !== "dryRun" && k !== "max");
  if (unknownKeys.length > 0) return { ok: false, message: `${unknownKeys[0]}: unknown field; expected dryRun, max` };
  if (record.dryRun !== undefined && typeof record.dryRun !== "boolean") {
    return { ok: false, message: "dryRun: expected true or false" };
  }
  if (
    record.max !== undefined &&
    (typeof record.max !== "number" || !Number.isInteger(record.max) || record.max < 1 || record.max > MAX_REDRIVE)
  ) {
    return { ok: false, message: `max: expected an integer from 1 to ${MAX_REDRIVE}` };
  }
  // Dry run unless the caller says otherwise: moving messages is the operator's explicit decision.
  return { ok: true, value: { dryRun: record.dryRun !== false, max: (record.max as number | undefined) ?? 100 } };
}
