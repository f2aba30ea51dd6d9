/**
 * The Pincode seller-network contract as zod schemas (PINCODE-API.md).
 *
 * Two kinds of schema live here:
 * - inbound (what Pincode sends: callbacks, responses) are TOLERANT: unknown fields are kept (`z.looseObject`),
 *   enums are open (unknown values accepted, canonicalised when they only differ in case, and reported by
 *   `findUnknownEnumValues`), `null` in an optional field means absent, unambiguous numeric strings are numbers,
 *   timestamps accept epoch s / ms / µs (told apart by magnitude) and ISO strings; `parseInboundOrder` drops a field
 *   whose value is still unusable, names its path (`oddFieldsOf`) and keeps the order (docs/ingestion.md);
 * - outbound (what we send) are STRICT: unknown keys rejected, enums closed to the documented tables.
 */
import { z } from "zod";
import { readInboundOrder } from "./order-reader.ts";

// ---------------------------------------------------------------------------------------------------------------
// Enums (the documented tables; PINCODE-API §2.2, §4)
// ---------------------------------------------------------------------------------------------------------------

/** Seller-settable order states. The initial state of a new order is undocumented (§4.1). */
export const ORDER_STATES = ["ACCEPTED", "IN_PROGRESS", "COMPLETED", "CANCELLED"] as const;
export type OrderStateValue = (typeof ORDER_STATES)[number];
export const TERMINAL_ORDER_STATES: readonly string[] = ["COMPLETED", "CANCELLED"];

/** Seller-settable fulfilment states (ORDER_FULFILMENT_STATE_UPDATE). */
export const SELLER_FULFILLMENT_STATES = ["PACKING", "PACKED", "OUT_FOR_DELIVERY", "DELIVERED"] as const;
/** Every fulfilment state seen in the docs, in the order they happen (§4.2). */
export const FULFILLMENT_STATES = [
  "PACKING",
  "PACKED",
  "SEARCHING_FOR_AGENT",
  "AGENT_ASSIGNED",
  "OUT_FOR_DELIVERY",
  "DELIVERED",
] as const;

/** ITEM_UNIT_UPDATE reasons, all added 12/08/2024 (§2.2). */
export const ITEM_UNIT_REASONS = [
  "SELLER_REFUND_ACCEPTED",
  "RESOLUTION_SLA_BREACHED",
  "SELLER_REJECTED_AGENT_VERIFIED",
  "INCORRECT_DESCRIPTION",
  "ITEM_NOT_IN_PRESCRIPTION",
  "QUANTITY_EXCEED_PRESCRIPTION_LIMIT",
  "QUANTITY_EXCEED_AVAILABLE_LIMIT",
  "ITEM_UNAVAILABLE",
  "ITEM_CANCEL_ON_CUSTOMER_REQUEST",
  "REASON_NOT_LISTED",
] as const;

/** ORDER_STATE_UPDATE reasons, valid only with CANCELLED (§2.2): 17 added 12/08/2024, two more 27/09/2024. */
export const CANCEL_REASONS = [
  "BUYER_NO_CONTACT",
  "BUYER_NOT_AVAILABLE",
  "BUYER_REFUSED_DELIVERY",
  "DELIVERY_PINCODE_UNSERVICEABLE",
  "DELIVERY_VEHICLE_ISSUES",
  "INCORRECT_PRICING",
  "ITEM_UNAVAILABLE",
  "SUSPICIOUS_ORDER_ACTIVITY",
  "TRADER_ORDER",
  "WEATHER_RELATED_ISSUES",
  "BUYER_ITEM_QTY_UPDATE",
  "LOCATION_NOT_FOUND",
  "CUSTOMER_CANCEL_REQUEST",
  "BUYER_ADDRESS_UPDATE",
  "BUYER_ITEMS_UPDATE",
  "EMPLOYEE_UNAVAILABILITY",
  "DELIVERY_PERSONNEL_UNAVAILABLE",
  // order-update-api.txt, added 27/09/2024.
  "INVALID_PRESCRIPTION",
  "FRAUD_PRESCRIPTION",
] as const;

/**
 * Pincode adds reasons by date (order-update-api.txt's tables are dated), so a stage can allow reasons newer than this
 * release (`-c extraCancelReasons=A,B`, env PINCODE_EXTRA_CANCEL_REASONS / PINCODE_EXTRA_ITEM_REASONS). The additions
 * live here, process-wide, and the outbound schemas consult them on every parse.
 */
const extraReasons = { cancel: new Set<string>(), item: new Set<string>() };
export const REASON_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
export const EXTRA_REASON_ENV = {
  cancel: "PINCODE_EXTRA_CANCEL_REASONS",
  item: "PINCODE_EXTRA_ITEM_REASONS",
} as const;

/** Adds reasons to the outbound reason tables (idempotent). Throws on a name that is not UPPER_SNAKE_CASE. */
export function extendReasonTables(extra: {
  cancelReasons?: readonly string[];
  itemReasons?: readonly string[];
}): void {
  for (const [list, set, what] of [
    [extra.cancelReasons ?? [], extraReasons.cancel, "cancel reason"],
    [extra.itemReasons ?? [], extraReasons.item, "item unit reason"],
  ] as const) {
    for (const reason of list) {
      if (!REASON_PATTERN.test(reason)) throw new Error(`an extra ${what} must be UPPER_SNAKE_CASE (A-Z, 0-9, _)`);
      set.add(reason);
    }
  }
}

/** Reads a comma-separated reason list; empty or absent is none. Throws naming the variable, never the value. */
export function parseReasonList(raw: string | undefined, variable: string): string[] {
  const list = (raw ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  for (const reason of list) {
    if (!REASON_PATTERN.test(reason)) {
      throw new Error(`${variable}: expected a comma-separated list of UPPER_SNAKE_CASE reasons`);
    }
  }
  return list;
}

/** extendReasonTables from PINCODE_EXTRA_CANCEL_REASONS / PINCODE_EXTRA_ITEM_REASONS (functions' cold start, local mode). */
export function extendReasonTablesFromEnv(env: Record<string, string | undefined> = process.env): void {
  extendReasonTables({
    cancelReasons: parseReasonList(env[EXTRA_REASON_ENV.cancel], EXTRA_REASON_ENV.cancel),
    itemReasons: parseReasonList(env[EXTRA_REASON_ENV.item], EXTRA_REASON_ENV.item),
  });
}

/** The reason tables in force: the documented ones plus this stage's additions. */
export function reasonTables(): { cancelReasons: string[]; itemReasons: string[] } {
  return {
    cancelReasons: [...CANCEL_REASONS, ...[...extraReasons.cancel].filter((r) => !isKnown(CANCEL_REASONS, r))],
    itemReasons: [...ITEM_UNIT_REASONS, ...[...extraReasons.item].filter((r) => !isKnown(ITEM_UNIT_REASONS, r))],
  };
}

export const ORDER_UPDATE_ACTION_TYPES = [
  "ORDER_FULFILMENT_STATE_UPDATE",
  "ITEM_UNIT_UPDATE",
  "ORDER_STATE_UPDATE",
  "CLIENT_ORDER_INFO_UPDATE",
] as const;

export const FULFILLMENT_TYPES = ["STORE", "DELIVERY"] as const;
export const QUOTE_LINE_TYPES = ["ITEM", "PACKING", "DELIVERY", "TAX"] as const;
export const QUOTATION_LEVELS = ["ITEM", "FULFILLMENT", "ORDER"] as const;
export const ORDER_ACTION_TYPES = ["CANCEL_ORDER"] as const;
export const CALLBACK_TYPES = ["ORDER_VIEW"] as const;
export const PROCESSING_STATUSES = ["COMPLETED"] as const;
export const ISSUE_SEVERITIES = ["ERROR", "WARNING"] as const;
export const SORT_ORDERS = ["ASC", "DESC"] as const;
/** A16: only ACTIVE is shown; the listing-create field table adds INACTIVE, and DELETED for updates. */
export const LISTING_STATUSES = ["ACTIVE", "INACTIVE", "DELETED"] as const;
export const ORDER_ACCEPTANCE_STATUSES = ["ENABLED", "DISABLED"] as const;
export const IDENTIFIER_TYPES = ["SELLER_CODE", "EAN"] as const;
export const STOCK_REASON_TYPES = ["AUDIT"] as const;
export const ERROR_CODES = [
  "SUCCESS",
  "ACCEPTED",
  "ACTION_NOT_ALLOWED",
  "INVALID_ITEM_UNITS",
  "ORDER_NOT_FOUND",
  "INTERNAL_SERVER_ERROR",
] as const;

// ---------------------------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------------------------

const NUMERIC_STRING = /^-?\d{1,20}(\.\d{1,9})?$/;

/** Epoch magnitudes: below 1e11 is seconds (until year 5138), below 1e14 milliseconds, below 1e17 microseconds. */
const SECONDS_BELOW = 1e11;
const MILLIS_BELOW = 1e14;
const MICROS_BELOW = 1e17;

/** IST: the reading of an ISO time without a zone (docs/ingestion.md "Tolerant parsing"). */
export const ZONELESS_ISO_OFFSET = "+05:30";

/** An unambiguous number: a finite number, or a plain decimal string (no exponent, sign only `-`, no separators). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  return NUMERIC_STRING.test(text) ? Number(text) : undefined;
}

function epochToMs(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  if (n < SECONDS_BELOW) return Math.trunc(n * 1000);
  if (n < MILLIS_BELOW) return Math.trunc(n);
  if (n < MICROS_BELOW) return Math.trunc(n / 1000);
  return undefined;
}

/**
 * Normalises a Pincode timestamp to epoch milliseconds. Pincode sends epoch-ms numbers, epoch-ms strings (the
 * ORDER_VIEW sample) and ISO-8601 strings (the Order Update response sample): PINCODE-API §2.2, §3.2. Epoch seconds,
 * milliseconds and microseconds are told apart by magnitude; an ISO time without a zone is read as IST (+05:30),
 * the earlier of its two plausible readings (UTC, IST), so a time derived from it never overstates.
 */
export function toEpochMs(value: unknown): number | undefined {
  const n = toNumber(value);
  if (n !== undefined) return epochToMs(n);
  if (typeof value !== "string") return undefined;
  let text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text = `${text}T00:00:00`;
  text = text.replace(/^(\d{4}-\d{2}-\d{2}) /, "$1T");
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text = `${text}${ZONELESS_ISO_OFFSET}`;
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

const TIME_FORM = "expected epoch seconds, milliseconds or microseconds (number or digit string) or an ISO-8601 date";

/** A timestamp from Pincode, normalised to epoch ms; an unreadable one fails naming the expected form (not the value). */
export const EpochMs = z.union([z.number(), z.string()], { error: TIME_FORM }).transform((value, ctx) => {
  const ms = toEpochMs(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: TIME_FORM });
    return z.NEVER;
  }
  return ms;
});

/** `null` means absent (Pincode renders absent optional fields as null): DESIGN.md "Be tolerant". */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema.optional());
/** A number that may arrive as an unambiguous numeric string ("700"). */
const Num = z.preprocess((v) => toNumber(v) ?? v, z.number({ error: "expected a number or a numeric string" }));
const Int = z.preprocess(
  (v) => toNumber(v) ?? v,
  z.number({ error: "expected a whole number or a numeric string" }).int("expected a whole number"),
);
/** A string that may arrive as a number (ids, codes). */
const Str = z.preprocess(
  (v) => (typeof v === "number" && Number.isFinite(v) ? String(v) : v),
  z.string({ error: "expected a string" }),
);
const Bool = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean({ error: "expected a boolean" }),
);

/**
 * An open enum for inbound payloads: a known value differing only in case is canonicalised ("Completed" ->
 * "COMPLETED", seen in the Order Update response sample); an unknown value is kept verbatim (Pincode's enums grow,
 * A16) and reported by `findUnknownEnumValues`.
 */
export function openEnum<const T extends readonly string[]>(known: T) {
  const byUpper = new Map(known.map((v) => [v.toUpperCase(), v]));
  return z.string().transform((value): T[number] | (string & {}) => byUpper.get(value.toUpperCase()) ?? value);
}

export function isKnown(known: readonly string[], value: string | undefined): boolean {
  return value !== undefined && known.includes(value);
}

/** Outbound ids: non-empty, no fixed length (A15: order ids are 24 or 25 characters in the samples). */
const Id = z.string().trim().min(1, "must be a non-empty string").max(128);

// ---------------------------------------------------------------------------------------------------------------
// Envelopes
// ---------------------------------------------------------------------------------------------------------------

/** requestContext as Pincode sends it: `transactionId` present in some APIs only (A10). */
export const RequestContextSchema = z.looseObject({
  requestId: z.string(),
  transactionId: z.string().optional(),
});
export type RequestContext = z.infer<typeof RequestContextSchema>;

const OutboundRequestContextSchema = z.strictObject({
  requestId: Id,
  transactionId: Id.optional(),
});

/** The common error envelope (§2.11). */
export const ErrorEnvelopeSchema = z.looseObject({
  requestContext: RequestContextSchema.partial().optional(),
  error: z.looseObject({
    errorCode: z.string(),
    message: z.string().optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** The reply Pincode expects from a callback receiver (§3.5): it echoes the callback's requestContext. */
export const CallbackAckSchema = z.strictObject({
  status: z.literal("ACK"),
  requestContext: z.looseObject({ requestId: z.string(), transactionId: z.string().optional() }),
});
export type CallbackAck = z.infer<typeof CallbackAckSchema>;

export function buildCallbackAck(requestContext: RequestContext): CallbackAck {
  return CallbackAckSchema.parse({ status: "ACK", requestContext });
}

// ---------------------------------------------------------------------------------------------------------------
// OAuth token (§1.3)
// ---------------------------------------------------------------------------------------------------------------

export const TokenRequestSchema = z.strictObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  grant_type: z.enum(["client_credentials", "refresh_token"]),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
export type TokenRequest = z.infer<typeof TokenRequestSchema>;

export const TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().optional(),
  token_type: z.string().optional(),
  // A2: the unit of expires_in is not stated; expires_at/issued_at are epoch ms. Callers take the earlier reading.
  expires_in: z.coerce.number().nonnegative().optional(),
  expires_at: EpochMs.optional(),
  issued_at: EpochMs.optional(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Order view (ORDER_VIEW callback `response`, Status Check and Order Update responses: §3.2, §3.3)
// ---------------------------------------------------------------------------------------------------------------

const Money = z.looseObject({ value: opt(Num) });
const Count = z.looseObject({ count: opt(Int) });

export const AddressSchema = z.looseObject({
  building: opt(Str),
  locality: opt(Str),
  city: opt(Str),
  state: opt(Str),
  country: opt(Str),
  pincode: opt(z.union([z.string(), z.number()])),
  formattedAddress: opt(Str),
  lat: opt(z.union([z.number(), z.string()])),
  lon: opt(z.union([z.number(), z.string()])),
});

export const OrderItemSchema = z.looseObject({
  itemId: opt(Str),
  name: opt(Str),
  platformItemId: opt(Str),
  serviceProviderItemId: opt(Str),
  fulfillmentId: opt(Str),
  quantity: opt(Count),
  price: opt(Money),
  sellingPrice: opt(Money),
  images: opt(z.array(z.looseObject({ image: opt(Str) }))),
  prescriptionRequired: opt(Bool),
  displayMeasurement: opt(Str),
});
export type OrderItem = z.infer<typeof OrderItemSchema>;

const StatusTimeSchema = z.looseObject({ endTime: opt(EpochMs) });
export const StatusHistoryEntrySchema = z.looseObject({
  actual: opt(StatusTimeSchema),
  expected: opt(StatusTimeSchema),
  promised: opt(StatusTimeSchema),
});

export const FulfillmentSchema = z.looseObject({
  fulfillmentId: opt(Str),
  type: opt(openEnum(FULFILLMENT_TYPES)),
  ownerType: opt(Str),
  end: opt(
    z.looseObject({
      address: opt(AddressSchema),
      contact: opt(z.looseObject({ phone: opt(Str) })),
      person: opt(z.looseObject({ name: opt(Str) })),
    }),
  ),
  fulfillmentState: opt(openEnum(FULFILLMENT_STATES)),
  // A4: the history map is spelled with one "L", the state field with two. Keys are state names (open).
  fulfilmentStatusHistory: opt(z.record(z.string(), StatusHistoryEntrySchema)),
});
export type Fulfillment = z.infer<typeof FulfillmentSchema>;

export const QuoteLineSchema = z.looseObject({
  referenceId: opt(Str),
  type: opt(openEnum(QUOTE_LINE_TYPES)),
  quotationLevel: opt(openEnum(QUOTATION_LEVELS)),
  title: opt(Str),
  quantity: opt(Count),
  price: opt(Money),
});

export const QuoteSchema = z.looseObject({
  price: opt(Money),
  breakUp: opt(z.array(QuoteLineSchema)),
});

export const OrderActionSchema = z.looseObject({
  type: opt(openEnum(ORDER_ACTION_TYPES)),
  channel: opt(Str),
  createdAt: opt(EpochMs),
});

export const BillingSchema = z.looseObject({
  name: opt(Str),
  address: opt(AddressSchema),
  email: opt(Str),
  phone: opt(Str),
  // §3.2: in the sample these timestamps sit inside billing, as numbers here and ISO strings elsewhere.
  createdAt: opt(EpochMs),
  updatedAt: opt(EpochMs),
});

/** An order as Pincode shows it. Tolerant: every field but `id` may be missing or null, unknown fields kept. */
export const OrderSchema = z.looseObject({
  id: Str.pipe(z.string().trim().min(1, "expected a non-empty order id")),
  items: opt(z.array(OrderItemSchema)),
  orderState: opt(openEnum(ORDER_STATES)),
  serviceProvider: opt(z.looseObject({ id: opt(Str), platformId: opt(Str) })),
  billing: opt(BillingSchema),
  fulfillments: opt(z.array(FulfillmentSchema)),
  quote: opt(QuoteSchema),
  actions: opt(z.array(OrderActionSchema)),
  clientOrderInfo: opt(z.looseObject({ sellerInvoiceId: opt(Str) })),
  createdAt: opt(EpochMs),
  updatedAt: opt(EpochMs),
});
export type Order = z.infer<typeof OrderSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Tolerant order parsing: an odd field value is dropped, named and counted; the order is still ingested
// ---------------------------------------------------------------------------------------------------------------

export type InboundOrderParse = { ok: true; order: Order; oddFields: string[] } | { ok: false; reason: string };

const oddFieldsByOrder = new WeakMap<object, readonly string[]>();

/** The field paths `parseInboundOrder` dropped from this order (indexes as `[]`), for the OddFieldValues metric. */
export function oddFieldsOf(order: object): readonly string[] {
  return oddFieldsByOrder.get(order) ?? [];
}

const MAX_REPAIR_ROUNDS = 50;

/** `items[3].price.value` -> `items[].price.value`: bounded metric cardinality; the path, never the value. */
export function fieldPathOf(path: readonly PropertyKey[], recordKeys: ReadonlySet<number> = new Set()): string {
  return path.reduce<string>((acc, key, i) => {
    if (typeof key === "number") return `${acc}[]`;
    // Keys of open maps (fulfilmentStatusHistory) are data-like: shown as {}.
    if (recordKeys.has(i)) return `${acc}.{}`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, "");
}

function removeAt(root: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  let parent: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return false;
    parent = (parent as Record<PropertyKey, unknown>)[key as string];
  }
  const leaf = path[path.length - 1];
  if (parent === null || typeof parent !== "object" || leaf === undefined) return false;
  if (Array.isArray(parent) && typeof leaf === "number") {
    // An array element that is not an element at all (null, a string in a list of objects): dropped.
    parent.splice(leaf, 1);
    return true;
  }
  if (!Object.hasOwn(parent, leaf as string)) return false;
  delete (parent as Record<PropertyKey, unknown>)[leaf as string];
  return true;
}

/**
 * Parses an order snapshot the way DESIGN.md asks ("Be tolerant in what Pincode sends"): `null` is absent, numeric
 * strings are numbers, and a field whose value still cannot be read is dropped and named (never its value) so the
 * caller can count it. Only an order without a usable `id` is refused.
 *
 * Issue 11: read by hand (order-reader.ts), a few microseconds per snapshot; `parseInboundOrderBySchema` below is
 * the previous release's zod parse, kept as the reference the reader is tested equal to.
 */
export function parseInboundOrder(raw: unknown): InboundOrderParse {
  const read = readInboundOrder(raw);
  if (!read.ok) return read;
  const oddFields = read.oddFields.map((field) => field.path);
  const order = read.order as Order;
  oddFieldsByOrder.set(order, oddFields);
  return { ok: true, order, oddFields };
}

/** The previous release's parseInboundOrder: OrderSchema plus a repair loop (the reference for order-reader.ts). */
export function parseInboundOrderBySchema(raw: unknown): InboundOrderParse {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, reason: "order: expected a JSON object" };
  }
  // Most snapshots parse as they are; zod never mutates its input, so the copy the repair loop edits is only made
  // when there is something to repair.
  const direct = OrderSchema.safeParse(raw);
  if (direct.success) {
    oddFieldsByOrder.set(direct.data, []);
    return { ok: true, order: direct.data, oddFields: [] };
  }
  const candidate = structuredClone(raw) as Record<string, unknown>;
  const oddFields: string[] = [];
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    const parsed = OrderSchema.safeParse(candidate);
    if (parsed.success) {
      oddFieldsByOrder.set(parsed.data, oddFields);
      return { ok: true, order: parsed.data, oddFields };
    }
    let removed = false;
    for (const issue of parsed.error.issues) {
      if (issue.path.length === 0 || issue.path[0] === "id") {
        return { ok: false, reason: "id: expected a non-empty order id (string)" };
      }
      const historyKey = issue.path.indexOf("fulfilmentStatusHistory");
      const recordKeys = new Set(historyKey >= 0 ? [historyKey + 1] : []);
      if (removeAt(candidate, issue.path)) {
        oddFields.push(fieldPathOf(issue.path, recordKeys));
        removed = true;
        // Array indexes shift after a removal: re-parse before acting on the next issue.
        break;
      }
    }
    if (!removed) break;
  }
  return { ok: false, reason: "order: could not be read even after dropping odd fields" };
}

/** An order inside a Pincode response, parsed tolerantly; fails only without a usable id. */
export const InboundOrderSchema = z.unknown().transform((value, ctx): Order => {
  const parsed = parseInboundOrder(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.reason, path: ["id"] });
    return z.NEVER;
  }
  return parsed.order;
});

/** ORDER_VIEW callback (§3.2). */
export const OrderViewCallbackSchema = z.looseObject({
  type: z.string().refine((t) => t.toUpperCase() === "ORDER_VIEW", "expected type ORDER_VIEW"),
  requestContext: RequestContextSchema,
  response: InboundOrderSchema,
});
export type OrderViewCallback = z.infer<typeof OrderViewCallbackSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Order Poll (§2.1)
// ---------------------------------------------------------------------------------------------------------------

export const OrderPollRequestSchema = z
  .strictObject({
    requestContext: OutboundRequestContextSchema,
    serviceProviderId: Id,
    fromTimestamp: z.number().int().nonnegative(),
    toTimestamp: z.number().int().nonnegative(),
    sortOrder: z.enum(SORT_ORDERS).optional(),
    // The first-call sample already carries a cursor; we omit it on the first page (§2.1).
    nextPage: z.string().min(1).optional(),
    // order-poll-api.txt: "It must be between 1-10".
    size: z.number().int().min(1, "size must be between 1 and 10").max(10, "size must be between 1 and 10"),
  })
  .refine((r) => r.fromTimestamp <= r.toTimestamp, {
    message: "fromTimestamp must not be after toTimestamp",
    path: ["fromTimestamp"],
  });
export type OrderPollRequest = z.infer<typeof OrderPollRequestSchema>;

export const OrderPollResponseSchema = z.looseObject({
  requestContext: RequestContextSchema.partial().optional(),
  response: z.looseObject({
    orderIds: z.array(z.string()).default([]),
    // A9: the end of pages is not documented; a missing, null or empty cursor all mean "last page".
    nextPage: z
      .string()
      .nullish()
      .transform((v) => (v ? v : null)),
  }),
});
export type OrderPollResponse = z.infer<typeof OrderPollResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Status Check (§2.3)
// ---------------------------------------------------------------------------------------------------------------

export const StatusCheckRequestSchema = z.strictObject({
  requestContext: OutboundRequestContextSchema.extend({ transactionId: Id }),
  orderId: Id,
});
export type StatusCheckRequest = z.infer<typeof StatusCheckRequestSchema>;

/** §2.3: whether the sync response carries the `type: ORDER_VIEW` wrapper is not stated; both parse. */
export const StatusCheckResponseSchema = z.looseObject({
  type: z.string().optional(),
  requestContext: RequestContextSchema.partial().optional(),
  response: InboundOrderSchema,
});
export type StatusCheckResponse = z.infer<typeof StatusCheckResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Order Update (§2.2) — strict: the reason tables are the contract, not the doc's own sample
// ---------------------------------------------------------------------------------------------------------------

const closedEnum = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, {
    // The field path comes from the caller (describeIssues); the value never enters the message: it may be buyer data.
    error: () => `expected ${what}: one of ${values.join(", ")}`,
  });

/** A reason from a documented table plus this stage's additions (extendReasonTables), checked at parse time. */
const reasonEnum = (kind: "cancel" | "item", what: string) =>
  z
    .string({ error: `expected ${what} (a string)` })
    .refine(
      (value) => (kind === "cancel" ? reasonTables().cancelReasons : reasonTables().itemReasons).includes(value),
      {
        abort: true,
        error: () =>
          `expected ${what}: one of ${(kind === "cancel" ? reasonTables().cancelReasons : reasonTables().itemReasons).join(", ")}`,
      },
    );

export const FulfilmentStateUpdateActionSchema = z.strictObject({
  type: z.literal("ORDER_FULFILMENT_STATE_UPDATE"),
  // A4: the action key is `fulfilmentId` (one L) while the state key is `fulfillmentState` (two).
  fulfilmentId: Id,
  fulfillmentState: closedEnum(SELLER_FULFILLMENT_STATES, "a seller-settable fulfilment state"),
});

export const ItemUnitUpdateActionSchema = z.strictObject({
  type: z.literal("ITEM_UNIT_UPDATE"),
  itemId: Id,
  itemUnits: z.number().int().nonnegative(),
  reason: reasonEnum("item", "an item unit reason"),
});

export const OrderStateUpdateActionSchema = z
  .strictObject({
    type: z.literal("ORDER_STATE_UPDATE"),
    orderState: closedEnum(ORDER_STATES, "a seller-settable order state"),
    reason: reasonEnum("cancel", "a cancel reason").optional(),
  })
  .superRefine((action, ctx) => {
    if (action.orderState === "CANCELLED" && !action.reason) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "a cancel reason is required with CANCELLED" });
    }
    if (action.orderState !== "CANCELLED" && action.reason) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "a reason is only valid with CANCELLED" });
    }
  });

export const ClientOrderInfoUpdateActionSchema = z.strictObject({
  type: z.literal("CLIENT_ORDER_INFO_UPDATE"),
  clientOrderInfo: z.strictObject({ sellerInvoiceId: Id }),
});

export const OrderUpdateActionSchema = z.discriminatedUnion("type", [
  FulfilmentStateUpdateActionSchema,
  ItemUnitUpdateActionSchema,
  OrderStateUpdateActionSchema,
  ClientOrderInfoUpdateActionSchema,
]);
export type OrderUpdateAction = z.infer<typeof OrderUpdateActionSchema>;

export const OrderUpdateRequestSchema = z
  .strictObject({
    requestContext: OutboundRequestContextSchema.extend({ transactionId: Id, actionType: z.literal("UPDATE") }),
    orderId: Id,
    actions: z.array(OrderUpdateActionSchema).min(1, "at least one action is required"),
  })
  .refine((r) => r.requestContext.transactionId === r.orderId, {
    message: "requestContext.transactionId must be the order id",
    path: ["requestContext", "transactionId"],
  });
export type OrderUpdateRequest = z.infer<typeof OrderUpdateRequestSchema>;

/** The update reply is the full order after the update (§2.2), same shape as the callback's `response`. */
export const OrderUpdateResponseSchema = z.looseObject({
  requestContext: RequestContextSchema.partial().optional(),
  response: InboundOrderSchema,
});
export type OrderUpdateResponse = z.infer<typeof OrderUpdateResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Catalog and store writes (§2.4 – §2.8): batched `messages[]`, answered with a submissionId
// ---------------------------------------------------------------------------------------------------------------

const Rupees = z.number().nonnegative(); // A3: catalog money is decimal rupees, unlike the order view's paise.

const messageBase = {
  messageId: Id,
  serviceProviderId: Id,
};

export const StoreToggleMessageSchema = z.strictObject({
  ...messageBase,
  operationType: z.literal("PARTIAL_UPDATE"),
  data: z.strictObject({
    type: z.literal("STORE_TOGGLE"),
    orderAcceptance: z
      .strictObject({
        status: closedEnum(ORDER_ACCEPTANCE_STATUSES, "an order acceptance status"),
        validTill: z.number().int().positive().optional(),
      })
      // store-toggle-api.txt: "validTill is only applicable when the status is disabled".
      .refine((a) => a.validTill === undefined || a.status === "DISABLED", {
        message: "validTill is only allowed with status DISABLED",
        path: ["validTill"],
      }),
  }),
});

const messagesOf = <T extends z.ZodType>(message: T) =>
  z.array(message).min(1, "at least one message is required").max(100);

// Store toggle and the stock APIs send no transactionId (§1.4).
export const StoreToggleRequestSchema = z.strictObject({
  requestContext: z.strictObject({ requestId: Id }),
  // store-toggle-api.txt: "only a single store will be allowed in the current version of the API".
  messages: z
    .array(StoreToggleMessageSchema)
    .min(1, "exactly one store toggle message is required")
    .max(1, "exactly one store toggle message is allowed per request"),
});
export type StoreToggleRequest = z.infer<typeof StoreToggleRequestSchema>;

const PriceSchema = z
  .strictObject({ mrp: Rupees, sellingPrice: Rupees, currency: z.literal("INR") })
  .refine((p) => p.sellingPrice <= p.mrp, { message: "sellingPrice must not exceed mrp", path: ["sellingPrice"] });
const InventorySchema = z.strictObject({ type: z.literal("COUNT"), count: z.number().int().nonnegative() });

export const ListingCreateMessageSchema = z.strictObject({
  ...messageBase,
  operationType: z.literal("CREATE"),
  serviceProviderItemId: Id,
  data: z.strictObject({
    psin: Id,
    identifiers: z
      .array(
        z.strictObject({
          identifierType: closedEnum(IDENTIFIER_TYPES, "an identifier type"),
          value: Id,
        }),
      )
      .optional(),
    price: PriceSchema,
    maxOrderQuantity: z.number().int().positive().optional(),
    inventory: InventorySchema,
    status: closedEnum(["ACTIVE", "INACTIVE"] as const, "a listing status for create"),
  }),
});

export const ListingCreateRequestSchema = z.strictObject({
  requestContext: OutboundRequestContextSchema,
  messages: messagesOf(ListingCreateMessageSchema),
});
export type ListingCreateRequest = z.infer<typeof ListingCreateRequestSchema>;

/** The four partial updates, discriminated by `data.type` (§2.6). */
export const ListingUpdateDataSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("PRICE"), price: PriceSchema }),
  z.strictObject({ type: z.literal("STATUS"), status: closedEnum(LISTING_STATUSES, "a listing status") }),
  z.strictObject({ type: z.literal("QUANTITY_LIMIT"), maxOrderQuantity: z.number().int().positive() }),
  // A14: INVENTORY sets an absolute count (unlike the stage-only stock alter, a delta).
  z.strictObject({ type: z.literal("INVENTORY"), inventory: InventorySchema }),
]);

export const ListingUpdateMessageSchema = z.strictObject({
  ...messageBase,
  operationType: z.literal("PARTIAL_UPDATE"),
  serviceProviderItemId: Id,
  data: ListingUpdateDataSchema,
});

export const ListingUpdateRequestSchema = z.strictObject({
  requestContext: OutboundRequestContextSchema,
  messages: messagesOf(ListingUpdateMessageSchema),
});
export type ListingUpdateRequest = z.infer<typeof ListingUpdateRequestSchema>;

const Fraction = z.number().min(0).max(1); // A13: tax rates look like fractions in the sample.

/** [Stage only] Stock Inward (§2.7). */
export const StockInwardMessageSchema = z.strictObject({
  ...messageBase,
  operationType: z.literal("INVENTORY_UPDATE"),
  serviceProviderItemId: Id,
  serviceProviderTransactionId: Id,
  data: z.strictObject({
    type: z.literal("INVENTORY_INWARD_CREATE"),
    serviceProviderInwardBatchId: Id,
    mrp: Rupees,
    sellingPrice: Rupees,
    quantity: z.number().int().positive(),
    barcode: z.string().optional(),
    vendorDetails: z.strictObject({ vendorName: z.string(), gstin: z.string() }).optional(),
    invoiceNumber: z.string().optional(),
    batchNumber: z.string().optional(),
    hsn: z.string().optional(),
    purchasePriceWithTax: Rupees.optional(),
    purchasePriceWithoutTax: Rupees.optional(),
    purchasePriceCGSTRate: Fraction.optional(),
    purchasePriceSGSTRate: Fraction.optional(),
    purchasePriceIGSTRate: Fraction.optional(),
    purchasePriceCessRate: Fraction.optional(),
  }),
});

export const StockInwardRequestSchema = z.strictObject({
  requestContext: z.strictObject({ requestId: Id }),
  messages: messagesOf(StockInwardMessageSchema),
});
export type StockInwardRequest = z.infer<typeof StockInwardRequestSchema>;

/** [Stage only] Stock Alter (§2.8): a signed delta. */
export const StockAlterMessageSchema = z.strictObject({
  ...messageBase,
  operationType: z.literal("INVENTORY_UPDATE"),
  serviceProviderItemId: Id,
  serviceProviderTransactionId: Id,
  reasonType: closedEnum(STOCK_REASON_TYPES, "a stock reason type"),
  subReason: z.string().max(500).optional(),
  data: z.strictObject({
    type: z.literal("INVENTORY_STOCK_ALTER"),
    quantityToBeAltered: z
      .number()
      .int()
      .refine((n) => n !== 0, "quantityToBeAltered must not be 0"),
  }),
});

export const StockAlterRequestSchema = z.strictObject({
  requestContext: z.strictObject({ requestId: Id }),
  messages: messagesOf(StockAlterMessageSchema),
});
export type StockAlterRequest = z.infer<typeof StockAlterRequestSchema>;

/**
 * The synchronous reply to a catalog/store write. A7: 204 is documented as ACCEPTED (no body), so the envelope and
 * the submissionId are both optional; use `parseSubmissionResponse` for raw bodies.
 */
export const SubmissionResponseSchema = z.looseObject({
  requestContext: RequestContextSchema.partial().optional(),
  response: z
    .looseObject({
      // §2.4: a numeric string in the sample; accept a number too.
      submissionId: z.union([z.string(), z.number()]).transform(String).optional(),
    })
    .optional(),
});
export type SubmissionResponse = z.infer<typeof SubmissionResponseSchema>;

/** Parses a raw 2xx catalog/store reply body, which may be empty (A7). */
export function parseSubmissionResponse(body: string | undefined | null): SubmissionResponse {
  const text = body?.trim() ?? "";
  return SubmissionResponseSchema.parse(text === "" ? {} : JSON.parse(text));
}

// ---------------------------------------------------------------------------------------------------------------
// Submission-result callback (§3.4): STORE_UPDATE / LISTING_UPDATE, recognised without a `type`
// ---------------------------------------------------------------------------------------------------------------

export const SubmissionIssueSchema = z.looseObject({
  messageId: z.string().optional(),
  code: z.union([z.string(), z.number()]).transform(String).optional(),
  severity: openEnum(ISSUE_SEVERITIES).optional(),
  message: z.string().optional(),
  attribute_errors: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const SubmissionResultCallbackSchema = z.looseObject({
  type: z.string().optional(),
  submissionId: z.union([z.string(), z.number()]).transform(String),
  requestContext: RequestContextSchema,
  processingStatus: openEnum(PROCESSING_STATUSES),
  issues: z.array(SubmissionIssueSchema).default([]),
  summary: z
    .looseObject({
      errors: z.number().optional(),
      warnings: z.number().optional(),
      success: z.number().optional(),
      total: z.number().optional(),
    })
    .optional(),
});
export type SubmissionResultCallback = z.infer<typeof SubmissionResultCallbackSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Callback classification
// ---------------------------------------------------------------------------------------------------------------

export type CallbackKind = "ORDER_VIEW" | "SUBMISSION_RESULT" | "UNKNOWN";

/**
 * Classifies a parsed callback body by its shape. §3.4: submission results carry no `type`, so they are recognised
 * by `submissionId` + `processingStatus`. Anything else with a `type` other than ORDER_VIEW is UNKNOWN (kept).
 */
export function classifyCallback(body: unknown): CallbackKind {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "UNKNOWN";
  const record = body as Record<string, unknown>;
  if (typeof record.type === "string" && record.type.toUpperCase() === "ORDER_VIEW") return "ORDER_VIEW";
  if ("submissionId" in record && "processingStatus" in record) return "SUBMISSION_RESULT";
  return "UNKNOWN";
}

// ---------------------------------------------------------------------------------------------------------------
// Unknown enum values (flagged, never rejected)
// ---------------------------------------------------------------------------------------------------------------

export interface UnknownEnumValue {
  path: string;
  value: string;
}

/** Lists the enum values in an order that are not in the documented tables, so callers can log and count them. */
export function findUnknownEnumValues(order: Order): UnknownEnumValue[] {
  const found: UnknownEnumValue[] = [];
  const check = (path: string, known: readonly string[], value: string | undefined) => {
    if (value !== undefined && !known.includes(value)) found.push({ path, value });
  };
  check("orderState", ORDER_STATES, order.orderState);
  order.fulfillments?.forEach((f, i) => {
    check(`fulfillments[${i}].type`, FULFILLMENT_TYPES, f.type);
    check(`fulfillments[${i}].fulfillmentState`, FULFILLMENT_STATES, f.fulfillmentState);
    for (const key of Object.keys(f.fulfilmentStatusHistory ?? {})) {
      check(`fulfillments[${i}].fulfilmentStatusHistory`, FULFILLMENT_STATES, key);
    }
  });
  order.quote?.breakUp?.forEach((line, i) => {
    check(`quote.breakUp[${i}].type`, QUOTE_LINE_TYPES, line.type);
    check(`quote.breakUp[${i}].quotationLevel`, QUOTATION_LEVELS, line.quotationLevel);
  });
  order.actions?.forEach((a, i) => {
    check(`actions[${i}].type`, ORDER_ACTION_TYPES, a.type);
  });
  return found;
}

/** Formats zod issues as `path: message` lines, the way our 400s and quarantine reasons name the problem. */
export function describeIssues(error: z.ZodError, limit = 5): string {
  const lines = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.reduce<string>(
      (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
      "",
    );
    return `${path || "(root)"}: ${issue.message}`;
  });
  const more = error.issues.length > limit ? `; and ${error.issues.length - limit} more` : "";
  return lines.join("; ") + more;
}
