/**
 * Issue 11: the callback's token check (`verifyCallbackToken`, written out with node:crypto) must answer every token
 * exactly as the previous release's jose `jwtVerify` path did: same acceptance, same rejection reason. The previous
 * code is copied below as the reference; fast-check builds tokens that exercise each of jose's checks (header shape,
 * `crit`/`b64`, alg, base64url forms, signature, claim presence, types, issuer, audience, times, subject, scope).
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { errors as joseErrors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  CALLBACK_SCOPE,
  type CallbackAuthKeys,
  CLOCK_TOLERANCE_SECONDS,
  issueCallbackToken,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type TokenCheck,
  verifyCallbackToken,
} from "../../functions/core/callback-auth.ts";

/** The previous release's verifyCallbackToken, verbatim (jose 6). */
async function verifyByJose(
  keys: Pick<CallbackAuthKeys, "signingKey" | "clientId">,
  token: string,
  nowMs = Date.now(),
): Promise<TokenCheck> {
  if (token.split(".").length !== 3) return { ok: false, rejection: "not_a_jwt" };
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(keys.signingKey), {
      algorithms: [TOKEN_ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(nowMs),
      requiredClaims: ["exp", "iat", "sub"],
    });
    if (payload.sub !== keys.clientId) return { ok: false, rejection: "wrong_subject" };
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ") : [];
    if (!scopes.includes(CALLBACK_SCOPE)) return { ok: false, rejection: "wrong_scope" };
    return { ok: true, subject: payload.sub, ...(payload.jti ? { jti: payload.jti } : {}) };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, rejection: "expired" };
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      if (error.claim === "aud") return { ok: false, rejection: "wrong_audience" };
      if (error.claim === "iss") return { ok: false, rejection: "wrong_issuer" };
      return { ok: false, rejection: "malformed" };
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, rejection: "bad_signature" };
    return { ok: false, rejection: "malformed" };
  }
}

const KEYS = { clientId: "pincode-test-client", signingKey: "unit-test-signing-key-0123456789-abcdefghij" };
const OTHER_KEY = "another-signing-key-0123456789-abcdefghijkl";
const NOW = Date.UTC(2025, 0, 15, 10, 0, 0);
const NOW_S = Math.floor(NOW / 1000);

const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");
const sign = (input: string, key: string) => createHmac("sha256", key).update(input).digest();

/** Values a claim may hold in a hand-built token: the right one, wrong ones of each JSON type, or absent. */
const claimValue = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 6, arbitrary: right },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, "", [], {}, "x", 1.5) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

const timeAround = (base: number) =>
  fc.oneof(
    fc.integer({ min: base - 3_600, max: base + 3_600 }),
    fc.constantFrom(
      base - CLOCK_TOLERANCE_SECONDS - 1,
      base - CLOCK_TOLERANCE_SECONDS,
      base - CLOCK_TOLERANCE_SECONDS + 1,
      base + CLOCK_TOLERANCE_SECONDS,
      base + CLOCK_TOLERANCE_SECONDS + 1,
    ),
    fc.double({ min: base - 100, max: base + 100, noNaN: true }),
  );

const claimsArb = fc.record({
  iss: claimValue(fc.constantFrom(TOKEN_ISSUER, TOKEN_ISSUER, "someone-else", TOKEN_ISSUER.toUpperCase())),
  aud: claimValue(
    fc.constantFrom<unknown>(
      TOKEN_AUDIENCE,
      TOKEN_AUDIENCE,
      [TOKEN_AUDIENCE],
      ["other", TOKEN_AUDIENCE],
      ["other"],
      "other",
      [1, TOKEN_AUDIENCE],
    ),
  ),
  sub: claimValue(fc.constantFrom(KEYS.clientId, KEYS.clientId, "other-client")),
  iat: claimValue(timeAround(NOW_S)),
  exp: claimValue(timeAround(NOW_S)),
  nbf: fc.option(claimValue(timeAround(NOW_S)), { nil: undefined }),
  scope: claimValue(fc.constantFrom<unknown>(CALLBACK_SCOPE, `read ${CALLBACK_SCOPE}`, "read", ` ${CALLBACK_SCOPE} `)),
  jti: fc.option(fc.constantFrom<unknown>("j-1", "", 7, 0, { a: 1 }), { nil: undefined }),
  extra: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })), { nil: undefined }),
});

const headerArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<unknown>({ alg: "HS256" }, { alg: "HS256", typ: "JWT" }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      { alg: "HS384" },
      { alg: "none" },
      { alg: "" },
      { alg: 256 },
      { typ: "JWT" },
      {},
      { alg: "hs256" },
      { alg: "HS256", crit: ["b64"], b64: false },
      { alg: "HS256", crit: ["b64"], b64: true },
      { alg: "HS256", crit: ["b64"] },
      { alg: "HS256", crit: ["b64"], b64: "false" },
      { alg: "HS256", crit: ["exp"], exp: 1 },
      { alg: "HS256", crit: ["exp"], exp: 1, b64: true },
      { alg: "HS256", crit: ["b64", "zip"], b64: true, zip: "DEF" },
      { alg: "HS256", crit: [] },
      { alg: "HS256", crit: "b64", b64: true },
      { alg: "HS256", crit: [""] },
      { alg: "HS256", crit: ["b64", "b64"], b64: true },
      { alg: "HS256", b64: false },
      { alg: "HS256", crit: null },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], "HS256", null, 1, [{ alg: "HS256" }]) },
);

/** How a part's base64url text is damaged (or not). */
const damageArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant("none") },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "pad",
      "space",
      "newline",
      "plus",
      "slash",
      "bang",
      "truncate1",
      "nonAscii",
      "empty",
      "standardAlphabet",
    ),
  },
);

function damage(text: string, how: string, at: number): string {
  const i = text.length === 0 ? 0 : at % (text.length + 1);
  switch (how) {
    case "pad":
      return `${text}${"=".repeat((4 - (text.length % 4)) % 4 || 1)}`;
    case "space":
      return `${text.slice(0, i)} ${text.slice(i)}`;
    case "newline":
      return `${text.slice(0, i)}\n${text.slice(i)}`;
    case "plus":
      return `${text.slice(0, i)}+${text.slice(i)}`;
    case "slash":
      return `${text.slice(0, i)}/${text.slice(i)}`;
    case "bang":
      return `${text.slice(0, i)}!${text.slice(i)}`;
    case "truncate1":
      return text.slice(0, Math.max(0, text.length - 1));
    case "nonAscii":
      return `${text.slice(0, i)}é${text.slice(i)}`;
    case "empty":
      return "";
    case "standardAlphabet":
      return text.replace(/-/g, "+").replace(/_/g, "/");
    default:
      return text;
  }
}

/** Raw payload bytes other than the claims' JSON: non-objects, invalid UTF-8, a BOM. */
const payloadBytesArb = fc.option(
  fc.constantFrom(
    Buffer.from("[]"),
    Buffer.from("null"),
    Buffer.from('"x"'),
    Buffer.from("{"),
    Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    Buffer.from([0xc3, 0x28]),
  ),
  { nil: undefined, freq: 8 },
);

const tokenArb = fc.record({
  header: headerArb,
  headerBom: fc.boolean(),
  claims: claimsArb,
  payloadBytes: payloadBytesArb,
  bom: fc.boolean(),
  key: fc.constantFrom(KEYS.signingKey, KEYS.signingKey, KEYS.signingKey, OTHER_KEY),
  signAfterDamage: fc.boolean(),
  damageHeader: damageArb,
  damagePayload: damageArb,
  damageSignature: damageArb,
  at: fc.nat(),
  nowOffsetS: fc.oneof(fc.constant(0), fc.integer({ min: -7_200, max: 7_200 })),
});

type TokenSpec = typeof tokenArb extends fc.Arbitrary<infer T> ? T : never;

/** A token right in every respect but one random part (so acceptance and each single fault are reached often). */
const nearlyValidArb = fc
  .tuple(tokenArb, fc.constantFrom("none", "claim", "header", "damage", "key", "time", "payload"))
  .map(([t, keep]): TokenSpec => {
    const right: TokenSpec = {
      ...t,
      header: { alg: "HS256", typ: "JWT" },
      headerBom: false,
      payloadBytes: undefined,
      key: KEYS.signingKey,
      damageHeader: "none",
      damagePayload: "none",
      damageSignature: "none",
      nowOffsetS: 0,
      claims: {
        ...t.claims,
        iss: TOKEN_ISSUER,
        aud: TOKEN_AUDIENCE,
        sub: KEYS.clientId,
        iat: NOW_S,
        exp: NOW_S + 600,
        nbf: undefined,
        scope: CALLBACK_SCOPE,
      },
    };
    switch (keep) {
      case "claim": {
        const names = ["iss", "aud", "sub", "iat", "exp", "nbf", "scope"] as const;
        const name = names[t.at % names.length] as (typeof names)[number];
        return { ...right, claims: { ...right.claims, [name]: t.claims[name] } };
      }
      case "header":
        return { ...right, header: t.header, headerBom: t.headerBom };
      case "damage":
        return {
          ...right,
          damageHeader: t.damageHeader,
          damagePayload: t.damagePayload,
          damageSignature: t.damageSignature,
        };
      case "key":
        return { ...right, key: t.key };
      case "time":
        return { ...right, nowOffsetS: t.nowOffsetS };
      case "payload":
        return { ...right, payloadBytes: t.payloadBytes };
      default:
        return right;
    }
  });

function build(t: TokenSpec): string {
  const claims = Object.fromEntries(
    Object.entries(t.claims).flatMap(([k, v]) =>
      v === undefined ? [] : k === "extra" ? Object.entries(v as Record<string, unknown>) : [[k, v]],
    ),
  );
  const headerJson = Buffer.from(JSON.stringify(t.header));
  const headerBytes = t.headerBom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), headerJson]) : headerJson;
  const payloadJson = t.payloadBytes ?? Buffer.from(JSON.stringify(claims));
  const payloadBytes = t.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), payloadJson]) : payloadJson;
  let header = b64url(headerBytes);
  let payload = b64url(payloadBytes);
  if (t.signAfterDamage) {
    header = damage(header, t.damageHeader, t.at);
    payload = damage(payload, t.damagePayload, t.at >> 3);
  }
  const signature = damage(b64url(sign(`${header}.${payload}`, t.key)), t.damageSignature, t.at >> 6);
  if (!t.signAfterDamage) {
    header = damage(header, t.damageHeader, t.at);
    payload = damage(payload, t.damagePayload, t.at >> 3);
  }
  return `${header}.${payload}.${signature}`;
}

async function expectSame(token: string, nowMs: number, keys = KEYS): Promise<TokenCheck> {
  const expected = await verifyByJose(keys, token, nowMs);
  const actual = await verifyCallbackToken(keys, token, nowMs);
  expect(actual, token).toEqual(expected);
  return actual;
}

describe("verifyCallbackToken answers as the previous release's jose jwtVerify path", () => {
  it("on tokens the token endpoint issues, across their lifetime and with other keys", async () => {
    const seen = new Set<string>();
    for (const offsetS of [-60, 0, 14 * 60, 15 * 60 + 29, 15 * 60 + 30, 15 * 60 + 31, 3_600]) {
      for (const signingKey of [KEYS.signingKey, OTHER_KEY]) {
        const { accessToken } = await issueCallbackToken({ signingKey }, { clientId: KEYS.clientId, nowMs: NOW });
        const result = await expectSame(accessToken, NOW + offsetS * 1000);
        seen.add(result.ok ? "ok" : result.rejection);
      }
    }
    const { accessToken } = await issueCallbackToken(KEYS, { clientId: "other-client", nowMs: NOW });
    seen.add((await expectSame(accessToken, NOW)).ok ? "ok" : "x");
    expect([...seen].sort()).toEqual(["bad_signature", "expired", "ok", "x"].sort());
  });

  it("on hand-built tokens exercising every check (fast-check)", async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 2, arbitrary: tokenArb }, { weight: 1, arbitrary: nearlyValidArb }),
        async (t) => {
          const result = await expectSame(build(t), NOW + t.nowOffsetS * 1000);
          const label = result.ok ? "ok" : result.rejection;
          seen.set(label, (seen.get(label) ?? 0) + 1);
        },
      ),
      { numRuns: 3_000 },
    );
    // The generator reaches every outcome the checks can give (not a vacuous comparison).
    expect([...seen.keys()].sort()).toEqual(
      [
        "ok",
        "bad_signature",
        "malformed",
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "wrong_subject",
        "wrong_scope",
      ].sort(),
    );
  });

  it("on a token presented again (verified tokens are remembered): at other times, with other keys", async () => {
    // The first check of a valid token remembers it; every later one must still answer as jose does, whatever the
    // clock (before nbf, past exp, a non-finite clock) and whichever keys (another signing key or client).
    let remembered = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 1, arbitrary: tokenArb }, { weight: 2, arbitrary: nearlyValidArb }),
        fc.array(fc.integer({ min: -7_200, max: 7_200 }), { minLength: 1, maxLength: 6 }),
        async (t, laterOffsetsS) => {
          const token = build(t);
          const first = await expectSame(token, NOW + t.nowOffsetS * 1000);
          if (first.ok) remembered++;
          for (const offsetS of laterOffsetsS) await expectSame(token, NOW + offsetS * 1000);
          await expectSame(token, NOW + t.nowOffsetS * 1000, { ...KEYS, signingKey: OTHER_KEY });
          await expectSame(token, NOW + t.nowOffsetS * 1000, { ...KEYS, clientId: "other-client" });
          await expectSame(token, Number.NaN);
          await expectSame(token, NOW + t.nowOffsetS * 1000);
        },
      ),
      { numRuns: 1_000 },
    );
    expect(remembered).toBeGreaterThan(50);
  });

  it("on arbitrary strings with two dots, and on tokens cut or joined", async () => {
    const { accessToken } = await issueCallbackToken(KEYS, { clientId: KEYS.clientId, nowMs: NOW });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        async (a, b, c) => {
          await expectSame(`${a}.${b}.${c}`, NOW);
          await expectSame(`${accessToken}${a}`, NOW);
          await expectSame(accessToken.slice(0, b.length * 7), NOW);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("with an empty signing key or a non-finite clock", async () => {
    const { accessToken } = await issueCallbackToken(KEYS, { clientId: KEYS.clientId, nowMs: NOW });
    await expectSame(accessToken, NOW, { ...KEYS, signingKey: "" });
    await expectSame(accessToken, Number.NaN);
    await expectSame(accessToken, NOW + 0.5);
  });
});
