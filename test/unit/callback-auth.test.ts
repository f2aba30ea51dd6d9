import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import {
  authenticateCallback,
  CALLBACK_SCOPE,
  type CallbackAuthKeys,
  issueCallbackToken,
  parseAuthorization,
  secretsEqual,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  verifyCallbackToken,
} from "../../functions/core/callback-auth.ts";

const keys: CallbackAuthKeys = {
  clientId: "pincode-test-client",
  signingKey: "unit-test-signing-key-0123456789-abcdefghij",
  staticToken: "unit-test-static-token-0123456789",
};
const NOW = Date.UTC(2025, 0, 15, 10, 0, 0);

const tokenAt = async (nowMs: number, over: Partial<{ signingKey: string; clientId: string }> = {}) =>
  (
    await issueCallbackToken(
      { signingKey: over.signingKey ?? keys.signingKey },
      { clientId: over.clientId ?? keys.clientId, nowMs },
    )
  ).accessToken;

/** A token with hand-picked claims, signed with our key, to test each claim check on its own. */
const customToken = (claims: { iss?: string; aud?: string; sub?: string; scope?: string; alg?: string }) =>
  new SignJWT({ scope: claims.scope ?? CALLBACK_SCOPE })
    .setProtectedHeader({ alg: claims.alg ?? "HS256" })
    .setIssuer(claims.iss ?? TOKEN_ISSUER)
    .setAudience(claims.aud ?? TOKEN_AUDIENCE)
    .setSubject(claims.sub ?? keys.clientId)
    .setIssuedAt(Math.floor(NOW / 1000))
    .setExpirationTime(Math.floor(NOW / 1000) + 600)
    .sign(new TextEncoder().encode(keys.signingKey));

describe("callback JWTs", () => {
  it("verifies a token it issued, within its lifetime", async () => {
    const token = await tokenAt(NOW);
    expect(await verifyCallbackToken(keys, token, NOW + 14 * 60 * 1000)).toMatchObject({
      ok: true,
      subject: keys.clientId,
    });
  });

  it("refuses an expired token (15 min lifetime, 30 s clock tolerance)", async () => {
    const token = await tokenAt(NOW);
    expect(await verifyCallbackToken(keys, token, NOW + 15 * 60 * 1000 + 20_000)).toMatchObject({ ok: true });
    expect(await verifyCallbackToken(keys, token, NOW + 15 * 60 * 1000 + 31_000)).toEqual({
      ok: false,
      rejection: "expired",
    });
  });

  it("refuses a token signed with another key", async () => {
    const token = await tokenAt(NOW, { signingKey: "another-signing-key-0123456789-abcdefghij" });
    expect(await verifyCallbackToken(keys, token, NOW)).toEqual({ ok: false, rejection: "bad_signature" });
  });

  it("refuses a token for another audience, issuer, client or scope", async () => {
    expect(await verifyCallbackToken(keys, await customToken({ aud: "someone-else" }), NOW)).toEqual({
      ok: false,
      rejection: "wrong_audience",
    });
    expect(await verifyCallbackToken(keys, await customToken({ iss: "evil" }), NOW)).toEqual({
      ok: false,
      rejection: "wrong_issuer",
    });
    expect(await verifyCallbackToken(keys, await customToken({ sub: "other-client" }), NOW)).toEqual({
      ok: false,
      rejection: "wrong_subject",
    });
    expect(await verifyCallbackToken(keys, await customToken({ scope: "admin" }), NOW)).toEqual({
      ok: false,
      rejection: "wrong_scope",
    });
  });

  it("refuses another algorithm even with the right key", async () => {
    const token = await customToken({ alg: "HS512" });
    expect(await verifyCallbackToken(keys, token, NOW)).toEqual({ ok: false, rejection: "malformed" });
  });

  it("refuses an unsigned (alg none) token", async () => {
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const exp = Math.floor(NOW / 1000) + 600;
    const unsigned = `${encode({ alg: "none" })}.${encode({ iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: keys.clientId, exp, scope: CALLBACK_SCOPE })}.`;
    expect((await verifyCallbackToken(keys, unsigned, NOW)).ok).toBe(false);
  });

  it("refuses a string that is not a JWT", async () => {
    expect(await verifyCallbackToken(keys, "opaque-token", NOW)).toEqual({ ok: false, rejection: "not_a_jwt" });
  });
});

describe("parseAuthorization", () => {
  it.each([
    ["Bearer abc.def.ghi", { scheme: "Bearer", token: "abc.def.ghi" }],
    ["bearer abc", { scheme: "Bearer", token: "abc" }],
    ["O-Bearer abc", { scheme: "O-Bearer", token: "abc" }],
    ["o-bearer   abc  ", { scheme: "O-Bearer", token: "abc" }],
  ])("reads %j", (header, expected) => {
    expect(parseAuthorization(header)).toEqual(expected);
  });

  it.each(["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "Token abc", ""])("refuses %j", (header) => {
    expect(parseAuthorization(header)).toBeUndefined();
  });
});

describe("authenticateCallback by mode", () => {
  it("accepts a valid token as Bearer and as O-Bearer in oauth mode (PINCODE-API A17)", async () => {
    const token = await tokenAt(NOW);
    expect(await authenticateCallback("oauth", keys, `Bearer ${token}`, NOW)).toEqual({
      ok: true,
      method: "oauth",
      scheme: "Bearer",
    });
    expect(await authenticateCallback("oauth", keys, `O-Bearer ${token}`, NOW)).toEqual({
      ok: true,
      method: "oauth",
      scheme: "O-Bearer",
    });
  });

  it("refuses the static token in oauth mode", async () => {
    const result = await authenticateCallback("oauth", keys, `Bearer ${keys.staticToken}`, NOW);
    expect(result).toEqual({ ok: false, rejection: "not_a_jwt" });
  });

  it("accepts only the static token in static mode", async () => {
    expect(await authenticateCallback("static", keys, `O-Bearer ${keys.staticToken}`, NOW)).toMatchObject({
      ok: true,
      method: "static",
    });
    const jwt = await tokenAt(NOW);
    expect(await authenticateCallback("static", keys, `Bearer ${jwt}`, NOW)).toEqual({
      ok: false,
      rejection: "static_mismatch",
    });
    expect(await authenticateCallback("static", keys, `Bearer ${keys.staticToken}x`, NOW)).toEqual({
      ok: false,
      rejection: "static_mismatch",
    });
  });

  it("accepts either in oauth+static mode", async () => {
    const jwt = await tokenAt(NOW);
    expect(await authenticateCallback("oauth+static", keys, `Bearer ${jwt}`, NOW)).toMatchObject({
      ok: true,
      method: "oauth",
    });
    expect(await authenticateCallback("oauth+static", keys, `Bearer ${keys.staticToken}`, NOW)).toMatchObject({
      ok: true,
      method: "static",
    });
    expect(await authenticateCallback("oauth+static", keys, "Bearer wrong", NOW)).toEqual({
      ok: false,
      rejection: "static_mismatch",
    });
  });

  it("names a missing header and an unsupported scheme", async () => {
    expect(await authenticateCallback("oauth", keys, undefined, NOW)).toEqual({ ok: false, rejection: "missing" });
    expect(await authenticateCallback("oauth", keys, "Basic dXNlcjpwYXNz", NOW)).toEqual({
      ok: false,
      rejection: "unsupported_scheme",
    });
  });

  it("never accepts static tokens when the secret has none, even in oauth+static", async () => {
    const withoutStatic = { clientId: keys.clientId, signingKey: keys.signingKey };
    expect((await authenticateCallback("oauth+static", withoutStatic, "Bearer undefined", NOW)).ok).toBe(false);
  });
});

describe("secretsEqual", () => {
  it("is true only for identical strings, whatever their lengths", () => {
    expect(secretsEqual("abc", "abc")).toBe(true);
    expect(secretsEqual("abc", "abd")).toBe(false);
    expect(secretsEqual("abc", "abcd")).toBe(false);
    expect(secretsEqual("", "a")).toBe(false);
  });
});
