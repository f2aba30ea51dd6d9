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
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

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

export async function verifyCallbackToken(
  keys: Pick<CallbackAuthKeys, "signingKey" | "clientId">,
  token: string,
  nowMs = Date.now(),
): Promise<TokenCheck> {
  if (token.split(".").length !== 3) return { ok: false, rejection: "not_a_jwt" };
  try {
    const { payload } = await jwtVerify(token, keyBytes(keys.signingKey), {
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
