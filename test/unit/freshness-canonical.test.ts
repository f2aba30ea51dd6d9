/**
 * The hand-written canonicalJson must give exactly the text of the previous release's replacer form: stored
 * freshness keys carry its digest, and a different text would turn every redelivered duplicate into a tie.
 */

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonByReplacer, contentDigest } from "../../functions/core/freshness.ts";
import { parseInboundOrder } from "../../functions/pincode/schemas.ts";

const awkwardKey = fc.oneof(
  fc.string(),
  fc.constantFrom("__proto__", "10", "2", "0", "01", "-1", "4294967295", "4294967294", "constructor", "a", "B"),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.string({ unit: "binary" }),
    fc.constant(undefined),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(awkwardKey, tie("value"), { maxKeys: 6 }),
  ),
})).value;

describe("canonicalJson", () => {
  it("equals the replacer form on random JSON-like values, awkward keys included", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(canonicalJson(value)).toBe(canonicalJsonByReplacer(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("equals it on the documented ORDER_VIEW sample, so stored digests keep matching", () => {
    const sample = JSON.parse(
      readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8"),
    ) as { response: unknown };
    const parsed = parseInboundOrder(sample.response);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(canonicalJson(parsed.order)).toBe(canonicalJsonByReplacer(parsed.order));
    expect(contentDigest(parsed.order)).toMatch(/^[0-9a-f]{12}$/);
  });
});
