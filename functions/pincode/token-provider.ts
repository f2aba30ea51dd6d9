/**
 * OAuth client-credentials token for Pincode's /tsp APIs, from the identity manager (PINCODE-API §1.3).
 * Caches the token, shares one in-flight fetch between concurrent callers, and renews early.
 */
import { PincodeAuthError, PincodeResponseError, PincodeTransportError } from "./errors.ts";
import { type FetchLike, joinUrl, NoAnswerError, readJson, sendOnce } from "./http.ts";
import { emitMetric, type MetricSink, outcomeForStatus } from "./metrics.ts";
import { ErrorEnvelopeSchema, TokenResponseSchema } from "./schemas.ts";

export const TOKEN_PATH = "/olympus/im/v1/oauth/token";

export interface PincodeCredentials {
  clientId: string;
  clientSecret: string;
}

/** What the client needs from a token source; swap in your own (e.g. a shared cache) through the client config. */
export interface TokenProvider {
  getToken(): Promise<string>;
  /** Drop `token` if it is still the cached one (a 401/412 said it is dead); a newer token is kept. */
  invalidate(token: string): void;
}

export interface OAuthTokenProviderOptions {
  /** Identity-manager base URL, e.g. `https://stg-identitymanager.phonepe.com`. */
  authBaseUrl: string;
  /** The credentials, or a loader called on each token fetch (e.g. a cached Secrets Manager read). */
  credentials: PincodeCredentials | (() => Promise<PincodeCredentials>);
  /** Renew this long before expiry; clamped to 20% of the token's lifetime for short-lived tokens. Default 60 s. */
  safetyMarginMs?: number;
  /** Lifetime assumed when the response states none. Default 5 min. */
  defaultLifetimeMs?: number;
  /** Try `grant_type=refresh_token` before a new client-credentials grant. Default true. */
  useRefreshToken?: boolean;
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: () => number;
  onMetric?: MetricSink;
}

interface CachedToken {
  accessToken: string;
  refreshToken: string | undefined;
  /** When we stop using it and fetch a new one. */
  renewAt: number;
}

/** Share of a token's lifetime the safety margin may take, so an 86 s token is not renewed on every call. */
const MAX_MARGIN_SHARE = 0.2;
/** Clocks further apart than this make us trust our own clock instead of the server's `issued_at`. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * When to renew a token, in our clock. PINCODE-API A2: `expires_in` is unit-less (86400, seconds would be 24 h)
 * while `expires_at - issued_at` in the same sample is 86.4 s, so we take the EARLIER of the two readings and
 * subtract a margin. Both readings are anchored at `issued_at` when it agrees with our clock, else at our receipt
 * time, so a skewed server clock cannot make every token look expired.
 */
export function computeRenewAt(
  token: { expires_in?: number | undefined; expires_at?: number | undefined; issued_at?: number | undefined },
  receivedAt: number,
  safetyMarginMs: number,
  defaultLifetimeMs: number,
): number {
  const issuedAt = token.issued_at;
  const anchor = issuedAt !== undefined && Math.abs(issuedAt - receivedAt) <= MAX_CLOCK_SKEW_MS ? issuedAt : receivedAt;
  const readings: number[] = [];
  if (token.expires_in !== undefined && token.expires_in > 0) readings.push(anchor + token.expires_in * 1000);
  if (token.expires_at !== undefined) {
    readings.push(issuedAt !== undefined ? anchor + (token.expires_at - issuedAt) : token.expires_at);
  }
  const expiresAt = readings.length > 0 ? Math.min(...readings) : receivedAt + defaultLifetimeMs;
  const lifetime = Math.max(0, expiresAt - anchor);
  const margin = Math.min(safetyMarginMs, lifetime * MAX_MARGIN_SHARE);
  return expiresAt - margin;
}

export class OAuthTokenProvider implements TokenProvider {
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;
  /** Survives invalidation: the documented lifecycle renews with it after a 401/412 (§1.3). */
  private refreshToken: string | undefined;
  private readonly url: string;
  private readonly now: () => number;
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: OAuthTokenProviderOptions) {
    this.url = joinUrl(options.authBaseUrl, TOKEN_PATH);
    this.now = options.now ?? Date.now;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return cached.accessToken;
    // One fetch at a time: every caller that finds the cache stale waits on the same promise.
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return (await this.inflight).accessToken;
  }

  invalidate(token: string): void {
    if (this.cached?.accessToken === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<CachedToken> {
    const credentials =
      typeof this.options.credentials === "function" ? await this.options.credentials() : this.options.credentials;
    const base = { client_id: credentials.clientId, client_secret: credentials.clientSecret };
    let token: CachedToken | undefined;
    if ((this.options.useRefreshToken ?? true) && this.refreshToken) {
      // PINCODE-API A2: the refresh request is undocumented; any failure falls back to client_credentials.
      token = await this.grant({ ...base, grant_type: "refresh_token", refresh_token: this.refreshToken }).catch(
        () => undefined,
      );
    }
    token ??= await this.grant({ ...base, grant_type: "client_credentials" });
    this.cached = token;
    this.refreshToken = token.refreshToken ?? this.refreshToken;
    return token;
  }

  private async grant(form: Record<string, string>): Promise<CachedToken> {
    const startedAt = this.now();
    const metric = { endpoint: TOKEN_PATH, family: "auth" as const, attempt: 1 };
    let answer: Awaited<ReturnType<typeof sendOnce>>;
    try {
      answer = await sendOnce(
        this.fetchImpl,
        this.url,
        {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams(form).toString(),
        },
        this.options.timeoutMs ?? 10_000,
      );
    } catch (error) {
      const reason = error instanceof NoAnswerError ? error.reason : "network";
      emitMetric(this.options.onMetric, {
        ...metric,
        outcome: reason === "timeout" ? "timeout" : "network_error",
        latencyMs: this.now() - startedAt,
      });
      throw new PincodeTransportError({
        endpoint: TOKEN_PATH,
        reason,
        requestId: "none",
        attempts: 1,
        detail: error instanceof Error ? error.message : undefined,
        cause: error,
      });
    }
    const latencyMs = this.now() - startedAt;
    const json = readJson(answer.text);
    if (answer.status < 200 || answer.status > 299) {
      const envelope = json.ok ? ErrorEnvelopeSchema.safeParse(json.value) : undefined;
      // OAuth servers answer `{error, error_description}` rather than Pincode's envelope.
      const oauthError = json.ok ? readOAuthError(json.value) : undefined;
      const errorCode = envelope?.success ? envelope.data.error.errorCode : oauthError;
      emitMetric(this.options.onMetric, {
        ...metric,
        outcome: outcomeForStatus(answer.status),
        status: answer.status,
        latencyMs,
        ...(errorCode ? { errorCode } : {}),
      });
      throw new PincodeAuthError({
        status: answer.status,
        errorCode,
        pincodeMessage: envelope?.success ? envelope.data.error.message : undefined,
        requestId: "none",
        endpoint: TOKEN_PATH,
        attempts: 1,
        retryable: answer.status === 429 || answer.status >= 500,
      });
    }
    const parsed = json.ok ? TokenResponseSchema.safeParse(json.value) : undefined;
    if (!parsed?.success) {
      emitMetric(this.options.onMetric, { ...metric, outcome: "invalid_response", status: answer.status, latencyMs });
      // Never echo the body: it may hold a token.
      throw new PincodeResponseError({
        endpoint: TOKEN_PATH,
        status: answer.status,
        requestId: "none",
        reason: json.ok ? "no access_token in the token response" : "token response is not JSON",
      });
    }
    emitMetric(this.options.onMetric, { ...metric, outcome: "success", status: answer.status, latencyMs });
    const body = parsed.data;
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token || undefined,
      renewAt: computeRenewAt(
        body,
        this.now(),
        this.options.safetyMarginMs ?? 60_000,
        this.options.defaultLifetimeMs ?? 5 * 60_000,
      ),
    };
  }
}

function readOAuthError(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const error = (value as { error?: unknown }).error;
  return typeof error === "string" ? error : undefined;
}
