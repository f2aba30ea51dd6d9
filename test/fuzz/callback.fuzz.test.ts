/**
 * Fuzzed edge: `POST /pincode/callbacks`. The real callback handler, real API Gateway REST proxy events, the events
 * queue on fauxqs. Whatever arrives (malformed or deeply nested JSON, wrong types, huge strings, wrong content types,
 * a base64 flag that lies, missing / forged / expired / replayed / foreign tokens, wrong methods, odd headers):
 *   - the handler answers (never throws) and never 5xx while SQS is up;
 *   - the answer is one of the documented ones (docs/callbacks.md): 200 ACK, 400 MALFORMED_BODY / INVALID_CALLBACK,
 *     401 UNAUTHORIZED, 405 METHOD_NOT_ALLOWED, 413 PAYLOAD_TOO_LARGE, each an `{error, message}` JSON body;
 *   - nothing is queued for a refusal but, for an authenticated 400, its one `callback.quarantined` message;
 *   - no answer quotes a value from the request (canaries) or a secret.
 * The one 5xx, the queue being down, is its own property at the end.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { APIGatewayProxyEvent } from "aws-lambda";
import fc from "fast-check";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueuePublisher } from "../../functions/adapters/queue-publisher.ts";
import { MAX_CALLBACK_BODY_BYTES } from "../../functions/callback/create-handler.ts";
import {
  CALLBACK_SCOPE,
  DEFAULT_TOKEN_TTL_SECONDS,
  issueCallbackToken,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from "../../functions/core/callback-auth.ts";
import { resolveGatewayRoute } from "../../functions/core/routes.ts";
import { AUTH_SECRET, type CallbackHarness, startCallbackHarness } from "../integration/callback.harness.ts";
import { buildApiGatewayEvent } from "../support/api-gateway-event.ts";
import {
  type BodyEncoding,
  bodyEncoding,
  CANARIES,
  canary,
  contentType,
  deeplyNested,
  fuzzRuns,
  httpMethod,
  leaks,
  malformed,
  oddHeaders,
  oddJson,
  oddString,
} from "./fuzz-support.ts";

const ORDER_VIEW = readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8");
const SUBMISSION = readFileSync(
  new URL("../fixtures/pincode/store_toggle_submission_callback.json", import.meta.url),
  "utf8",
);
const SECRETS = [AUTH_SECRET.clientSecret, AUTH_SECRET.signingKey, AUTH_SECRET.staticToken];
const OTHER_KEY = "another-deployment-signing-key-0123456789-abcdef";

/** The documented answers (docs/callbacks.md "Answers"). */
const DOCUMENTED: Record<number, readonly string[]> = {
  400: ["MALFORMED_BODY", "INVALID_CALLBACK"],
  401: ["UNAUTHORIZED"],
  405: ["METHOD_NOT_ALLOWED"],
  413: ["PAYLOAD_TOO_LARGE"],
};

type Credential = { header: string | string[] | undefined; valid: boolean; what: string };

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token signed like ours but with one thing wrong. */
async function foreignToken(
  change: "audience" | "issuer" | "subject" | "scope" | "key" | "no-exp",
  nowMs: number,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const jwt = new SignJWT({ scope: change === "scope" ? "orders:write" : CALLBACK_SCOPE })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(change === "issuer" ? "someone-else" : TOKEN_ISSUER)
    .setAudience(change === "audience" ? "another-api" : TOKEN_AUDIENCE)
    .setSubject(change === "subject" ? "another-client" : AUTH_SECRET.clientId)
    .setIssuedAt(iat)
    .setJti(randomUUID());
  if (change !== "no-exp") jwt.setExpirationTime(iat + 600);
  const key = change === "key" ? OTHER_KEY : AUTH_SECRET.signingKey;
  return jwt.sign(new TextEncoder().encode(key));
}

/** Every kind of credential: right ones, missing, forged, expired, replayed after expiry, foreign, odd spellings. */
const credential: fc.Arbitrary<() => Promise<Credential>> = fc
  .oneof(
    { weight: 6, arbitrary: fc.constantFrom("Bearer", "O-Bearer", "bearer", "  Bearer ") },
    { weight: 10, arbitrary: fc.constantFrom("missing", "empty", "static", "static-lower-scheme", "basic", "secret") },
    { weight: 6, arbitrary: fc.constantFrom("expired", "replayed", "tampered", "alg-none", "truncated") },
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        "foreign:audience",
        "foreign:issuer",
        "foreign:subject",
        "foreign:scope",
        "foreign:key",
      ),
    },
    { weight: 1, arbitrary: fc.constant("foreign:no-exp") },
    { weight: 4, arbitrary: fc.constantFrom("garbage", "repeated-valid-last", "repeated-valid-first") },
  )
  .chain((kind) =>
    fc
      .tuple(fc.constant(kind), oddString, fc.integer({ min: 31, max: 86_400 }))
      .map(([k, junk, lateSeconds]) => async (): Promise<Credential> => {
        const now = Date.now();
        const fresh = async (at = now) =>
          (await issueCallbackToken(AUTH_SECRET, { clientId: AUTH_SECRET.clientId, nowMs: at })).accessToken;
        const ok = (header: string | string[]) => ({ header, valid: true, what: k });
        const no = (header: string | string[] | undefined) => ({ header, valid: false, what: k });
        switch (k) {
          case "Bearer":
          case "O-Bearer":
          case "bearer":
          case "  Bearer ":
            return ok(`${k} ${await fresh()}`);
          case "missing":
            return no(undefined);
          case "empty":
            return no("");
          case "static":
            return ok(`Bearer ${AUTH_SECRET.staticToken}`);
          case "static-lower-scheme":
            return ok(`o-bearer ${AUTH_SECRET.staticToken}`);
          case "basic":
            return no(`Basic ${Buffer.from(`${AUTH_SECRET.clientId}:${AUTH_SECRET.clientSecret}`).toString("base64")}`);
          case "secret":
            return no(`Bearer ${AUTH_SECRET.clientSecret}`);
          case "expired":
            // Issued a full lifetime plus the clock tolerance ago.
            return no(`Bearer ${await fresh(now - (DEFAULT_TOKEN_TTL_SECONDS + lateSeconds) * 1000)}`);
          case "replayed": {
            // A token that was good once, presented again after it expired (docs/callbacks.md "Replay").
            const token = await fresh(now - (DEFAULT_TOKEN_TTL_SECONDS + lateSeconds) * 1000);
            return no(`Bearer ${token}`);
          }
          case "tampered": {
            const [header, , signature] = (await fresh()).split(".");
            const payload = b64url({ sub: AUTH_SECRET.clientId, scope: CALLBACK_SCOPE, exp: 9_999_999_999 });
            return no(`Bearer ${header}.${payload}.${signature}`);
          }
          case "alg-none": {
            const iat = Math.floor(now / 1000);
            const claims = { iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: AUTH_SECRET.clientId, iat, exp: iat + 600 };
            return no(`Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...claims, scope: CALLBACK_SCOPE })}.`);
          }
          case "truncated":
            return no(`Bearer ${(await fresh()).slice(0, -5)}`);
          case "garbage":
            return no(junk === "" ? "Bearer" : `${junk.slice(0, 5)} ${junk}`);
          case "repeated-valid-last":
            // API Gateway keeps the last value of a repeated header in `headers`: the one the handler reads.
            return { header: [`Bearer ${junk || "x"}`, `Bearer ${await fresh()}`], valid: true, what: k };
          case "repeated-valid-first":
            return { header: [`Bearer ${await fresh()}`, `Bearer x${junk}`], valid: false, what: k };
          default: {
            const change = k.slice("foreign:".length) as Parameters<typeof foreignToken>[0];
            return no(`Bearer ${await foreignToken(change, now)}`);
          }
        }
      }),
  );

type Body = { bytes: Uint8Array | string | null; valid: boolean | undefined; what: string };

/** Sets a value at a random place inside the order (never its id or the requestContext). */
const mutatedOrderView = fc
  .record({
    field: fc.constantFrom(
      "items",
      "orderState",
      "billing",
      "fulfillments",
      "updatedAt",
      "quote",
      "serviceProvider",
      "actions",
      "payment",
    ),
    value: oddJson,
    format: fc.constantFrom("json", "form-field", "form-encoded-json", "json-with-bom-space"),
  })
  .map(({ field, value, format }): Body => {
    const body = JSON.parse(ORDER_VIEW) as { response: Record<string, unknown>; requestContext: { requestId: string } };
    body.response[field] = value;
    body.requestContext.requestId = `FUZZ-${randomUUID()}`;
    const json = JSON.stringify(body);
    const bytes =
      format === "form-field"
        ? `payload=${encodeURIComponent(json)}`
        : format === "form-encoded-json"
          ? encodeURIComponent(json)
          : format === "json-with-bom-space"
            ? `  \n${json}\n`
            : json;
    return { bytes, valid: true, what: `ORDER_VIEW with ${field} changed (${format})` };
  });

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 5, arbitrary: mutatedOrderView },
  {
    weight: 1,
    arbitrary: fc.constant<Body>({ bytes: SUBMISSION, valid: true, what: "submission result" }),
  },
  {
    weight: 3,
    arbitrary: malformed(ORDER_VIEW).map((bytes): Body => ({ bytes, valid: undefined, what: "malformed JSON" })),
  },
  {
    weight: 3,
    arbitrary: oddJson.map(
      (value): Body => ({ bytes: JSON.stringify(value) ?? "", valid: undefined, what: "any JSON" }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ field: fc.constantFrom("requestContext", "response", "type", "submissionId"), value: oddJson })
      .map(({ field, value }): Body => {
        const b = JSON.parse(ORDER_VIEW) as Record<string, unknown>;
        b[field] = value;
        return { bytes: JSON.stringify(b), valid: undefined, what: `ORDER_VIEW with envelope field ${field} changed` };
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ type: fc.constantFrom("response.id", "requestContext.requestId"), value: oddJson })
      .filter(({ value }) => typeof value !== "string" || value.trim() === "")
      .map(({ type, value }): Body => {
        const b = JSON.parse(ORDER_VIEW) as {
          response: Record<string, unknown>;
          requestContext: Record<string, unknown>;
        };
        if (type === "response.id") b.response.id = value;
        else b.requestContext.requestId = value;
        return { bytes: JSON.stringify(b), valid: false, what: `${type} not a usable string` };
      }),
  },
  { weight: 2, arbitrary: deeplyNested.map((bytes): Body => ({ bytes, valid: false, what: "deeply nested JSON" })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 70, max: 20_000 }).map((depth): Body => {
      const b = JSON.parse(ORDER_VIEW) as { response: Record<string, unknown> };
      b.response.extra = "__NEST__";
      const json = JSON.stringify(b).replace('"__NEST__"', `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
      return { bytes: json, valid: false, what: "ORDER_VIEW with a deeply nested field" };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 200_000, max: 300_000 }).map((n): Body => {
      const b = JSON.parse(ORDER_VIEW) as { response: Record<string, unknown> };
      b.response.note = `${CANARIES[2]}${"y".repeat(n)}`;
      const json = JSON.stringify(b);
      return { bytes: json, valid: json.length <= MAX_CALLBACK_BODY_BYTES ? true : undefined, what: "huge string" };
    }),
  },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes): Body => ({ bytes, valid: undefined, what: "bytes" })),
  },
  {
    weight: 2,
    arbitrary: fc
      .dictionary(fc.oneof(fc.string({ maxLength: 10 }), canary), fc.oneof(oddString, canary), { maxKeys: 4 })
      .map(
        (fields): Body => ({
          bytes: new URLSearchParams(fields).toString(),
          valid: undefined,
          what: "form fields",
        }),
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom<Body>({ bytes: null, valid: false, what: "no body" }) },
);

function eventOf(input: {
  method: string;
  credential: Credential;
  body: Body;
  encoding: BodyEncoding;
  contentType: string | undefined;
  headers: Record<string, string | string[]>;
}): APIGatewayProxyEvent {
  const headers: Record<string, string | string[] | undefined> = { ...input.headers };
  if (input.contentType !== undefined) headers["Content-Type"] = input.contentType;
  headers.Authorization = input.credential.header;
  const event = buildApiGatewayEvent({
    method: input.method,
    path: "/pincode/callbacks",
    headers,
    body: input.body.bytes,
    ...(input.encoding === "base64" ? { base64: true } : {}),
  });
  if (input.encoding === "lying-base64" && event.body !== null && !event.isBase64Encoded) event.isBase64Encoded = true;
  return event;
}

let h: CallbackHarness;
beforeAll(async () => {
  h = await startCallbackHarness({ logLevel: "SILENT" });
});
afterAll(async () => {
  await h?.stop();
});

describe("fuzzed callback edge", () => {
  it("answers every request with a documented status, queues only what it accepts, quotes nothing", async () => {
    const sent: { kind: string }[] = [];
    const publisher = createQueuePublisher(h.queues.client);
    const handler = h.callbackHandler({
      publisher: {
        send: async (url, message, options) => {
          await publisher.send(url, message, options);
          sent.push(message as { kind: string });
        },
      },
    });
    await h.drainEvents();
    let accepted = 0;
    let quarantined = 0;
    const valid = async (): Promise<Credential> => ({
      header: `Bearer ${await h.token()}`,
      valid: true,
      what: "fresh",
    });
    const seen = new Map<number, number>();

    await fc.assert(
      fc.asyncProperty(
        httpMethod("POST"),
        credential,
        body,
        bodyEncoding,
        contentType,
        oddHeaders,
        async (method, makeCredential, b, encoding, type, headers) => {
          const cred = await makeCredential();
          const event = eventOf({ method, credential: cred, body: b, encoding, contentType: type, headers });
          const bodyLength = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8").length;
          sent.length = 0;

          const reply = await handler(event);

          seen.set(reply.statusCode, (seen.get(reply.statusCode) ?? 0) + 1);
          const json = JSON.parse(reply.body) as Record<string, unknown>;
          expect(reply.headers?.["Content-Type"]).toBe("application/json");
          // The order of the checks is documented: method, size, credentials, then the body.
          const expected =
            method.toUpperCase() !== "POST"
              ? 405
              : bodyLength > MAX_CALLBACK_BODY_BYTES
                ? 413
                : !cred.valid
                  ? 401
                  : undefined;
          if (expected !== undefined) {
            expect(reply.statusCode, `${cred.what} / ${b.what}`).toBe(expected);
          } else if (encoding === "lying-base64") {
            expect([200, 400]).toContain(reply.statusCode);
          } else if (b.valid !== undefined) {
            expect(reply.statusCode, b.what).toBe(b.valid ? 200 : 400);
          } else {
            expect([200, 400]).toContain(reply.statusCode);
          }

          if (reply.statusCode === 200) {
            expect(json.status).toBe("ACK");
            expect(sent.map((m) => m.kind)).toHaveLength(1);
            expect(sent[0]?.kind).not.toBe("callback.quarantined");
            accepted++;
          } else {
            expect(Object.keys(json).sort()).toEqual(["error", "message"]);
            expect(DOCUMENTED[reply.statusCode]).toContain(json.error);
            expect(String(json.message).length).toBeGreaterThan(10);
            expect(leaks(reply.body, SECRETS), reply.body.slice(0, 300)).toEqual([]);
            if (typeof cred.header === "string" && cred.header.length > 20) {
              expect(reply.body).not.toContain(cred.header.trim().split(/\s+/).pop());
            }
            // Only an authenticated 400 is kept, as exactly one quarantine message.
            expect(sent.map((m) => m.kind)).toEqual(reply.statusCode === 400 ? ["callback.quarantined"] : []);
            if (reply.statusCode === 400) quarantined++;
          }
          if (reply.statusCode === 405) expect(reply.headers?.Allow).toBe("POST");
          if (reply.statusCode === 401) expect(reply.headers?.["WWW-Authenticate"]).toMatch(/^Bearer realm=/);
        },
      ),
      {
        numRuns: fuzzRuns(200),
        // Always tried first, so every documented answer is reached whatever the seed (checked below).
        examples: [
          ["POST", valid, { bytes: ORDER_VIEW, valid: true, what: "the sample" }, "plain", undefined, {}],
          ["GET", valid, { bytes: ORDER_VIEW, valid: true, what: "the sample" }, "plain", undefined, {}],
          [
            "POST",
            valid,
            { bytes: `${ORDER_VIEW}${" ".repeat(MAX_CALLBACK_BODY_BYTES)}`, valid: undefined, what: "over 256 KiB" },
            "plain",
            "application/json",
            {},
          ],
          ["POST", valid, { bytes: "{", valid: false, what: "cut JSON" }, "base64", "text/plain", {}],
          [
            "POST",
            async () => ({ header: undefined, valid: false, what: "missing" }),
            { bytes: ORDER_VIEW, valid: true, what: "the sample" },
            "plain",
            undefined,
            {},
          ],
        ],
      },
    );

    // The queue holds exactly what was ACKed or quarantined: nothing more, nothing for the refusals.
    const queued = await h.drainEvents();
    expect(queued.filter((m) => m.kind === "callback.quarantined")).toHaveLength(quarantined);
    expect(queued.filter((m) => m.kind !== "callback.quarantined")).toHaveLength(accepted);
    // The generators reach every documented answer (a generator that stopped producing one would be caught here).
    expect([...seen.keys()].sort()).toEqual([200, 400, 401, 405, 413]);
  });

  it("refuses an ORDER_VIEW nested 40,000 levels deep with 400, keeping it, instead of an endless 503", async () => {
    // Before the depth limit, JSON.stringify overflowed the stack queueing it: 503 on every retry, never kept.
    await h.drainEvents();
    const body = JSON.parse(ORDER_VIEW) as { response: Record<string, unknown> };
    body.response.extra = "__NEST__";
    const deep = JSON.stringify(body).replace('"__NEST__"', `${'{"a":'.repeat(40_000)}1${"}".repeat(40_000)}`);
    const reply = await h.callbackHandler()(
      buildApiGatewayEvent({
        path: "/pincode/callbacks",
        headers: { Authorization: `Bearer ${await h.token()}` },
        body: deep,
      }),
    );
    expect(reply.statusCode).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({
      error: "MALFORMED_BODY",
      message: "body nests more than 64 levels of objects and arrays",
    });
    const queued = await h.drainEvents();
    expect(queued.map((m) => m.kind)).toEqual(["callback.quarantined"]);
  });

  it("API Gateway itself refuses other methods on the callback and token resources (no ANY there)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
        fc.constantFrom("/pincode/callbacks", "/pincode/oauth/token"),
        (method, path) => {
          expect(resolveGatewayRoute(method, path)).toBeUndefined();
          expect(resolveGatewayRoute("POST", path)?.route.method).toBe("POST");
        },
      ),
    );
  });

  it("answers 503 QUEUE_UNAVAILABLE only when SQS is down, and still 401/413 without touching it", async () => {
    // A genuine dependency outage: the queue does not exist, so fauxqs answers every SendMessage with an error.
    await h.drainEvents();
    const handler = h.callbackHandler({ eventsQueueUrl: `${h.queues.eventsQueueUrl}-gone-${randomUUID()}` });
    await fc.assert(
      fc.asyncProperty(credential, mutatedOrderView, async (makeCredential, b) => {
        const cred = await makeCredential();
        const event = eventOf({
          method: "POST",
          credential: cred,
          body: b,
          encoding: "plain",
          contentType: undefined,
          headers: {},
        });
        const reply = await handler(event);
        const json = JSON.parse(reply.body) as Record<string, unknown>;
        if (cred.valid) {
          expect(reply.statusCode).toBe(503);
          expect(json.error).toBe("QUEUE_UNAVAILABLE");
        } else {
          expect(reply.statusCode).toBe(401);
        }
      }),
      { numRuns: fuzzRuns(30) },
    );
    expect(await h.drainEvents()).toEqual([]);
  });
});
