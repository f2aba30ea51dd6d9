/**
 * Shared pieces of the edge fuzz properties (test/fuzz/*.test.ts): the run count, canary values that must never be
 * echoed, and arbitraries for what a hostile or broken client can put in an API Gateway REST proxy event.
 *
 * Run count: `FUZZ_RUNS` (e.g. `FUZZ_RUNS=2000 npx vitest run test/fuzz`) raises every property's runs; the default
 * keeps each file at a few seconds inside `npm test`. A failure prints fast-check's seed and path to replay it.
 */
import fc from "fast-check";

export function fuzzRuns(defaultRuns: number): number {
  const configured = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(configured) && configured > 0 ? configured : defaultRuns;
}

/**
 * Values shaped like buyer data (an e-mail, a phone number, a name with an address): generated bodies, headers and
 * parameters carry them, and no reply may quote them. None is a real person's.
 */
export const CANARIES = ["fuzz.buyer@canary.invalid", "+91 90000 13579", "Canary Fuzzwala, 7 Probe Street"] as const;

export const canary = fc.constantFrom(...CANARIES);

/** Strings a client may send: short, unicode, control characters, canaries, and now and then a huge one. */
export const oddString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 3, arbitrary: canary },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "null", "0", "-1", "1e309", "NaN", "true", "{}", "[]", "\u0000") },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 70_000 }).map((n) => `${CANARIES[0]}${"x".repeat(n)}`) },
);

/** JSON values of every type (canaries among the strings), bounded so a run stays cheap. */
export const oddJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    oddString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** A JSON document nested `depth` levels deep, as objects or arrays. */
export const deeplyNested = fc
  .record({ depth: fc.integer({ min: 20, max: 200_000 }), arrays: fc.boolean() })
  .map(({ depth, arrays }) =>
    arrays ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
  );

/** Valid JSON made invalid: cut short, a character dropped or inserted. */
export function malformed(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc
      .record({ at: fc.nat({ max: valid.length }), ch: fc.constantFrom("{", "}", '"', ",", ":", "\\", "\u0000", "x") })
      .map(({ at, ch }) => `${valid.slice(0, at)}${ch}${valid.slice(at)}`),
    fc.constant(`${valid},`),
    fc.constant(valid.replace(/"/g, "'")),
  );
}

/** Content types a client may claim, right or wrong. */
export const contentType = fc.option(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "application/merge-patch+json",
    "APPLICATION/JSON",
    "application/json; charset=latin1",
    "",
    "json",
    `application/json; ${CANARIES[0]}`,
  ),
  { nil: undefined },
);

/** Extra headers: odd names and values, canaries, huge values, repeated headers, encodings we do not undo. */
export const oddHeaders = fc.dictionary(
  fc.constantFrom(
    "X-Forwarded-For",
    "User-Agent",
    "Content-Encoding",
    "Accept",
    "X-Amzn-Trace-Id",
    "Cookie",
    "X-Api-Key",
    "Transfer-Encoding",
    "Content-Length",
    "X-Odd",
  ),
  fc.oneof(
    oddString,
    fc.constantFrom("gzip", "br", "chunked", "-1", "999999999"),
    fc.array(oddString, { minLength: 2, maxLength: 3 }),
  ),
  { maxKeys: 3 },
);

/** Methods a client may use, the documented one among them. */
export const httpMethod = (documented: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(documented) },
    { weight: 2, arbitrary: fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "POST", "TRACE") },
    { weight: 1, arbitrary: fc.constantFrom(documented.toLowerCase(), "PROPFIND", "") },
  );

/** How the body reaches the handler: verbatim, base64-flagged (as for a binary media type), or flagged but not. */
export const bodyEncoding = fc.constantFrom("plain", "plain", "base64", "lying-base64");
export type BodyEncoding = "plain" | "base64" | "lying-base64";

/** What a reply may never contain: canaries and secrets. Case-insensitive for the letters. */
export function leaks(reply: string, secrets: readonly string[]): string[] {
  const lower = reply.toLowerCase();
  return [...CANARIES, ...secrets].filter((value) => value.length >= 8 && lower.includes(value.toLowerCase()));
}
