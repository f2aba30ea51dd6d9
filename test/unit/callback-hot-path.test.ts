/**
 * The callback's hot-path shortcuts (issue 11) answer exactly as the code they replaced, on random input:
 * - a plain-text body is sniffed from the string (no UTF-8 round trip) only when it holds no surrogate, and then
 *   gives what the bytes path gives;
 * - `jsonDepthExceeds` (parallel stacks, `for…in`) agrees with the previous walk (a tuple and `Object.values`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sniffCallbackBody, sniffCallbackText } from "../../functions/core/callback-body.ts";
import { jsonDepthExceeds } from "../../functions/core/http-request.ts";

/** The previous release's walk, verbatim. */
function previousDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== "object" || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

const SURROGATE = /[\ud800-\udfff]/;

describe("callback hot path, against the code it replaced", () => {
  it("sniffCallbackText gives what sniffCallbackBody gives for any surrogate-free text", () => {
    const text = fc.oneof(
      fc.json(),
      fc.string({ unit: "grapheme" }),
      fc.json().map((j) => `\ufeff  ${j}\n`),
      fc.json().map((j) => `payload=${encodeURIComponent(j)}`),
      fc.json().map((j) => encodeURIComponent(j)),
      fc.json().map((j) => `a=1&payload=${encodeURIComponent(j)}&b=2`),
    );
    fc.assert(
      fc.property(text, (t) => {
        fc.pre(!SURROGATE.test(t));
        expect(sniffCallbackText(t)).toEqual(sniffCallbackBody(Buffer.from(t, "utf8")));
      }),
      { numRuns: 2000 },
    );
  });

  it("sniffCallbackText: a leading BOM and the empty body read as on the bytes path", () => {
    const body = '\ufeff{"requestContext":{"requestId":"r1"}}';
    expect(sniffCallbackText(body)).toEqual(sniffCallbackBody(Buffer.from(body, "utf8")));
    expect(sniffCallbackText(body)).toMatchObject({ ok: true, format: "json" });
    expect(sniffCallbackText("  \n")).toEqual({ ok: false, reason: "body is empty" });
    expect(sniffCallbackText("")).toEqual(sniffCallbackBody(Buffer.alloc(0)));
  });

  it("jsonDepthExceeds agrees with the previous walk on random JSON, at every limit around its depth", () => {
    const nested = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(nested, fc.integer({ min: 0, max: 12 }), (value, limit) => {
        // Through JSON, as the handlers see it (own "__proto__" keys and all).
        const parsed = JSON.parse(JSON.stringify(value) ?? "null") as unknown;
        expect(jsonDepthExceeds(parsed, limit)).toBe(previousDepthExceeds(parsed, limit));
      }),
      { numRuns: 3000 },
    );
  });

  it("jsonDepthExceeds: exactly the limit passes, one more level fails, in objects and arrays", () => {
    const objects = (n: number) => JSON.parse(`${'{"a":'.repeat(n)}1${"}".repeat(n)}`) as unknown;
    const arrays = (n: number) => JSON.parse(`${"[".repeat(n)}1${"]".repeat(n)}`) as unknown;
    const proto = (n: number) => JSON.parse(`${'{"__proto__":'.repeat(n)}1${"}".repeat(n)}`) as unknown;
    for (const build of [objects, arrays, proto]) {
      expect(jsonDepthExceeds(build(64))).toBe(false);
      expect(jsonDepthExceeds(build(65))).toBe(true);
      expect(jsonDepthExceeds(build(3), 2)).toBe(true);
      expect(jsonDepthExceeds(build(2), 2)).toBe(false);
    }
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
  });
});
