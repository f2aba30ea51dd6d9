/**
 * Issue 11: the f3 key's digest (a 48-bit hash walked over the order, in place of f2's SHA-256 of the canonical JSON)
 * must still mean "same content": equal exactly when canonicalJson is equal, whatever the key order, `undefined`
 * members or `__proto__` keys, and told apart by JSON type. Its value for the documented sample is pinned: stored keys
 * carry it, so a change to it is a new key version (and a test like freshness-f2.test.ts), not an edit here.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  contentDigest,
  FRESHNESS_VERSION,
  freshnessOf,
  sha256ContentDigest,
} from "../../functions/core/freshness.ts";
import { type Order, parseInboundOrder } from "../../functions/pincode/schemas.ts";

const digestOf = (value: unknown) => contentDigest(value as Order);

const awkwardKey = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom("__proto__", "10", "2", "0", "01", "-1", "constructor", "a", "B", "value"),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(0, -0, 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 40), 1.5, 1e21, "1", "true", "null", ""),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: "binary", maxLength: 4 }),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(awkwardKey, tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** The same content with every object's keys in another order and an `undefined` member added. */
function reordered(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reordered(v, seed + i));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const rotated = [...entries.slice(seed % (entries.length || 1)), ...entries.slice(0, seed % (entries.length || 1))];
  const out: Record<string, unknown> = { [`absent${seed}`]: undefined };
  for (const [k, v] of rotated.reverse()) {
    Object.defineProperty(out, k, {
      value: reordered(v, seed + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe("f3 content digest", () => {
  it("is equal for equal content, whatever the key order or undefined members (fast-check)", () => {
    fc.assert(
      fc.property(json, fc.nat(7), (value, seed) => {
        const other = reordered(value, seed);
        expect(canonicalJson(other)).toBe(canonicalJson(value));
        expect(digestOf(other)).toBe(digestOf(value));
      }),
      { numRuns: 1_000 },
    );
  });

  it("differs whenever the canonical JSON differs (fast-check, no collision expected in 48 bits)", () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        // (a top-level undefined has no JSON at all; an order is always an object)
        fc.pre(a !== undefined && b !== undefined && canonicalJson(a) !== canonicalJson(b));
        expect(digestOf(a)).not.toBe(digestOf(b));
      }),
      { numRuns: 2_000 },
    );
  });

  it("tells JSON types apart and reads values as JSON writes them", () => {
    const digests = [1, "1", true, "true", null, "null", [], {}, [null], [1, 2], [2, 1], { a: 1 }, { a: "1" }, 2 ** 53];
    expect(new Set(digests.map(digestOf)).size).toBe(digests.length);
    expect(digestOf(-0)).toBe(digestOf(0));
    expect(digestOf(Number.NaN)).toBe(digestOf(null));
    expect(digestOf([undefined])).toBe(digestOf([null]));
    expect(digestOf({ a: 1, b: undefined })).toBe(digestOf({ a: 1 }));
    expect(digestOf(JSON.parse('{"__proto__":{"x":1},"a":1}'))).toBe(digestOf({ a: 1 }));
  });

  it("is pinned for the documented sample (stored keys carry it); f2's SHA-256 digest is kept beside it", () => {
    const sample = JSON.parse(
      readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8"),
    ) as { response: unknown };
    const parsed = parseInboundOrder(sample.response);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(FRESHNESS_VERSION).toBe("f3");
    expect(contentDigest(parsed.order)).toBe("a6e2db88683b");
    expect(freshnessOf(parsed.order, Date.UTC(2026, 0, 1))).toBe(
      "f3|1|3|005|001722578383000|001|001732517746206|001713773187000|9999996|0|a6e2db88683b",
    );
    // The previous release's digest of the same order (what its f2 keys end in).
    expect(sha256ContentDigest(parsed.order)).toMatch(/^[0-9a-f]{12}$/);
  });
});
