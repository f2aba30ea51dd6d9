/**
 * Fuzzed edge: `POST /pincode/oauth/token`, the real token handler with real API Gateway REST proxy events. Whatever
 * arrives (credentials in the body, in Basic auth, in both, wrong, missing, malformed; odd grant types and scopes;
 * repeated and unknown parameters; JSON or form bodies under any content type; a base64 flag; wrong methods; huge
 * bodies), the handler answers, never 5xx while the secret is readable, only with RFC 6749 §5.2 errors documented in
 * docs/callbacks.md, never quoting a value or a secret, and issues a token only to the right credentials.
 * The one 5xx, the secret being unreadable, is its own property.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEmfMetrics } from "../../functions/adapters/emf-writer.ts";
import { createLogger } from "../../functions/adapters/observability.ts";
import {
  type CallbackAuthDeps,
  createCallbackAuthHandler,
  MAX_TOKEN_REQUEST_BYTES,
} from "../../functions/callback-auth/create-handler.ts";
import { verifyCallbackToken } from "../../functions/core/callback-auth.ts";
import { AUTH_SECRET } from "../integration/callback.harness.ts";
import { buildApiGatewayEvent } from "../support/api-gateway-event.ts";
import {
  type BodyEncoding,
  bodyEncoding,
  CANARIES,
  canary,
  contentType,
  fuzzRuns,
  httpMethod,
  leaks,
  oddHeaders,
  oddString,
} from "./fuzz-support.ts";

const SECRETS = [AUTH_SECRET.clientSecret, AUTH_SECRET.signingKey, AUTH_SECRET.staticToken];
const DOCUMENTED: Record<number, readonly string[]> = {
  400: ["invalid_request", "unsupported_grant_type", "unauthorized_client"],
  401: ["invalid_client"],
  405: ["invalid_request"],
};

function handler(overrides: Partial<CallbackAuthDeps> = {}) {
  const logger = createLogger("token-fuzz");
  logger.setLogLevel("SILENT");
  return createCallbackAuthHandler({
    authMode: "oauth+static",
    loadAuthSecret: async () => AUTH_SECRET,
    logger,
    // Thousands of runs: keep the EMF lines off the test output (the EMF format has its own test).
    metrics: createEmfMetrics("token-fuzz", { POWERTOOLS_METRICS_DISABLED: "true" }),
    ...overrides,
  });
}

type Where = "body" | "basic" | "both" | "none" | "json";
type Who = "right" | "wrong-secret" | "wrong-id" | "empty-secret" | "secret-case";

const request = fc.record({
  method: httpMethod("POST"),
  where: fc.constantFrom<Where>("body", "basic", "both", "none", "json"),
  who: fc.constantFrom<Who>("right", "right", "wrong-secret", "wrong-id", "empty-secret", "secret-case"),
  grant: fc.oneof(
    { weight: 6, arbitrary: fc.constant<string | undefined>("client_credentials") },
    { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
    {
      weight: 2,
      arbitrary: fc.constantFrom("password", "authorization_code", "CLIENT_CREDENTIALS", "", "refresh_token"),
    },
    { weight: 1, arbitrary: oddString },
  ),
  repeatGrant: fc.nat({ max: 4 }).map((n) => n === 0),
  scope: fc.option(fc.oneof(fc.constantFrom("callbacks", "orders", "callbacks orders"), oddString, canary), {
    nil: undefined,
  }),
  extra: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 10 }), canary), fc.oneof(oddString, canary)), {
    maxLength: 3,
  }),
  basicShape: fc.constantFrom("standard", "form-encoded-secret", "no-colon", "not-base64", "lower-scheme"),
  huge: fc.nat({ max: 9 }).map((n) => n === 0),
  contentType,
  encoding: bodyEncoding,
  headers: oddHeaders,
});
type TokenRequestCase = typeof request extends fc.Arbitrary<infer T> ? T : never;

function eventOf(r: TokenRequestCase): { event: APIGatewayProxyEvent; shouldIssue: boolean | undefined } {
  const id = r.who === "wrong-id" ? "someone-else" : AUTH_SECRET.clientId;
  const secret =
    r.who === "wrong-secret"
      ? "not-the-client-secret-0123456789"
      : r.who === "empty-secret"
        ? ""
        : r.who === "secret-case"
          ? AUTH_SECRET.clientSecret.toUpperCase()
          : AUTH_SECRET.clientSecret;
  const params: [string, string][] = [];
  if (r.grant !== undefined) params.push(["grant_type", r.grant]);
  if (r.repeatGrant && r.grant !== undefined) params.push(["grant_type", r.grant]);
  if (r.where === "body" || r.where === "both" || r.where === "json") {
    params.push(["client_id", id], ["client_secret", secret]);
  }
  if (r.scope !== undefined) params.push(["scope", r.scope]);
  for (const [k, v] of r.extra) {
    if (!["grant_type", "client_id", "client_secret", "scope"].includes(k)) params.push([k, v]);
  }
  let body = r.where === "json" ? JSON.stringify(Object.fromEntries(params)) : new URLSearchParams(params).toString();
  if (r.huge) body = `${body}&padding=${"p".repeat(9000)}`;

  const headers: Record<string, string | string[] | undefined> = { ...r.headers };
  if (r.contentType !== undefined) headers["Content-Type"] = r.contentType;
  if (r.where === "basic" || r.where === "both") {
    const pair =
      r.basicShape === "form-encoded-secret"
        ? `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`
        : r.basicShape === "no-colon"
          ? `${id}${secret}`
          : `${id}:${secret}`;
    const encoded = r.basicShape === "not-base64" ? `${id}:${secret}` : Buffer.from(pair).toString("base64");
    headers.Authorization = `${r.basicShape === "lower-scheme" ? "basic" : "Basic"} ${encoded}`;
  }
  const event = buildApiGatewayEvent({
    method: r.method,
    path: "/pincode/oauth/token",
    headers,
    body,
    ...(r.encoding === "base64" ? { base64: true } : {}),
  });
  const lying = (r.encoding as BodyEncoding) === "lying-base64";
  if (lying && event.body !== null && !event.isBase64Encoded) event.isBase64Encoded = true;

  const credentialsRight =
    r.who === "right" &&
    (r.where === "body" ||
      r.where === "json" ||
      (r.where === "basic" && ["standard", "form-encoded-secret", "lower-scheme"].includes(r.basicShape)));
  const shouldIssue =
    lying || Buffer.byteLength(body) > MAX_TOKEN_REQUEST_BYTES
      ? lying
        ? undefined
        : false
      : r.method.toUpperCase() === "POST" &&
        credentialsRight &&
        r.grant === "client_credentials" &&
        // A JSON object cannot repeat a key: the repetition collapses into one grant_type.
        (!r.repeatGrant || r.where === "json");
  return { event, shouldIssue };
}

describe("fuzzed token endpoint", () => {
  it("issues tokens only to the right credentials and otherwise answers a documented OAuth error", async () => {
    const tokens = handler();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { event, shouldIssue } = eventOf(r);

        const reply = await tokens(event);

        seen.set(reply.statusCode, (seen.get(reply.statusCode) ?? 0) + 1);
        const json = JSON.parse(reply.body) as Record<string, unknown>;
        expect(reply.headers).toMatchObject({ "Content-Type": "application/json", "Cache-Control": "no-store" });
        if (r.method.toUpperCase() !== "POST") expect(reply.statusCode).toBe(405);
        if (shouldIssue !== undefined) expect(reply.statusCode === 200, JSON.stringify(json)).toBe(shouldIssue);
        if (reply.statusCode === 200) {
          // Only the right secret ever gets a token, and the token is one the callback accepts.
          expect(r.who).toBe("right");
          expect(await verifyCallbackToken(AUTH_SECRET, String(json.access_token))).toMatchObject({ ok: true });
          expect(json).toMatchObject({ token_type: "Bearer", scope: "callbacks" });
        } else {
          expect(Object.keys(json).sort()).toEqual(["error", "error_description"]);
          expect(DOCUMENTED[reply.statusCode], `${reply.statusCode} ${reply.body}`).toContain(json.error);
          expect(String(json.error_description).length).toBeGreaterThan(10);
          expect(leaks(reply.body, SECRETS)).toEqual([]);
          if (reply.statusCode === 401 && String(event.headers.Authorization ?? "").match(/^basic/i)) {
            expect(reply.headers?.["WWW-Authenticate"]).toMatch(/^Basic /);
          }
        }
      }),
      { numRuns: fuzzRuns(300) },
    );
    expect([...seen.keys()].sort()).toEqual([200, 400, 401, 405]);
  });

  it("answers 503 temporarily_unavailable only when the secret cannot be read", async () => {
    const down = handler({
      loadAuthSecret: async () => {
        throw Object.assign(new Error("Secrets Manager unreachable"), { name: "InternalServiceError" });
      },
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { event, shouldIssue } = eventOf(r);
        const reply = await down(event);
        const json = JSON.parse(reply.body) as Record<string, unknown>;
        // The request's own faults are answered without the secret; a well-formed request needs it: 503.
        if (shouldIssue === true) expect(reply.statusCode).toBe(503);
        if (reply.statusCode >= 500) {
          expect(reply.statusCode).toBe(503);
          expect(json.error).toBe("temporarily_unavailable");
        }
      }),
      { numRuns: fuzzRuns(100) },
    );
  });

  it("ignores repeated unknown parameters and never names them (a name can be anything the caller sent)", async () => {
    const body = new URLSearchParams([
      ["grant_type", "client_credentials"],
      ["client_id", AUTH_SECRET.clientId],
      ["client_secret", AUTH_SECRET.clientSecret],
      [CANARIES[1], "a"],
      [CANARIES[1], "b"],
    ]).toString();
    const ok = await handler()(buildApiGatewayEvent({ path: "/pincode/oauth/token", body }));
    expect(ok.statusCode).toBe(200);
    const repeated = await handler()(
      buildApiGatewayEvent({ path: "/pincode/oauth/token", body: `${body}&grant_type=client_credentials` }),
    );
    expect(repeated.statusCode).toBe(400);
    expect(JSON.parse(repeated.body)).toEqual({
      error: "invalid_request",
      error_description: "parameter grant_type is repeated",
    });
  });
});
