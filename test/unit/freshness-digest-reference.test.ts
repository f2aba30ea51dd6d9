/**
 * Issue 11, second pass: the f3 digest was made faster (object keys' hashes remembered). Stored keys carry its value,
 * so it must not move for any input: the f3 digest as the first f3 release computed it is copied below verbatim as
 * the reference, and fast-check holds the two equal over random JSON (awkward keys, more distinct keys than the
 * cache holds, every JSON type) and over the documented samples with random changes.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentDigest, encodeFreshness, type FreshnessParts, freshnessOf } from "../../functions/core/freshness.ts";
import { type Order, parseInboundOrder } from "../../functions/pincode/schemas.ts";

// ---- The first f3 release's digest, verbatim (functions/core/freshness.ts at 821b677) ----
function referenceDigest(order: unknown): string {
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
        const k1 = hashText(TAG.key, key);
        const k2 = lane2;
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

// ---- end of the reference ----

const FIXTURES = new URL("../fixtures/pincode/", import.meta.url);
const sample = (file: string) =>
  (JSON.parse(readFileSync(new URL(file, FIXTURES), "utf8")) as { response: Record<string, unknown> }).response;
const SAMPLES = [sample("order_view_callback.json"), sample("order_update_response.json")];

const key = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 70 }),
  fc.constantFrom("__proto__", "constructor", "10", "0", "id", "items", "price", "value", "actual", "endTime"),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -0, 2 ** 53, 2 ** 53 + 2, -(2 ** 40), 1.5, 1e21, 1_713_773_187_000),
    fc.string({ maxLength: 12 }),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 6 }),
  ),
})).value;

/** Sets `path` (a list of keys/indexes) inside a copy of `order` to `value`. */
function changed(order: Record<string, unknown>, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(order);
  let at: Record<string | number, unknown> = copy;
  for (const step of path.slice(0, -1)) {
    const next = at[step];
    if (next === null || typeof next !== "object") return copy;
    at = next as Record<string | number, unknown>;
  }
  at[path[path.length - 1] as string | number] = value;
  return copy;
}

describe("f3 digest: unchanged by the faster walk", () => {
  it("equals the first f3 release's digest on random JSON (fast-check)", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(contentDigest(value as Order)).toBe(referenceDigest(value));
      }),
      { numRuns: 3_000 },
    );
  });

  it("equals it past the key cache's size (thousands of distinct keys, then the usual ones again)", () => {
    const many = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}-${i * 7}`, i]));
    expect(contentDigest(many as unknown as Order)).toBe(referenceDigest(many));
    for (const order of SAMPLES) expect(contentDigest(order as unknown as Order)).toBe(referenceDigest(order));
  });

  it("equals it on the documented samples, parsed, with random changes (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLES),
        fc.array(
          fc.oneof(fc.constantFrom("items", "billing", "fulfillments", "quote", "price", "value", "id"), fc.nat(2)),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        json,
        (order, path, value) => {
          const raw = changed(order, path, value);
          expect(contentDigest(raw as Order)).toBe(referenceDigest(raw));
          const parsed = parseInboundOrder(raw);
          if (parsed.ok) expect(contentDigest(parsed.order)).toBe(referenceDigest(parsed.order));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("encodes a key's parts to the same text as the first f3 release (fast-check)", () => {
    // The first f3 release's encodeFreshness, verbatim.
    const pad = (value: number, width: number, max: number) =>
      String(Math.min(Math.max(0, Math.trunc(value)), max)).padStart(width, "0");
    const reference = (parts: FreshnessParts) =>
      [
        "f3",
        parts.terminal ? "1" : "0",
        String(Math.min(Math.max(0, parts.stateRank), 9)),
        pad(parts.actualCount, 3, 999),
        pad(parts.latestActualAt, 15, 10 ** 15 - 1),
        pad(parts.actionCount, 3, 999),
        pad(parts.latestActionAt, 15, 10 ** 15 - 1),
        pad(parts.updatedAt, 15, 10 ** 15 - 1),
        pad(parts.unitsCut, 7, 10 ** 7 - 1),
        parts.invoiced ? "1" : "0",
        parts.digest.padEnd(12, "0").slice(0, 12),
      ].join("|");
    const number = fc.oneof(
      fc.double(),
      fc.integer({ min: -1, max: 2 ** 53 }),
      fc.constantFrom(0, -0, 1e7 - 1, 1e7, 1e7 + 0.5, 1_713_773_187_000, 1e15 - 1, 1e15, 1e16, 2 ** 53 + 2),
    );
    fc.assert(
      fc.property(
        fc.record({
          terminal: fc.boolean(),
          stateRank: number,
          actualCount: number,
          latestActualAt: number,
          actionCount: number,
          latestActionAt: number,
          updatedAt: number,
          unitsCut: number,
          invoiced: fc.boolean(),
          digest: fc.stringMatching(/^[0-9a-f]{0,14}$/),
        }),
        (parts) => {
          expect(encodeFreshness(parts)).toBe(reference(parts));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("keeps the pinned sample key", () => {
    const parsed = parseInboundOrder(SAMPLES[0]);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(freshnessOf(parsed.order, Date.UTC(2026, 0, 1))).toBe(
      "f3|1|3|005|001722578383000|001|001732517746206|001713773187000|9999996|0|a6e2db88683b",
    );
  });
});
