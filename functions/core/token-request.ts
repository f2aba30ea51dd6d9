/**
 * Reading an OAuth 2.0 client-credentials token request (RFC 6749 §4.4) and shaping its errors (§5.2).
 *
 * Client credentials may come in the form body (`client_id`, `client_secret`, §2.3.1) or in HTTP Basic auth (the
 * method the RFC says servers MUST support). Using both at once is refused (§2.3). Pure: no I/O.
 */

export type OAuthErrorCode = "invalid_request" | "invalid_client" | "unsupported_grant_type" | "unauthorized_client";

export interface OAuthError {
  status: 400 | 401;
  error: OAuthErrorCode;
  description: string;
  /** The client tried HTTP Basic: a 401 must then carry `WWW-Authenticate: Basic` (RFC 6749 §5.2). */
  basicAttempted: boolean;
}

export interface TokenRequest {
  clientId: string;
  /** Both readings of a Basic-auth secret: RFC 6749 §2.3.1 form-encodes it, many clients do not. */
  clientSecretCandidates: string[];
  scope?: string;
  via: "basic" | "body";
}

export type TokenRequestResult = { ok: true; request: TokenRequest } | { ok: false; error: OAuthError };

const fail = (status: 400 | 401, error: OAuthErrorCode, description: string, basicAttempted = false) =>
  ({ ok: false, error: { status, error, description, basicAttempted } }) as const;

/** The parameters a client-credentials request defines (RFC 6749 §4.4.2, §2.3.1). */
const TOKEN_PARAMETERS = ["grant_type", "client_id", "client_secret", "scope"] as const;

/** application/x-www-form-urlencoded decoding of one component ('+' is a space). */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** Reads the token request parameters. A JSON object body is tolerated too (PINCODE-API A1 spirit). */
export function readTokenParameters(body: string): Map<string, string[]> | undefined {
  const params = new Map<string, string[]>();
  const add = (key: string, value: string) => params.set(key, [...(params.get(key) ?? []), value]);
  const text = body.trim();
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === "string") add(key, value);
      else if (typeof value === "number") add(key, String(value));
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(text)) add(key, value);
  return params;
}

function parseBasic(header: string): { clientId: string; secrets: string[] } | undefined {
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  const clientId = formDecode(rawId) ?? rawId;
  const decodedSecret = formDecode(rawSecret);
  const secrets = decodedSecret !== undefined && decodedSecret !== rawSecret ? [decodedSecret, rawSecret] : [rawSecret];
  return { clientId, secrets };
}

/**
 * Validates the shape of a token request. Checking the credentials themselves is the caller's job (with the
 * secret in hand, timing-safe).
 */
export function parseTokenRequest(body: string, authorization: string | undefined): TokenRequestResult {
  const basicAttempted = authorization !== undefined && /^\s*basic\b/i.test(authorization);
  const params = readTokenParameters(body);
  if (!params) return fail(400, "invalid_request", "the body must be application/x-www-form-urlencoded parameters");

  for (const key of TOKEN_PARAMETERS) {
    // RFC 6749 §3.2: parameters MUST NOT be included more than once; unknown ones are ignored (§3.1), and never named
    // in a reply (a name can be anything the caller sent).
    if ((params.get(key)?.length ?? 0) > 1) {
      return fail(400, "invalid_request", `parameter ${key} is repeated`, basicAttempted);
    }
  }
  const one = (key: string) => params.get(key)?.[0];

  const grantType = one("grant_type");
  if (!grantType) return fail(400, "invalid_request", "grant_type is required", basicAttempted);
  if (grantType !== "client_credentials") {
    return fail(400, "unsupported_grant_type", "only grant_type=client_credentials is supported", basicAttempted);
  }

  const bodyId = one("client_id");
  const bodySecret = one("client_secret");
  let request: TokenRequest;
  if (basicAttempted) {
    if (bodySecret !== undefined) {
      return fail(
        400,
        "invalid_request",
        "send client credentials either in Basic auth or in the body, not both",
        true,
      );
    }
    const basic = parseBasic(authorization ?? "");
    if (!basic) return fail(401, "invalid_client", "the Basic Authorization header is malformed", true);
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      return fail(400, "invalid_request", "client_id in the body differs from the Basic auth client", true);
    }
    request = { clientId: basic.clientId, clientSecretCandidates: basic.secrets, via: "basic" };
  } else {
    if (!bodyId || !bodySecret) {
      return fail(401, "invalid_client", "client authentication required: client_id and client_secret, or Basic auth");
    }
    request = { clientId: bodyId, clientSecretCandidates: [bodySecret], via: "body" };
  }

  const scope = one("scope");
  if (scope !== undefined && scope.trim() !== "") request.scope = scope.trim();
  return { ok: true, request };
}
