/**
 * Which of two snapshots of the same order is fresher (DESIGN.md "Freshness, not arrival order").
 *
 * Pincode gives no version number (PINCODE-API A6) and its own ORDER_VIEW sample keeps `updatedAt` at `createdAt`
 * while fulfilments and actions move on, so freshness is read from EVIDENCE: everything in the content that only
 * moves forward. Each component below is monotone over an order's life, so comparing them in any fixed order never
 * calls the older of two snapshots fresher:
 *   1. terminal flag (COMPLETED / CANCELLED never move back to an open state);
 *   2. order-state rank: unknown ("new", §4.1) < ACCEPTED < IN_PROGRESS < COMPLETED < CANCELLED (a completed order can
 *      still be cancelled, as the documented sample shows; nothing follows CANCELLED);
 *   3. fulfilment progress: how many history entries carry `actual`, then the latest `actual.endTime` (§3.3);
 *   4. actions: how many, then the latest `actions[].createdAt`;
 *   5. `updatedAt` (order or billing, the later), when it does move;
 *   6. item units cut: units only go down (ITEM_UNIT_UPDATE reasons are all cancellations/refunds);
 *   7. an invoice id is set (CLIENT_ORDER_INFO_UPDATE).
 * A timestamp more than a day ahead of `now` is no evidence at all: it would pin the order for as long as it lies.
 * A digest of the normalised content closes the key, so equal keys mean equal content (a duplicate). When the
 * evidence ties and the digests differ, content alone cannot tell: see `resolveTie`.
 *
 * The key is a fixed-width string: `freshnessEvidence(key)` (everything but the digest) sorts lexicographically as the
 * evidence tuple does. Keys written by earlier releases (`f1|...`, `f2|...`) are not compared as strings: the
 * repository recomputes a current key from the stored snapshot (docs/ingestion.md "Stored data").
 *
 * f3 (issue 11) keeps f2's evidence layout and changes only the digest: f2's SHA-256 of the canonical JSON cost more
 * than the rest of the snapshot's parse and key together; f3's is a 48-bit hash computed by walking the order (see
 * `contentDigest`). An f2 key's evidence still sorts with f3's, but its digest cannot be compared, so an f2 view is
 * re-keyed from its snapshot like an f1 one (test/integration/freshness-f2.test.ts proves it on views written the
 * f2 way).
 */
import { createHash } from "node:crypto";
import { type Order, TERMINAL_ORDER_STATES, toEpochMs } from "#pincode/schemas.ts";

export const FRESHNESS_VERSION = "f3";
/** The previous release's key version: f3's layout, SHA-256 digest of the canonical JSON (`sha256ContentDigest`). */
export const PREVIOUS_FRESHNESS_VERSION = "f2";
/** The release before's key version (terminal, updatedAt, rank, actual count, latest actual, digest). */
export const LEGACY_FRESHNESS_VERSION = "f1";

/** A timestamp this far ahead of now is not evidence (a wrong unit or a wrong clock would pin the order). */
export const MAX_FUTURE_SKEW_MS = 24 * 3_600_000;

/** §4.1 working model; an undocumented or unknown state is "new" (rank 0). */
const ORDER_STATE_RANK: Readonly<Record<string, number>> = {
  ACCEPTED: 1,
  IN_PROGRESS: 2,
  COMPLETED: 3,
  CANCELLED: 4,
};

const TIME_WIDTH = 15; // epoch ms fits in 13 digits until year 2286; 15 leaves room and matches keys.orderHistory.
const COUNT_WIDTH = 3;
const UNITS_WIDTH = 7;
const DIGEST_WIDTH = 12;
const MAX_TIME = 10 ** TIME_WIDTH - 1;
const MAX_COUNT = 10 ** COUNT_WIDTH - 1;
const MAX_UNITS = 10 ** UNITS_WIDTH - 1;

export interface FreshnessParts {
  terminal: boolean;
  stateRank: number;
  actualCount: number;
  latestActualAt: number;
  actionCount: number;
  latestActionAt: number;
  updatedAt: number;
  /** MAX_UNITS minus the order's unit count (0 when any line's count is unreadable: no evidence). */
  unitsCut: number;
  invoiced: boolean;
  digest: string;
}

export function isTerminalState(state: string | undefined | null): boolean {
  return state !== undefined && state !== null && TERMINAL_ORDER_STATES.includes(state);
}

export function orderStateRank(state: string | undefined | null): number {
  return (state && ORDER_STATE_RANK[state]) || 0;
}

/** A time that can count as evidence: readable and not more than a day ahead of now. */
function credible(value: unknown, now: number): number | undefined {
  const ms = toEpochMs(value);
  return ms !== undefined && ms <= now + MAX_FUTURE_SKEW_MS ? ms : undefined;
}

/** Every `actual.endTime` in the fulfilment histories: past states carry `actual`, future ones only expected/promised. */
function actualEntries(order: Order): unknown[] {
  const times: unknown[] = [];
  for (const fulfillment of order.fulfillments ?? []) {
    for (const entry of Object.values(fulfillment.fulfilmentStatusHistory ?? {})) {
      if (entry.actual) times.push(entry.actual.endTime);
    }
  }
  return times;
}

const maxOf = (values: (number | undefined)[]): number =>
  values.reduce<number>((max, v) => (v !== undefined && v > max ? v : max), 0);

/**
 * The order's last-change time for summaries and the byStore index. §3.2: order-level `updatedAt` is the documented
 * field; the sample also has one inside `billing`. Without either, the latest fulfilment progress or the creation time.
 */
export function orderUpdatedAt(order: Order): number {
  for (const value of [order.updatedAt, order.billing?.updatedAt]) {
    const ms = toEpochMs(value);
    if (ms !== undefined) return ms;
  }
  const actual = maxOf(actualEntries(order).map((t) => toEpochMs(t)));
  if (actual > 0) return actual;
  return toEpochMs(order.createdAt) ?? 0;
}

/**
 * The latest time inside the content at or before `notAfter` (updatedAt, billing updatedAt, actual times, action
 * times, createdAt): the content was true at that moment, so it is a lower bound of when the snapshot was true. A time
 * after `notAfter` (when we received it) is not credible and is left out. 0 when there is none.
 */
export function contentTimeBound(order: Order, notAfter: number): number {
  const times = [
    order.updatedAt,
    order.billing?.updatedAt,
    order.createdAt,
    order.billing?.createdAt,
    ...actualEntries(order),
    ...(order.actions ?? []).map((a) => a.createdAt),
  ].map((t) => toEpochMs(t));
  return maxOf(times.map((t) => (t !== undefined && t <= notAfter ? t : undefined)));
}

/**
 * JSON with object keys sorted at every level, so equal content always gives the same text. Written out by hand
 * (issue 11: the replacer form below cost most of the freshness key) and byte-identical to it, because stored keys
 * carry its digest: test/unit/freshness-canonical.test.ts holds the two together on random JSON. That includes the
 * replacer form's quirks: integer-like keys first in numeric order (how a rebuilt object enumerates), and
 * `__proto__` dropped (assigning it sets the prototype instead of a property).
 */
export function canonicalJson(value: unknown): string {
  return canonicalText(value) as string;
}

/** The previous release's canonicalJson, kept as the reference the fast one is tested against. */
export function canonicalJsonByReplacer(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v as Record<string, unknown>).sort()) {
      sorted[key] = (v as Record<string, unknown>)[key];
    }
    return sorted;
  });
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
const isArrayIndex = (key: string) => ARRAY_INDEX.test(key) && Number(key) < 4_294_967_295;

function canonicalText(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return JSON.stringify(value); // throws, as JSON.stringify does
    case "object": {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return canonicalText(toJSON.call(value, ""));
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) out += `${i > 0 ? "," : ""}${canonicalText(value[i]) ?? "null"}`;
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const sorted = Object.keys(record).sort();
      const indexes = sorted.filter(isArrayIndex);
      const keysInOrder =
        indexes.length === 0
          ? sorted
          : [...indexes.sort((a, b) => Number(a) - Number(b)), ...sorted.filter((k) => !isArrayIndex(k))];
      let out = "{";
      let first = true;
      for (const key of keysInOrder) {
        if (key === "__proto__") continue;
        const text = canonicalText(record[key]);
        if (text === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(key)}:${text}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
  }
}

/** The f2 digest (previous release): SHA-256 of the canonical JSON, 12 hex digits. Kept for tests and tools. */
export function sha256ContentDigest(order: Order): string {
  return createHash("sha256").update(canonicalJson(order)).digest("hex").slice(0, DIGEST_WIDTH);
}

/**
 * The f3 digest: 48 bits (12 hex digits) of a hash of the order's content, equal exactly when the canonical JSON is
 * (up to hash collisions): members of an object are combined by a sum, so key order does not matter and no keys are
 * sorted; array elements in order; strings, numbers (as JSON writes them), booleans and null told apart by type;
 * `undefined` members and `__proto__` left out, as canonicalJson leaves them out. Not cryptographic: it tells apart
 * snapshots of one order whose evidence ties, and a collision there only makes a different snapshot read as a
 * duplicate of the stored one until the next change or poll (the same as the 48-bit SHA-256 prefix it replaces).
 */
export function contentDigest(order: Order): string {
  const h1 = hashValue(order);
  const h2 = lane2;
  return (h2 & 0xffff).toString(16).padStart(4, "0") + h1.toString(16).padStart(8, "0");
}

/** The second 32-bit lane of the last `hashValue`/`hashText` (a return without allocating a pair). */
let lane2 = 0;

const TAG = { null: 1, false: 2, true: 3, number: 4, string: 5, key: 6, array: 7, object: 8 } as const;

/** Two murmur-style lanes over a tagged string's UTF-16 code units; returns lane 1, sets `lane2`. */
function hashText(tag: number, text: string): number {
  let h1 = 0x9e3779b9 ^ tag;
  let h2 = 0x85ebca6b ^ Math.imul(tag, 0x27d4eb2d);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return finish(h1, h2, text.length);
}

/** Final avalanche of a lane pair (murmur3's fmix, the lanes cross-fed); returns lane 1, sets `lane2`. */
function finish(a: number, b: number, n: number): number {
  let h1 = (a ^ n) >>> 0;
  let h2 = (b ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0xc2b2ae35);
  h1 = Math.imul(h1 ^ (h2 >>> 13), 0xc2b2ae35);
  h2 = Math.imul(h2 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 13;
  lane2 = h2 >>> 0;
  return h1 >>> 0;
}

/**
 * Object keys repeat across snapshots (the schema's few dozen names), so their two lanes are remembered: the same
 * numbers `hashText(TAG.key, key)` gives, looked up instead of walked. Bounded, so unknown keys Pincode invents cannot
 * grow it: once full, further keys are hashed every time, as before.
 */
const KEY_CACHE_SIZE = 1_024;
const KEY_SLOTS = new Map<string, number>();
const KEY_HASHES = new Uint32Array(KEY_CACHE_SIZE * 2);

/** The key's index into KEY_HASHES (lane 1, lane 2), or -1 when the cache is full and the key is not in it. */
function keySlot(key: string): number {
  const slot = KEY_SLOTS.get(key);
  if (slot !== undefined) return slot;
  if (KEY_SLOTS.size >= KEY_CACHE_SIZE || key.length > 64) return -1;
  const index = KEY_SLOTS.size * 2;
  KEY_HASHES[index] = hashText(TAG.key, key);
  KEY_HASHES[index + 1] = lane2;
  KEY_SLOTS.set(key, index);
  return index;
}

const NULL_HASH = finish(TAG.null, TAG.null, 0);
const NULL_HASH_2 = lane2;

/** Hashes a JSON value as canonicalJson reads it (undefined, functions and symbols: as null inside arrays). */
function hashValue(value: unknown): number {
  switch (typeof value) {
    case "string":
      return hashText(TAG.string, value);
    case "number":
      if (!Number.isFinite(value)) break; // JSON writes NaN and ±Infinity as null
      if (Number.isSafeInteger(value)) {
        // Whole numbers (timestamps, counts) without their text: equal exactly when their JSON text is (-0 is 0).
        const low = (value % 0x1_0000_0000) | 0;
        return finish(TAG.number ^ low, Math.imul(Math.floor(value / 0x1_0000_0000) | 0, 0x5bd1e995), 1);
      }
      return hashText(TAG.number, String(value));
    case "boolean":
      return finish(value ? TAG.true : TAG.false, TAG.null, 1);
    case "object": {
      if (value === null) break;
      if (Array.isArray(value)) {
        let a = TAG.array;
        let b = 0x6a09e667;
        for (let i = 0; i < value.length; i++) {
          const c1 = hashValue(value[i]);
          a = Math.imul((a ^ c1) >>> 0, 0x01000193) + 0x7f4a7c15;
          b = Math.imul((b ^ lane2) >>> 0, 0x5bd1e995) + 0x2545f491;
        }
        return finish(a, b, value.length);
      }
      let sum1 = 0;
      let sum2 = 0;
      let members = 0;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const member = record[key];
        if (key === "__proto__" || member === undefined || typeof member === "function" || typeof member === "symbol") {
          continue;
        }
        const slot = keySlot(key);
        const k1 = slot < 0 ? hashText(TAG.key, key) : (KEY_HASHES[slot] as number);
        const k2 = slot < 0 ? lane2 : (KEY_HASHES[slot + 1] as number);
        const v1 = hashValue(member);
        // A member is its key and value mixed together; members are summed, so their order does not count.
        const m1 = finish(k1 ^ Math.imul(v1, 0x01000193), k2 ^ Math.imul(lane2, 0x5bd1e995), TAG.object);
        sum1 = (sum1 + m1) | 0;
        sum2 = (sum2 + lane2) | 0;
        members++;
      }
      return finish(sum1 ^ TAG.object, sum2, members);
    }
  }
  lane2 = NULL_HASH_2;
  return NULL_HASH;
}

function unitCount(order: Order): number | undefined {
  let total = 0;
  for (const item of order.items ?? []) {
    const count = item.quantity?.count;
    if (typeof count !== "number" || count < 0) return undefined;
    total += count;
  }
  return total;
}

export function freshnessParts(order: Order, now: number = Date.now()): FreshnessParts {
  const parts = evidenceParts(order, now) as FreshnessParts;
  parts.digest = contentDigest(order);
  return parts;
}

/** Everything in the key but its digest. */
export function evidenceParts(order: Order, now: number = Date.now()): Omit<FreshnessParts, "digest"> {
  const actual = actualEntries(order);
  const actions = order.actions ?? [];
  const units = unitCount(order);
  return {
    terminal: isTerminalState(order.orderState),
    stateRank: orderStateRank(order.orderState),
    actualCount: actual.length,
    latestActualAt: maxOf(actual.map((t) => credible(t, now))),
    actionCount: actions.length,
    latestActionAt: maxOf(actions.map((a) => credible(a.createdAt, now))),
    updatedAt: maxOf([credible(order.updatedAt, now), credible(order.billing?.updatedAt, now)]),
    unitsCut: units === undefined ? 0 : MAX_UNITS - Math.min(units, MAX_UNITS),
    invoiced: Boolean(order.clientOrderInfo?.sellerInvoiceId),
  };
}

function pad(value: number, width: number, max: number): string {
  const n = Math.min(Math.max(0, Math.trunc(value)), max);
  // String() of a 13-digit time is slow (a double's shortest form); two small whole numbers print the same digits fast.
  const text =
    Number.isInteger(n) && n >= 1e7 ? `${Math.floor(n / 1e7)}${String(n % 1e7).padStart(7, "0")}` : String(n);
  return text.padStart(width, "0");
}

export function encodeFreshness(parts: FreshnessParts): string {
  // One template rather than an array joined: the same text, a little less work per snapshot.
  return `${FRESHNESS_VERSION}|${parts.terminal ? "1" : "0"}|${String(Math.min(Math.max(0, parts.stateRank), 9))}|${pad(
    parts.actualCount,
    COUNT_WIDTH,
    MAX_COUNT,
  )}|${pad(parts.latestActualAt, TIME_WIDTH, MAX_TIME)}|${pad(parts.actionCount, COUNT_WIDTH, MAX_COUNT)}|${pad(
    parts.latestActionAt,
    TIME_WIDTH,
    MAX_TIME,
  )}|${pad(parts.updatedAt, TIME_WIDTH, MAX_TIME)}|${pad(parts.unitsCut, UNITS_WIDTH, MAX_UNITS)}|${
    parts.invoiced ? "1" : "0"
  }|${parts.digest.padEnd(DIGEST_WIDTH, "0").slice(0, DIGEST_WIDTH)}`;
}

const T = `(\\d{${TIME_WIDTH}})`;
const C = `(\\d{${COUNT_WIDTH}})`;
// f2 and f3 share the layout (only their digests are computed differently).
const KEY_PATTERN = new RegExp(
  `^(?:${FRESHNESS_VERSION}|${PREVIOUS_FRESHNESS_VERSION})\\|([01])\\|(\\d)\\|${C}\\|${T}\\|${C}\\|${T}\\|${T}\\|(\\d{${UNITS_WIDTH}})\\|([01])\\|([0-9a-f]{${DIGEST_WIDTH}})$`,
);

/** Reads a key back (for logs, docs and tests); undefined when it is not an f3 (or f2) key. */
export function decodeFreshness(key: string): FreshnessParts | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [
    ,
    terminal,
    rank,
    actualCount,
    latestActual,
    actionCount,
    latestAction,
    updatedAt,
    unitsCut,
    invoiced,
    digest,
  ] = match;
  return {
    terminal: terminal === "1",
    stateRank: Number(rank),
    actualCount: Number(actualCount),
    latestActualAt: Number(latestActual),
    actionCount: Number(actionCount),
    latestActionAt: Number(latestAction),
    updatedAt: Number(updatedAt),
    unitsCut: Number(unitsCut),
    invoiced: invoiced === "1",
    digest: digest ?? "",
  };
}

/** A key of this release: compared as a string. Any other is recomputed from the stored snapshot first. */
export function isCurrentFreshness(key: string | undefined): key is string {
  return key?.startsWith(`${FRESHNESS_VERSION}|`) === true;
}

/**
 * Whether the view carrying this key stored a proven sync bound in `syncedAt` (f2 onwards); an f1 view stored the
 * callback's receipt there instead, which proves nothing.
 */
export function storesSyncBound(key: string | undefined): boolean {
  if (key === undefined) return false;
  return key.startsWith(`${FRESHNESS_VERSION}|`) || key.startsWith(`${PREVIOUS_FRESHNESS_VERSION}|`);
}

const LEGACY_KEY_PATTERN = new RegExp(
  `^${LEGACY_FRESHNESS_VERSION}\\|([01])\\|(\\d{${TIME_WIDTH}})\\|(\\d)\\|(\\d{${COUNT_WIDTH}})\\|(\\d{${TIME_WIDTH}})\\|([0-9a-f]{${DIGEST_WIDTH}})$`,
);

/** The times inside a previous-release key (its updatedAt and latest actual), for a stored view's sync bound. */
export function legacyKeyTimes(key: string): { updatedAt: number; latestActualAt: number } | undefined {
  const match = LEGACY_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { updatedAt: Number(match[2]), latestActualAt: Number(match[5]) };
}

/** The sortable freshness key of a parsed order. */
export function freshnessOf(order: Order, now: number = Date.now()): string {
  return encodeFreshness(freshnessParts(order, now));
}

/** The key without its digest: what the content proves about order in time. */
export function freshnessEvidence(key: string): string {
  return key.slice(0, key.lastIndexOf("|"));
}

/** Negative when `a` is older than `b`, 0 for equal evidence, positive when `a` is fresher. */
export function compareFreshness(a: string, b: string): number {
  const ea = freshnessEvidence(a);
  const eb = freshnessEvidence(b);
  return ea < eb ? -1 : ea > eb ? 1 : 0;
}

/** `tie`: equal evidence, different content: content alone cannot tell which is newer. */
export type FreshnessVerdict = "newer" | "duplicate" | "stale" | "tie";

/** How an incoming snapshot relates to what is stored (undefined: nothing stored yet). Both keys must be current. */
export function judgeSnapshot(incoming: string, stored: string | undefined): FreshnessVerdict {
  if (stored === undefined) return "newer";
  const order = compareFreshness(incoming, stored);
  if (order !== 0) return order > 0 ? "newer" : "stale";
  return incoming === stored ? "duplicate" : "tie";
}

/**
 * When a snapshot was true: at some instant in [`syncedAt`, `receivedAt`]. `syncedAt` is a lower bound (the start of
 * the Status Check that fetched it, or a time inside its content); `receivedAt` an upper one (when we got it).
 */
export interface TruthWindow {
  syncedAt: number;
  receivedAt: number;
}

/**
 * Settles a tie from WHEN the two snapshots were true, not from when they arrived: one that was observed before the
 * other could have been true is the older. This is how a Status Check result wins over every snapshot received before
 * the check began. `unknown` when the windows overlap: take the later arrival and have Pincode settle it.
 */
export function resolveTie(incoming: TruthWindow, stored: TruthWindow): "newer" | "stale" | "unknown" {
  if (incoming.receivedAt < stored.syncedAt) return "stale";
  if (stored.receivedAt < incoming.syncedAt) return "newer";
  return "unknown";
}
