/**
 * `POST /pincode/oauth/token`: the OAuth 2.0 client-credentials token endpoint Pincode calls before each callback
 * (PINCODE-API §3.1, A17). Issues short-lived HS256 JWTs the callback function verifies.
 *
 * RFC 6749: credentials in the form body or HTTP Basic (§2.3.1), `grant_type=client_credentials` (§4.4), replies
 * `{access_token, token_type, expires_in, scope}` with `Cache-Control: no-store` (§5.1), errors per §5.2.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { MetricsSink } from "#adapters/emf-writer.ts";
import type { CallbackAuthSecret } from "#adapters/secrets.ts";
import {
  CALLBACK_SCOPE,
  type CallbackAuthMode,
  DEFAULT_TOKEN_TTL_SECONDS,
  issueCallbackToken,
  secretsEqual,
} from "#core/callback-auth.ts";
import { bodyBytes, headerValue } from "#core/http-request.ts";
import { jsonResponse } from "#core/http-response.ts";
import { type OAuthError, parseTokenRequest } from "#core/token-request.ts";

/** A token request is a few short parameters; anything bigger is not one. */
export const MAX_TOKEN_REQUEST_BYTES = 8 * 1024;

export interface CallbackAuthDeps {
  authMode: CallbackAuthMode;
  /** The callback auth secret (on AWS: Secrets Manager, cached per container). Called on every request. */
  loadAuthSecret: () => Promise<Pick<CallbackAuthSecret, "clientId" | "clientSecret" | "signingKey">>;
  logger: Logger;
  /** EMF metrics: `EmfMetrics` on AWS (functions/adapters/emf-writer.ts); Powertools' `Metrics` has the same shape. */
  metrics: MetricsSink;
  now?: () => number;
  tokenTtlSeconds?: number;
}

export type CallbackAuthHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** RFC 6749 §5.1: token responses (and their errors) must not be cached. */
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

export function createCallbackAuthHandler(deps: CallbackAuthDeps): CallbackAuthHandler {
  const now = deps.now ?? Date.now;
  const ttlSeconds = deps.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const { logger, metrics } = deps;

  const count = (name: string, dimension?: [string, string]) => {
    const single = metrics.singleMetric();
    if (dimension) single.addDimension(dimension[0], dimension[1]);
    single.addMetric(name, "Count", 1);
  };

  const oauthError = (error: OAuthError, log: Record<string, unknown>): APIGatewayProxyResult => {
    count("TokenRequestsRejected", ["reason", error.error]);
    logger.warn("token request rejected", { ...log, error: error.error, description: error.description });
    const challenge: Record<string, string> =
      error.status === 401 && error.basicAttempted ? { "WWW-Authenticate": 'Basic realm="pincode-bridge"' } : {};
    return jsonResponse(
      error.status,
      { error: error.error, error_description: error.description },
      { ...NO_STORE, ...challenge },
    );
  };

  const handle: CallbackAuthHandler = async (event) => {
    const log = { apiRequestId: event.requestContext?.requestId, sourceIp: event.requestContext?.identity?.sourceIp };
    // RFC 6749 §3.2: the client MUST use POST. API Gateway routes only POST here; a direct invocation still gets 405.
    if (event.httpMethod !== undefined && event.httpMethod.toUpperCase() !== "POST") {
      count("TokenRequestsRejected", ["reason", "method_not_allowed"]);
      logger.warn("token request rejected", { ...log, error: "method_not_allowed" });
      return jsonResponse(
        405,
        { error: "invalid_request", error_description: "the token endpoint accepts POST only" },
        { ...NO_STORE, Allow: "POST" },
      );
    }
    const raw = bodyBytes(event);
    if (raw.length > MAX_TOKEN_REQUEST_BYTES) {
      return oauthError(
        {
          status: 400,
          error: "invalid_request",
          description: `body is over ${MAX_TOKEN_REQUEST_BYTES} bytes`,
          basicAttempted: false,
        },
        log,
      );
    }

    const parsed = parseTokenRequest(raw.toString("utf8"), headerValue(event, "authorization"));
    if (!parsed.ok) return oauthError(parsed.error, log);
    const request = parsed.request;
    const basicAttempted = request.via === "basic";

    let secret: Awaited<ReturnType<CallbackAuthDeps["loadAuthSecret"]>>;
    try {
      secret = await deps.loadAuthSecret();
    } catch (error) {
      logger.error("callback auth secret unavailable", { ...log, error: error instanceof Error ? error.name : "?" });
      count("TokenRequestsRejected", ["reason", "temporarily_unavailable"]);
      return jsonResponse(
        503,
        { error: "temporarily_unavailable", error_description: "cannot verify client credentials right now" },
        NO_STORE,
      );
    }

    // Both comparisons always run, so the reply time does not tell which of the two was wrong.
    const idMatches = secretsEqual(request.clientId, secret.clientId);
    const secretMatches = request.clientSecretCandidates
      .map((candidate) => secretsEqual(candidate, secret.clientSecret))
      .some(Boolean);
    if (!idMatches || !secretMatches) {
      return oauthError(
        { status: 401, error: "invalid_client", description: "client authentication failed", basicAttempted },
        { ...log, via: request.via },
      );
    }
    if (deps.authMode === "static") {
      return oauthError(
        {
          status: 400,
          error: "unauthorized_client",
          description: "OAuth tokens are not issued: callbacks use the static token (CALLBACK_AUTH_MODE=static)",
          basicAttempted,
        },
        log,
      );
    }

    // A17: the scope Pincode sends is whatever it was told at registration; we grant the one scope we have and
    // say so in the reply (RFC 6749 §3.3) rather than fail a callback over a spelling.
    if (request.scope !== undefined && request.scope !== CALLBACK_SCOPE) {
      logger.warn("token request asked for a different scope; granting the callbacks scope", {
        ...log,
        requestedScope: request.scope.slice(0, 100),
      });
    }
    const token = await issueCallbackToken(secret, {
      clientId: secret.clientId,
      scope: CALLBACK_SCOPE,
      nowMs: now(),
      ttlSeconds,
    });
    count("TokensIssued");
    logger.info("token issued", { ...log, via: request.via, expiresIn: token.expiresIn });
    return jsonResponse(
      200,
      { access_token: token.accessToken, token_type: "Bearer", expires_in: token.expiresIn, scope: token.scope },
      NO_STORE,
    );
  };

  return async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      // A bug must still answer in OAuth's error shape (RFC 6749 §5.2 "server_error"), not API Gateway's 502.
      logger.error("token endpoint failed", {
        apiRequestId: event.requestContext?.requestId,
        error: error instanceof Error ? error.name : typeof error,
      });
      return jsonResponse(
        500,
        { error: "server_error", error_description: "the token could not be issued; retry later" },
        NO_STORE,
      );
    }
  };
}
