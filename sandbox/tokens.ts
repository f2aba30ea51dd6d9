/**
 * The identity manager's client-credentials token endpoint (PINCODE-API §1.3) and the check every /tsp call makes
 * on `Authorization: O-Bearer <access_token>`.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "./clock.ts";

interface IssuedToken {
  clientId: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TokenIssuerOptions {
  clientId: string;
  clientSecret: string;
  ttlMs: number;
  clock: Clock;
  /** Fault knob read on every check: tokens die this much earlier than advertised. */
  expiresEarlyMs: () => number;
}

export type GrantResult = { status: number; body: Record<string, unknown> };

export type TokenCheck = { ok: true; clientId: string } | { ok: false; expired: boolean; message: string };

export class TokenIssuer {
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, string>();
  issued = 0;

  constructor(private readonly options: TokenIssuerOptions) {}

  /** Handles a form-encoded token request: `client_credentials`, or `refresh_token` with the client credentials. */
  grant(form: URLSearchParams): GrantResult {
    const clientId = form.get("client_id");
    const clientSecret = form.get("client_secret");
    const grantType = form.get("grant_type");
    if (!grantType) return oauthError(400, "invalid_request", "grant_type is required");
    if (grantType !== "client_credentials" && grantType !== "refresh_token") {
      return oauthError(400, "unsupported_grant_type", `grant_type '${grantType}' is not supported`);
    }
    if (!clientId || !clientSecret) {
      return oauthError(400, "invalid_request", "client_id and client_secret are required");
    }
    if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) {
      return oauthError(401, "invalid_client", "client authentication failed");
    }
    if (grantType === "refresh_token") {
      // PINCODE-API §1.3: the refresh request is undocumented; we accept the obvious form.
      const refreshToken = form.get("refresh_token");
      if (!refreshToken || this.refreshTokens.get(refreshToken) !== clientId) {
        return oauthError(400, "invalid_grant", "refresh_token is missing, unknown or already used");
      }
      this.refreshTokens.delete(refreshToken);
    }
    return { status: 200, body: this.issue(clientId) };
  }

  private issue(clientId: string): Record<string, unknown> {
    const issuedAt = this.options.clock.now();
    const expiresAt = issuedAt + this.options.ttlMs;
    const accessToken = randomBytes(24).toString("base64url");
    const refreshToken = randomBytes(24).toString("base64url");
    this.tokens.set(accessToken, { clientId, issuedAt, expiresAt });
    this.refreshTokens.set(refreshToken, clientId);
    this.issued += 1;
    // PINCODE-API A2: Pincode's sample mixes units; the sandbox sends seconds in expires_in and ms in expires_at.
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: "O-Bearer",
      expires_in: Math.floor(this.options.ttlMs / 1000),
      expires_at: expiresAt,
      issued_at: issuedAt,
    };
  }

  /** Checks an Authorization header; only the documented `O-Bearer` scheme is accepted (PINCODE-API §1.2). */
  check(header: string | undefined): TokenCheck {
    if (!header)
      return { ok: false, expired: false, message: "missing Authorization header; expected 'O-Bearer <access_token>'" };
    const match = /^(\S+)\s+(\S+)$/.exec(header.trim());
    if (!match)
      return {
        ok: false,
        expired: false,
        message: "malformed Authorization header; expected 'O-Bearer <access_token>'",
      };
    const [, scheme, token] = match;
    if (scheme !== "O-Bearer") {
      return { ok: false, expired: false, message: `Authorization scheme '${scheme}' is not accepted; use 'O-Bearer'` };
    }
    const issued = this.tokens.get(token as string);
    if (!issued) return { ok: false, expired: false, message: "unknown access token" };
    const deadline = issued.expiresAt - Math.max(0, this.options.expiresEarlyMs());
    if (this.options.clock.now() >= deadline) {
      return { ok: false, expired: true, message: "access token expired; fetch a new one" };
    }
    return { ok: true, clientId: issued.clientId };
  }
}

function oauthError(status: number, error: string, description: string): GrantResult {
  return { status, body: { error, error_description: description } };
}
