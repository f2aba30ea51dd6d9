/**
 * The tolerant inbound order reader (issue 11): what `OrderSchema` + the repair loop did, written out by hand, so the
 * processor's per-snapshot parse costs a few microseconds instead of a zod parse (and one more per odd field).
 *
 * Same rules (DESIGN.md "Be tolerant in what Pincode sends", docs/ingestion.md): unknown fields are kept as sent,
 * open enums keep unknown values (a known one differing only in case is canonicalised), `null` means absent (the key
 * stays, holding `undefined`, as zod left it), unambiguous numeric strings are numbers, timestamps are epoch s / ms /
 * µs by magnitude or ISO (zone-less read as IST), and a value that still cannot be read is dropped and named by its
 * path with indexes as `[]` and history keys as `{}` (never the value). Only an order without a usable `id` is
 * refused, as is one with 50 or more odd values (the old repair loop's bound).
 *
 * The output is what the zod parse produced, key order included: the schema's keys in schema order, then unknown keys
 * in input order, `__proto__` never copied. test/unit/order-reader.test.ts holds the two equal (fast-check, random
 * and fixture-based orders); `OrderSchema` stays in schemas.ts as that reference and for the code that still uses it.
 */
import {
  FULFILLMENT_STATES,
  FULFILLMENT_TYPES,
  ORDER_ACTION_TYPES,
  ORDER_STATES,
  QUOTATION_LEVELS,
  QUOTE_LINE_TYPES,
  toEpochMs,
  toNumber,
} from "./schemas.ts";

/** A field that could not be read: its path (no value) and the form that was expected. */
export interface OddField {
  path: string;
  expected: string;
}

export type OrderRead =
  | { ok: true; order: Record<string, unknown>; oddFields: OddField[] }
  | { ok: false; reason: string };

/** The previous parse gave up after 50 repair rounds; an order with this many odd values is refused the same way. */
export const MAX_ODD_FIELDS = 50;

/** What a field reader returns for a value it cannot read (the caller drops the key or element). */
const ODD: unique symbol = Symbol("odd");
type Odd = typeof ODD;
type FieldReader = (value: unknown, odd: OddField[]) => unknown;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function oddAt(odd: OddField[], path: string, expected: string): Odd {
  odd.push({ path, expected });
  return ODD;
}

// ---------------------------------------------------------------------------------------------------------------
// Leaf readers (each built with its static path: `items[].price.value`)
// ---------------------------------------------------------------------------------------------------------------

const EXPECT = {
  string: "expected a string",
  number: "expected a number or a numeric string",
  int: "expected a whole number or a numeric string",
  bool: "expected a boolean",
  enum: "expected a string",
  code: "expected a string or a number",
  object: "expected an object",
  array: "expected an array",
  time: "expected epoch seconds, milliseconds or microseconds (number or digit string) or an ISO-8601 date",
} as const;

type Leaf = (path: string) => FieldReader;

/** A string that may arrive as a number (ids, codes). */
const str: Leaf = (path) => (v, odd) => {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return oddAt(odd, path, EXPECT.string);
};

const num: Leaf = (path) => (v, odd) => {
  const n = toNumber(v);
  return n !== undefined ? n : oddAt(odd, path, EXPECT.number);
};

/** A whole number within ±2^53 (zod's `.int()`). */
const int: Leaf = (path) => (v, odd) => {
  const n = toNumber(v);
  return n !== undefined && Number.isSafeInteger(n) ? n : oddAt(odd, path, EXPECT.int);
};

const bool: Leaf = (path) => (v, odd) => {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return oddAt(odd, path, EXPECT.bool);
};

/** A string or a finite number, kept as sent (pincode, lat, lon). */
const code: Leaf = (path) => (v, odd) =>
  typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) ? v : oddAt(odd, path, EXPECT.code);

/** A Pincode timestamp as epoch ms (PINCODE-API §2.2, §3.2: epoch-ms numbers, digit strings and ISO strings). */
const time: Leaf = (path) => (v, odd) => {
  if (typeof v === "number" ? Number.isFinite(v) : typeof v === "string") {
    const ms = toEpochMs(v);
    if (ms !== undefined) return ms;
  }
  return oddAt(odd, path, EXPECT.time);
};

/** An open enum (A16: Pincode's enums grow): a known value in another case is canonicalised, unknown ones kept. */
const openEnum =
  (known: readonly string[]): Leaf =>
  (path) => {
    const byUpper = new Map(known.map((value) => [value.toUpperCase(), value]));
    // Values already in their canonical form are answered without upper-casing (the common case); a value that two
    // known spellings share when upper-cased is left to the map, as before.
    const canonical = new Set(known.filter((value) => byUpper.get(value.toUpperCase()) === value));
    return (v, odd) =>
      typeof v === "string"
        ? canonical.has(v)
          ? v
          : (byUpper.get(v.toUpperCase()) ?? v)
        : oddAt(odd, path, EXPECT.enum);
  };

// ---------------------------------------------------------------------------------------------------------------
// Structure
// ---------------------------------------------------------------------------------------------------------------

type Shape = Record<string, Leaf>;

/**
 * A loose object: each schema key that is present is read (null: kept as `undefined`; odd: left out), then every
 * other key is copied as it is. `__proto__` is never copied (it would set the prototype).
 */
const object =
  (shape: Shape): Leaf =>
  (path) => {
    const keys = Object.keys(shape);
    const readers = keys.map((key) => (shape[key] as Leaf)(path ? `${path}.${key}` : key));
    const known = new Set(keys);
    const count = keys.length;
    return (v, odd) => {
      if (!isRecord(v)) return oddAt(odd, path, EXPECT.object);
      const out: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const key = keys[i] as string;
        const value = v[key];
        if (value === undefined && !(key in v)) continue;
        if (value === null || value === undefined) {
          out[key] = undefined;
          continue;
        }
        const read = (readers[i] as FieldReader)(value, odd);
        if (read !== ODD) out[key] = read;
      }
      for (const key in v) {
        if (known.has(key) || key === "__proto__") continue;
        out[key] = v[key];
      }
      return out;
    };
  };

/** An array whose unreadable elements (null included: an element cannot be absent) are dropped. */
const array =
  (element: Leaf): Leaf =>
  (path) => {
    const read = element(`${path}[]`);
    return (v, odd) => {
      if (!Array.isArray(v)) return oddAt(odd, path, EXPECT.array);
      const out: unknown[] = [];
      for (const item of v) {
        const value = read(item, odd);
        if (value !== ODD) out.push(value);
      }
      return out;
    };
  };

/** A map with open keys (fulfilmentStatusHistory's state names): keys shown as `{}` in paths. */
const record =
  (value: Leaf): Leaf =>
  (path) => {
    const read = value(`${path}.{}`);
    return (v, odd) => {
      if (!isRecord(v) || !isPlainPrototype(v)) return oddAt(odd, path, EXPECT.object);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        if (key === "__proto__") continue;
        const entry = read(v[key], odd);
        if (entry !== ODD) out[key] = entry;
      }
      return out;
    };
  };

function isPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------------------------
// The order (schemas.ts OrderSchema, field for field)
// ---------------------------------------------------------------------------------------------------------------

/** The order's id as the schema read it (a number becomes its digits, trimmed); "" when unusable. */
function idOf(value: unknown): string {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value).trim();
  return "";
}

/** Built on first use: schemas.ts imports this module, and the enum tables are its own (no load-order cycle). */
let orderReader: FieldReader | undefined;

function buildOrderReader(): FieldReader {
  const money = object({ value: num });
  const count = object({ count: int });
  const address = object({
    building: str,
    locality: str,
    city: str,
    state: str,
    country: str,
    pincode: code,
    formattedAddress: str,
    lat: code,
    lon: code,
  });
  const orderItem = object({
    itemId: str,
    name: str,
    platformItemId: str,
    serviceProviderItemId: str,
    fulfillmentId: str,
    quantity: count,
    price: money,
    sellingPrice: money,
    images: array(object({ image: str })),
    prescriptionRequired: bool,
    displayMeasurement: str,
  });
  const statusTime = object({ endTime: time });
  const statusHistoryEntry = object({ actual: statusTime, expected: statusTime, promised: statusTime });
  const fulfillment = object({
    fulfillmentId: str,
    type: openEnum(FULFILLMENT_TYPES),
    ownerType: str,
    end: object({
      address,
      contact: object({ phone: str }),
      person: object({ name: str }),
    }),
    fulfillmentState: openEnum(FULFILLMENT_STATES),
    // A4: the history map is spelled with one "L", the state field with two.
    fulfilmentStatusHistory: record(statusHistoryEntry),
  });
  const quoteLine = object({
    referenceId: str,
    type: openEnum(QUOTE_LINE_TYPES),
    quotationLevel: openEnum(QUOTATION_LEVELS),
    title: str,
    quantity: count,
    price: money,
  });
  const orderAction = object({ type: openEnum(ORDER_ACTION_TYPES), channel: str, createdAt: time });
  const billing = object({
    name: str,
    address,
    email: str,
    phone: str,
    // §3.2: in the sample these timestamps sit inside billing.
    createdAt: time,
    updatedAt: time,
  });

  return object({
    // Checked (and trimmed) before the rest is read: an order without a usable id is refused.
    id: () => (v) => idOf(v),
    items: array(orderItem),
    orderState: openEnum(ORDER_STATES),
    serviceProvider: object({ id: str, platformId: str }),
    billing,
    fulfillments: array(fulfillment),
    quote: object({ price: money, breakUp: array(quoteLine) }),
    actions: array(orderAction),
    clientOrderInfo: object({ sellerInvoiceId: str }),
    createdAt: time,
    updatedAt: time,
  })("");
}

const ID_REFUSED = "id: expected a non-empty order id (string)";

/**
 * Reads an order snapshot tolerantly. Refused (with a reason naming the path and the expected form, never a value)
 * only when it is not an object, has no usable `id`, or has MAX_ODD_FIELDS odd values or more.
 */
export function readInboundOrder(raw: unknown): OrderRead {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, reason: "order: expected a JSON object" };
  }
  if (idOf((raw as Record<string, unknown>).id) === "") return { ok: false, reason: ID_REFUSED };
  const oddFields: OddField[] = [];
  orderReader ??= buildOrderReader();
  const order = orderReader(raw, oddFields) as Record<string, unknown>;
  if (oddFields.length >= MAX_ODD_FIELDS) {
    return { ok: false, reason: "order: could not be read even after dropping odd fields" };
  }
  return { ok: true, order, oddFields };
}
