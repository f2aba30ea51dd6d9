import { describe, expect, it } from "vitest";
import { createEmfMetrics } from "../../functions/adapters/emf-writer.ts";
import { createLogger } from "../../functions/adapters/observability.ts";
import { type CallbackAuthDeps, createCallbackAuthHandler } from "../../functions/callback-auth/create-handler.ts";
import {
  authenticateCallback,
  type CallbackAuthMode,
  verifyCallbackToken,
} from "../../functions/core/callback-auth.ts";
import { formEncode, tokenEvent } from "../support/api-gateway-event.ts";
import { captureStdout, emfMetrics } from "../support/capture-stdout.ts";

const secret = {
  clientId: "pincode-test-client",
  clientSecret: "test-client-secret-0123456789",
  signingKey: "unit-test-signing-key-0123456789-abcdefghij",
};
const NOW = Date.UTC(2025, 0, 15, 10, 0, 0);

const handlerFor = (overrides: Partial<CallbackAuthDeps> & { mode?: CallbackAuthMode } = {}) =>
  createCallbackAuthHandler({
    authMode: overrides.mode ?? "oauth",
    loadAuthSecret: async () => secret,
    logger: createLogger("callback-auth-test"),
    metrics: createEmfMetrics("callback-auth-test"),
    now: () => NOW,
    ...overrides,
  });

const formHeaders = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };
const grant = (fields: Record<string, string> = {}) =>
  formEncode({
    grant_type: "client_credentials",
    client_id: secret.clientId,
    client_secret: secret.clientSecret,
    ...fields,
  });
const basic = (id: string, pass: string) => `Basic ${Buffer.from(`${id}:${pass}`).toString("base64")}`;

const invoke = async (handler: ReturnType<typeof handlerFor>, event: ReturnType<typeof tokenEvent>) => {
  const { result, records } = await captureStdout(() => handler(event));
  return { ...result, json: JSON.parse(result.body) as Record<string, unknown>, records };
};

describe("POST /pincode/oauth/token (RFC 6749 client credentials)", () => {
  it("issues a short-lived Bearer JWT for form-encoded client credentials", async () => {
    // Act
    const reply = await invoke(handlerFor(), tokenEvent({ headers: formHeaders, body: grant({ scope: "callbacks" }) }));
    // Assess
    expect(reply.statusCode).toBe(200);
    expect(reply.headers).toMatchObject({ "Cache-Control": "no-store", "Content-Type": "application/json" });
    expect(reply.json).toMatchObject({ token_type: "Bearer", expires_in: 900, scope: "callbacks" });
    const token = String(reply.json.access_token);
    expect(await verifyCallbackToken(secret, token, NOW + 60_000)).toMatchObject({ ok: true });
    // ... and the callback endpoint accepts it, as Bearer or O-Bearer.
    expect(await authenticateCallback("oauth", secret, `O-Bearer ${token}`, NOW)).toMatchObject({ ok: true });
    expect(emfMetrics(reply.records, "TokensIssued")).toHaveLength(1);
  });

  it("answers an unexpected failure with 500 server_error in OAuth's shape, never a bare crash", async () => {
    // Prepare: a signing key that passed no validation makes token signing throw inside the handler
    const broken = { ...secret, signingKey: undefined as unknown as string };
    // Act
    const reply = await invoke(
      handlerFor({ loadAuthSecret: async () => broken }),
      tokenEvent({ headers: formHeaders, body: grant() }),
    );
    // Assess
    expect(reply.statusCode).toBe(500);
    expect(reply.headers).toMatchObject({ "Cache-Control": "no-store" });
    expect(reply.json).toEqual({
      error: "server_error",
      error_description: "the token could not be issued; retry later",
    });
    expect(reply.records.some((r) => r.message === "token endpoint failed")).toBe(true);
    expect(JSON.stringify(reply.records)).not.toContain(secret.clientSecret);
  });

  it("accepts client credentials in HTTP Basic auth (RFC 6749 §2.3.1)", async () => {
    const event = tokenEvent({
      headers: { ...formHeaders, Authorization: basic(secret.clientId, secret.clientSecret) },
      body: formEncode({ grant_type: "client_credentials" }),
    });
    const reply = await invoke(handlerFor(), event);
    expect(reply.statusCode).toBe(200);
    expect(await verifyCallbackToken(secret, String(reply.json.access_token), NOW)).toMatchObject({ ok: true });
  });

  it("accepts a form-encoded Basic secret and a base64-encoded API Gateway body", async () => {
    const odd = { ...secret, clientSecret: "secret with spaces & symbols=0123" };
    const handler = handlerFor({ loadAuthSecret: async () => odd });
    const encoded = basic(encodeURIComponent(odd.clientId), encodeURIComponent(odd.clientSecret).replace(/%20/g, "+"));
    const reply = await invoke(
      handler,
      tokenEvent({ headers: { authorization: encoded }, body: "grant_type=client_credentials", base64: true }),
    );
    expect(reply.statusCode).toBe(200);
  });

  it("refuses a wrong secret with 401 invalid_client, and a Basic challenge when Basic was used", async () => {
    const inBody = await invoke(handlerFor(), tokenEvent({ body: grant({ client_secret: "wrong-secret" }) }));
    expect(inBody.statusCode).toBe(401);
    expect(inBody.json).toEqual({ error: "invalid_client", error_description: "client authentication failed" });
    expect(inBody.headers?.["WWW-Authenticate"]).toBeUndefined();

    const viaBasic = await invoke(
      handlerFor(),
      tokenEvent({
        headers: { Authorization: basic(secret.clientId, "wrong-secret") },
        body: "grant_type=client_credentials",
      }),
    );
    expect(viaBasic.statusCode).toBe(401);
    expect(viaBasic.headers?.["WWW-Authenticate"]).toContain("Basic");
    expect(emfMetrics(viaBasic.records, "TokenRequestsRejected")[0]).toMatchObject({ reason: "invalid_client" });
  });

  it("refuses an unknown client id with the same answer as a wrong secret", async () => {
    const reply = await invoke(handlerFor(), tokenEvent({ body: grant({ client_id: "someone-else" }) }));
    expect(reply.statusCode).toBe(401);
    expect(reply.json.error).toBe("invalid_client");
  });

  it.each([
    [formEncode({ grant_type: "password", client_id: "a", client_secret: "b" }), 400, "unsupported_grant_type"],
    [formEncode({ grant_type: "refresh_token", refresh_token: "x" }), 400, "unsupported_grant_type"],
    [formEncode({ client_id: secret.clientId, client_secret: secret.clientSecret }), 400, "invalid_request"],
    ["grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"],
    ["grant_type=client_credentials", 401, "invalid_client"],
    ['{"grant_type": ', 400, "invalid_request"],
  ])("answers %j with %i %s", async (body, status, error) => {
    const reply = await invoke(handlerFor(), tokenEvent({ body }));
    expect(reply.statusCode).toBe(status);
    expect(reply.json.error).toBe(error);
    expect(reply.headers?.["Cache-Control"]).toBe("no-store");
  });

  it("refuses credentials sent both in Basic auth and in the body (RFC 6749 §2.3)", async () => {
    const reply = await invoke(
      handlerFor(),
      tokenEvent({ headers: { Authorization: basic(secret.clientId, secret.clientSecret) }, body: grant() }),
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.json.error).toBe("invalid_request");
  });

  it("tolerates a JSON body", async () => {
    const body = JSON.stringify({
      grant_type: "client_credentials",
      client_id: secret.clientId,
      client_secret: secret.clientSecret,
    });
    const reply = await invoke(handlerFor(), tokenEvent({ headers: { "Content-Type": "application/json" }, body }));
    expect(reply.statusCode).toBe(200);
  });

  it("grants the callbacks scope whatever scope was asked for (A17)", async () => {
    const reply = await invoke(handlerFor(), tokenEvent({ body: grant({ scope: "pincode.callback write" }) }));
    expect(reply.statusCode).toBe(200);
    expect(reply.json.scope).toBe("callbacks");
  });

  it("issues no token in static mode", async () => {
    const reply = await invoke(handlerFor({ mode: "static" }), tokenEvent({ body: grant() }));
    expect(reply.statusCode).toBe(400);
    expect(reply.json.error).toBe("unauthorized_client");
  });

  it("answers 503 when the secret cannot be read, and never logs secrets", async () => {
    const failing = handlerFor({
      loadAuthSecret: async () => {
        throw new Error("AccessDeniedException");
      },
    });
    const reply = await invoke(failing, tokenEvent({ body: grant() }));
    expect(reply.statusCode).toBe(503);
    expect(reply.json.error).toBe("temporarily_unavailable");

    const ok = await captureStdout(() => handlerFor()(tokenEvent({ body: grant() })));
    const logged = ok.lines.join("\n");
    expect(logged).toContain("token issued");
    expect(logged).not.toContain(secret.clientSecret);
    expect(logged).not.toContain(JSON.parse(ok.result.body).access_token);
  });
});
