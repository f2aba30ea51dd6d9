/**
 * How Pincode proves it is Pincode when it calls our callback endpoint (PINCODE-API §3.1, A17).
 *
 * - `oauth`: Pincode fetches a short-lived token from our token endpoint (client credentials) and presents it. The
 *   tokens are HS256 JWTs we sign ourselves with the `signingKey` of the callback auth secret.
 * - `static`: Pincode presents a fixed token we gave it (Pincode says this mode will be deprecated).
 * - `oauth+static`: either is accepted (for migrating from one to the other without dropping callbacks).
 *
 * Pure: no AWS, no I/O. The secret is passed in.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { SignJWT } from "jose";

export const CALLBACK_AUTH_MODES = ["oauth", "static", "oauth+static"] as const;
export type CallbackAuthMode = (typeof CALLBACK_AUTH_MODES)[number];

export const TOKEN_ISSUER = "pincode-bridge";
export const TOKEN_AUDIENCE = "pincode-callbacks";
/** The one scope our token endpoint grants; tell Pincode to request it (docs/callbacks.md). */
export const CALLBACK_SCOPE = "callbacks";
export const TOKEN_ALGORITHM = "HS256";
/** Pincode fetches a token before each callback (§3.1), so a short lifetime costs nothing. */
export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
/** Allowed clock skew between the token endpoint and the callback function (both are ours). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The secret material the checks need (a subset of `CallbackAuthSecret`). */
export interface CallbackAuthKeys {
  clientId: string;
  signingKey: string;
  staticToken?: string | undefined;
}

/** Compares two secrets in time independent of where they differ; hashing first hides their lengths too. */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

const keyBytes = (signingKey: string) => new TextEncoder().encode(signingKey);

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

export async function issueCallbackToken(
  keys: Pick<CallbackAuthKeys, "signingKey">,
  options: { clientId: string; scope?: string; nowMs?: number; ttlSeconds?: number; jti?: string },
): Promise<IssuedToken> {
  const iat = Math.floor((options.nowMs ?? Date.now()) / 1000);
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const scope = options.scope ?? CALLBACK_SCOPE;
  const accessToken = await new SignJWT({ scope })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: "JWT" })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(options.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(options.jti ?? randomUUID())
    .sign(keyBytes(keys.signingKey));
  return { accessToken, expiresIn: ttl, scope };
}

/** Why a presented credential was refused; logged and counted, never echoed with the token itself. */
export type TokenRejection =
  | "expired"
  | "bad_signature"
  | "wrong_audience"
  | "wrong_issuer"
  | "wrong_subject"
  | "wrong_scope"
  | "malformed"
  | "not_a_jwt";

export type TokenCheck = { ok: true; subject: string; jti?: string } | { ok: false; rejection: TokenRejection };

/**
 * Checks a callback token: HS256 over our signing key, issuer, audience, `exp`/`iat`/`sub` present, not expired (30 s
 * tolerance), not before its `nbf`, our client as subject, the callbacks scope.
 *
 * Written out with node:crypto (issue 11) rather than jose's `jwtVerify`, which imports the key and verifies through
 * WebCrypto on every call (most of the callback's own CPU per request) and weighs 15 KiB in the bundle. Every check
 * and its order is jose 6's, so each token gets the rejection it got before (a signature is checked before the
 * claims are read; a missing `iss` is `wrong_issuer`, a missing `aud` `wrong_audience`; a `crit` header naming
 * anything but `b64`, or `b64: false`, is `malformed`): test/unit/callback-token-verify.test.ts holds the two equal
 * with fast-check over valid, re-signed, damaged and hand-built tokens.
 */
export async function verifyCallbackToken(
  keys: Pick<CallbackAuthKeys, "signingKey" | "clientId">,
  token: string,
  nowMs = Date.now(),
): Promise<TokenCheck> {
  const hit = verified.get(token);
  if (hit && hit.signingKey === keys.signingKey && hit.clientId === keys.clientId) {
    // Only the time checks depend on `now`: the same ones, in the same order, as checkCallbackToken's.
    const now = Math.floor(new Date(nowMs).getTime() / 1000);
    if (!Number.isFinite(now)) return MALFORMED;
    if (hit.nbf !== undefined && hit.nbf > now + CLOCK_TOLERANCE_SECONDS) return MALFORMED;
    if (hit.exp <= now - CLOCK_TOLERANCE_SECONDS) return { ok: false, rejection: "expired" };
    return { ...hit.result };
  }
  return checkCallbackToken(keys, token, nowMs);
}

/**
 * Tokens that passed every check, by their exact text (signature included), with the keys that checked them: Pincode
 * presents one token for many callbacks until it expires, and everything but the time checks is a pure function of
 * (keys, token). A hit re-runs only `nbf`/`exp` against the current time, so the answer is the one the full check
 * gives (test/unit/callback-token-verify.test.ts holds it equal to jose's, cache and all). Only valid tokens get in,
 * at most VERIFIED_MAX of them, the oldest leaving first. Saves the HMAC and the two JSON parses per callback (issue 11).
 */
interface VerifiedToken {
  signingKey: string;
  clientId: string;
  nbf: number | undefined;
  exp: number;
  result: TokenCheck & { ok: true };
}
const verified = new Map<string, VerifiedToken>();
const VERIFIED_MAX = 32;

function remember(token: string, entry: VerifiedToken): void {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, entry);
}

const MALFORMED: TokenCheck = { ok: false, rejection: "malformed" };
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** jose's base64url decoding where `Uint8Array.fromBase64` is missing (Node 20 and 22): atob's forgiving decode. */
function base64urlBytes(text: string): Buffer | undefined {
  if (text.includes("+") || text.includes("/")) return undefined;
  try {
    return Buffer.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), "latin1");
  } catch {
    return undefined;
  }
}

/** A JSON object (not an array or null) read from strict UTF-8 base64url, as jose reads headers and claims. */
function jsonObjectOf(bytes: Buffer): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(STRICT_UTF8.decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

function checkCallbackToken(
  keys: Pick<CallbackAuthKeys, "signingKey" | "clientId">,
  token: string,
  nowMs: number,
): TokenCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, rejection: "not_a_jwt" };
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];

  // The protected header: a JSON object; `crit` may name only `b64`, which must then be a boolean; alg HS256.
  const headerBytes = base64urlBytes(encodedHeader);
  const header = headerBytes && jsonObjectOf(headerBytes);
  if (!header) return MALFORMED;
  let b64 = true;
  if (header.crit !== undefined) {
    const crit = header.crit;
    if (!Array.isArray(crit) || crit.length === 0 || crit.some((p) => typeof p !== "string" || p.length === 0)) {
      return MALFORMED;
    }
    for (const parameter of crit as string[]) {
      if (parameter !== "b64" || !Object.hasOwn(header, parameter) || header[parameter] === undefined) {
        return MALFORMED;
      }
    }
    if (typeof header.b64 !== "boolean") return MALFORMED;
    b64 = header.b64;
  }
  if (header.alg !== TOKEN_ALGORITHM) return MALFORMED;
  if (!isAscii(encodedPayload)) return MALFORMED;
  const signature = base64urlBytes(encodedSignature);
  if (!signature || keys.signingKey === "") return MALFORMED;

  // The signature, before anything in the payload is read.
  const expected = createHmac("sha256", keys.signingKey).update(`${encodedHeader}.${encodedPayload}`).digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    return { ok: false, rejection: "bad_signature" };
  }
  if (!b64) return MALFORMED; // JWTs must not use an unencoded payload
  const payloadBytes = base64urlBytes(encodedPayload);
  const claims = payloadBytes && jsonObjectOf(payloadBytes);
  if (!claims) return MALFORMED;

  // Presence (in jose's order), then issuer and audience, then the times.
  for (const claim of ["iss", "aud", "sub", "iat", "exp"] as const) {
    if (!Object.hasOwn(claims, claim)) return claimRejection(claim);
  }
  if (claims.iss !== TOKEN_ISSUER) return { ok: false, rejection: "wrong_issuer" };
  const aud = claims.aud;
  if (!(typeof aud === "string" ? aud === TOKEN_AUDIENCE : Array.isArray(aud) && aud.includes(TOKEN_AUDIENCE))) {
    return { ok: false, rejection: "wrong_audience" };
  }
  const now = Math.floor(new Date(nowMs).getTime() / 1000);
  if (!Number.isFinite(now)) return MALFORMED;
  if (typeof claims.iat !== "number") return MALFORMED;
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || claims.nbf > now + CLOCK_TOLERANCE_SECONDS)) {
    return MALFORMED;
  }
  if (typeof claims.exp !== "number") return MALFORMED;
  if (claims.exp <= now - CLOCK_TOLERANCE_SECONDS) return { ok: false, rejection: "expired" };

  if (claims.sub !== keys.clientId) return { ok: false, rejection: "wrong_subject" };
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ") : [];
  if (!scopes.includes(CALLBACK_SCOPE)) return { ok: false, rejection: "wrong_scope" };
  const result = { ok: true as const, subject: claims.sub, ...(claims.jti ? { jti: claims.jti as string } : {}) };
  remember(token, {
    signingKey: keys.signingKey,
    clientId: keys.clientId,
    nbf: claims.nbf as number | undefined,
    exp: claims.exp,
    result: { ...result },
  });
  return result;
}

function claimRejection(claim: string): TokenCheck {
  if (claim === "aud") return { ok: false, rejection: "wrong_audience" };
  if (claim === "iss") return { ok: false, rejection: "wrong_issuer" };
  return MALFORMED;
}

/** The two schemes Pincode may use: A17 says the header format is unspecified; its own APIs use `O-Bearer`. */
const AUTHORIZATION = /^\s*(bearer|o-bearer)\s+(\S+)\s*$/i;

export type PresentedCredential = { scheme: "Bearer" | "O-Bearer"; token: string };

export function parseAuthorization(header: string | undefined): PresentedCredential | undefined {
  const match = header === undefined ? null : AUTHORIZATION.exec(header);
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase() === "bearer" ? "Bearer" : "O-Bearer", token: match[2] };
}

export type AuthResult =
  | { ok: true; method: "oauth" | "static"; scheme: PresentedCredential["scheme"] }
  | { ok: false; rejection: "missing" | "unsupported_scheme" | "static_mismatch" | TokenRejection };

/** Checks an `Authorization` header against the configured mode. */
export async function authenticateCallback(
  mode: CallbackAuthMode,
  keys: CallbackAuthKeys,
  authorization: string | undefined,
  nowMs = Date.now(),
): Promise<AuthResult> {
  if (authorization === undefined || authorization.trim() === "") return { ok: false, rejection: "missing" };
  const credential = parseAuthorization(authorization);
  if (!credential) return { ok: false, rejection: "unsupported_scheme" };

  const allowStatic = mode !== "oauth" && keys.staticToken !== undefined;
  if (allowStatic && keys.staticToken !== undefined && secretsEqual(credential.token, keys.staticToken)) {
    return { ok: true, method: "static", scheme: credential.scheme };
  }
  if (mode === "static") return { ok: false, rejection: "static_mismatch" };

  const check = await verifyCallbackToken(keys, credential.token, nowMs);
  if (check.ok) return { ok: true, method: "oauth", scheme: credential.scheme };
  // In oauth+static a non-JWT is most likely a wrong static token: say so.
  if (mode === "oauth+static" && check.rejection === "not_a_jwt") return { ok: false, rejection: "static_mismatch" };
  return check;
}

/**
 * The callback function's view of the callback auth secret (the JSON `CallbackAuthSecretSchema` in
 * functions/adapters/secrets.ts describes in full), checked by hand so the callback's bundle carries no schema
 * library. Same limits as that schema for the fields the callback uses; errors name fields, never values.
 */
export function parseCallbackAuthKeys(secretString: string, secretId: string): CallbackAuthKeys {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new Error(`secret ${secretId} is not a JSON object`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`secret ${secretId} is not a JSON object`);
  }
  const secret = json as Record<string, unknown>;
  const text = (name: string, min: number) => typeof secret[name] === "string" && secret[name].length >= min;
  const bad = [
    text("clientId", 1) ? undefined : "clientId",
    text("signingKey", 32) ? undefined : "signingKey",
    secret.staticToken === undefined || text("staticToken", 16) ? undefined : "staticToken",
  ].filter((name): name is string => name !== undefined);
  if (bad.length > 0) throw new Error(`secret ${secretId} is missing or has invalid fields: ${bad.join(", ")}`);
  return {
    clientId: secret.clientId as string,
    signingKey: secret.signingKey as string,
    ...(secret.staticToken === undefined ? {} : { staticToken: secret.staticToken as string }),
  };
}
