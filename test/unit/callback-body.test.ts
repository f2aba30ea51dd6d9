import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sniffCallbackBody } from "../../functions/core/callback-body.ts";

const sample = readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8");
const sampleObject = JSON.parse(sample) as Record<string, unknown>;
const bytes = (text: string) => Buffer.from(text, "utf8");

describe("sniffCallbackBody (PINCODE-API A1: the bytes decide, not Content-Type)", () => {
  it("reads a JSON object body", () => {
    // Act
    const result = sniffCallbackBody(bytes(sample));
    // Assess
    expect(result).toEqual({ ok: true, value: sampleObject, format: "json" });
  });

  it("reads a body whose whole content is percent-encoded JSON", () => {
    const result = sniffCallbackBody(bytes(encodeURIComponent(sample)));
    expect(result).toEqual({ ok: true, value: sampleObject, format: "form-encoded-json" });
  });

  it("reads JSON held in a single form field, whatever its name", () => {
    for (const field of ["payload", "data", "body", "x"]) {
      const result = sniffCallbackBody(bytes(new URLSearchParams({ [field]: sample }).toString()));
      expect(result).toEqual({ ok: true, value: sampleObject, format: "form-field", field });
    }
  });

  it("takes the one field holding JSON when other fields carry metadata", () => {
    const body = new URLSearchParams({ type: "ORDER_VIEW", payload: sample, ts: "1" }).toString();
    const result = sniffCallbackBody(bytes(body));
    expect(result).toMatchObject({ ok: true, format: "form-field", field: "payload", value: sampleObject });
  });

  it("tolerates a UTF-8 byte-order mark and surrounding whitespace", () => {
    const result = sniffCallbackBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes(`\n  ${sample}\n`)]));
    expect(result).toMatchObject({ ok: true, format: "json" });
  });

  it.each([
    ["", "body is empty"],
    ["   ", "body is empty"],
    ['{"type":"ORDER_VIEW",', "body is not valid JSON: syntax error at position 21"],
    ["[1,2]", "body must be a JSON object, got an array"],
    ["hello world", "neither a JSON object nor application/x-www-form-urlencoded"],
    ["payload=%7Bnot-json", 'form field "payload" is not valid JSON'],
    ["payload=%5B1%5D", 'form field "payload" must be a JSON object, got an array'],
    ["a=1&b=2", "form body has 2 fields and none holds a JSON object"],
    ["a=%7B%7D&b=%7B%7D", 'form body has 2 fields holding JSON ("a", "b"); expected one'],
    ["%7Bbroken", "form-encoded body is not valid JSON"],
  ])("refuses %j, naming the problem", (body, reason) => {
    const result = sniffCallbackBody(bytes(body));
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.reason).toContain(reason);
  });

  it("refuses bytes that are not UTF-8", () => {
    const result = sniffCallbackBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(result).toEqual({ ok: false, reason: "body is not valid UTF-8" });
  });

  it("never quotes body content in a JSON error reason", () => {
    // Node quotes a slice of the input in this message: "Unexpected token 'x', "{"billing"..." is not valid JSON"
    const result = sniffCallbackBody(bytes('{"billing":{"phone":x9000000001}}'));
    expect(result).toEqual({ ok: false, reason: 'body is not valid JSON: unexpected character "x"' });
  });

  it("finds the same object in every accepted encoding (property)", () => {
    const objects = fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue(), { minKeys: 1 });
    fc.assert(
      fc.property(objects, fc.constantFrom("payload", "data", "callback"), (object, field) => {
        const json = JSON.stringify(object);
        const expected = JSON.parse(json);
        for (const body of [json, encodeURIComponent(json), new URLSearchParams({ [field]: json }).toString()]) {
          const result = sniffCallbackBody(bytes(body));
          expect(result.ok && result.value).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});
