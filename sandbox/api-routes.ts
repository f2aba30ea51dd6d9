/** Pincode's API at Pincode's paths: the identity-manager token endpoint and the /tsp endpoints. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { describeProblems as describeIssues } from "./contract.ts";
import type { SandboxEngine } from "./engine.ts";
import { isRecord, parseJson, readBody, SandboxError, sendJson, sleep } from "./http.ts";
import { FAMILY_OF_PATH } from "./rate-limit.ts";

export const PATHS = {
  token: "/olympus/im/v1/oauth/token",
  changes: "/tsp/order/v1/changes",
  status: "/tsp/order/v1/status",
  update: "/tsp/order/v1/update",
  listing: "/tsp/catalog/v1/listing",
  store: "/tsp/catalog/v1/store",
} as const;

/**
 * The envelope of a catalog/store write, checked synchronously; each message is checked later and reported in the
 * submission-result callback (PINCODE-API §1.4: writes are batched and asynchronous).
 */
const SubmissionEnvelopeSchema = z.strictObject({
  requestContext: z.strictObject({
    requestId: z.string().trim().min(1, "must be a non-empty string"),
    transactionId: z.string().optional(),
  }),
  messages: z
    .array(z.looseObject({ messageId: z.string().trim().min(1, "must be a non-empty string") }))
    .min(1, "at least one message is required")
    .max(100, "at most 100 messages per request"),
});

export async function handleToken(engine: SandboxEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const respond = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    engine.stats.countCall(PATHS.token, status);
    sendJson(res, status, body, { "Cache-Control": "no-store", ...headers });
  };
  if (req.method !== "POST") {
    respond(405, { error: "invalid_request", error_description: "use POST" }, { Allow: "POST" });
    return;
  }
  const text = await readBody(req);
  // PINCODE-API §1.3: the token request is form-encoded.
  if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    respond(400, {
      error: "invalid_request",
      error_description: "Content-Type must be application/x-www-form-urlencoded",
    });
    return;
  }
  const result = engine.tokens.grant(new URLSearchParams(text));
  respond(result.status, result.body);
}

type TspHandler = (engine: SandboxEngine, body: Record<string, unknown>) => Record<string, unknown>;

const TSP_ROUTES: Record<string, TspHandler> = {
  [PATHS.changes]: (engine, body) => engine.poll(body),
  [PATHS.status]: (engine, body) => engine.statusCheck(body),
  [PATHS.update]: (engine, body) => engine.update(body),
  [PATHS.listing]: (engine, body) => submission(engine, "LISTING_UPDATE", body),
  [PATHS.store]: (engine, body) => submission(engine, "STORE_UPDATE", body),
};

function submission(
  engine: SandboxEngine,
  kind: "STORE_UPDATE" | "LISTING_UPDATE",
  body: Record<string, unknown>,
): Record<string, unknown> {
  const parsed = SubmissionEnvelopeSchema.safeParse(body);
  if (!parsed.success) throw new SandboxError(400, "INVALID_REQUEST", describeIssues(parsed.error));
  if (kind === "STORE_UPDATE" && parsed.data.messages.length > 1) {
    // store-toggle-api.txt: "only a single store will be allowed in the current version of the API".
    throw new SandboxError(400, "INVALID_REQUEST", "messages: only one store toggle message is allowed per request");
  }
  return engine.submit(kind, parsed.data.requestContext, parsed.data.messages);
}

export async function handleTsp(
  engine: SandboxEngine,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = TSP_ROUTES[path];
  const endpoint = route ? path : "/tsp/(unknown)";
  let requestContext: Record<string, unknown> | undefined;
  const respond = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    engine.stats.countCall(endpoint, status);
    sendJson(res, status, body, headers);
  };
  const fail = (error: SandboxError) =>
    respond(
      error.status,
      { ...(requestContext ? { requestContext } : {}), error: { errorCode: error.errorCode, message: error.message } },
      error.headers,
    );
  // Per-second figures count arrivals (what Pincode's limiter sees), whatever the answer turns out to be.
  if (route) engine.rateStats.countCall(endpoint);
  try {
    if (!route) throw new SandboxError(404, "NOT_FOUND", `no Pincode API at ${path}`);
    if (req.method !== "POST") {
      throw new SandboxError(405, "METHOD_NOT_ALLOWED", `${path} accepts POST only`, { Allow: "POST" });
    }
    const faults = engine.getFaults();
    await sleep(faults.latencyMs);
    const text = await readBody(req);
    const auth = engine.tokens.check(req.headers.authorization);
    if (!auth.ok) {
      const status = auth.expired ? engine.expiredTokenStatus : 401;
      throw new SandboxError(status, "UNAUTHORIZED", auth.message, { "WWW-Authenticate": "O-Bearer" });
    }
    // The rate budget, per client credential (docs/sandbox.md "Rate budget"): a real token bucket, not dice.
    const admitted = engine.rateLimiter.admit(auth.clientId, FAMILY_OF_PATH[path]);
    if (!admitted.ok) {
      engine.rateStats.countBudget429(admitted.scope);
      throw new SandboxError(
        429,
        "TOO_MANY_REQUESTS",
        `rate budget exceeded (${admitted.scope === "total" ? "all endpoints" : `${admitted.scope} endpoints`}); retry after the Retry-After delay`,
        { "Retry-After": String(admitted.retryAfterSeconds) },
      );
    }
    const body = parseJson(text);
    if (!isRecord(body)) throw new SandboxError(400, "INVALID_REQUEST", "request body must be a JSON object");
    requestContext = echoContext(body.requestContext);
    const fault = engine.dice.apiFault(faults);
    if (fault?.kind === "rate-limit") {
      // Pincode documents no 429 (A7, A8); the sandbox sends one with Retry-After so clients learn to back off.
      throw new SandboxError(429, "TOO_MANY_REQUESTS", "rate limit exceeded; retry after the Retry-After delay", {
        "Retry-After": String(fault.retryAfterSeconds),
      });
    }
    if (fault?.kind === "error") throw new SandboxError(500, "INTERNAL_SERVER_ERROR", "injected server error");
    const answer = route(engine, body);
    if (path === PATHS.update) {
      // updateResponseLossRate: the update above was applied (and counted in updatesByOrder); its answer is lost.
      const loss = engine.dice.updateResponseLoss(faults);
      if (loss === "drop-connection") {
        engine.stats.countCall(endpoint, 0);
        res.socket?.destroy();
        return;
      }
      if (loss === "bad-gateway") throw new SandboxError(502, "BAD_GATEWAY", "injected loss of the update's response");
    }
    respond(200, answer);
  } catch (error) {
    if (error instanceof SandboxError) return fail(error);
    throw error;
  }
}

/** The error envelope echoes the caller's requestContext ids (PINCODE-API §2.11 sample). */
function echoContext(value: unknown): Record<string, unknown> | undefined {
  if (!isRecord(value)) return undefined;
  const echo: Record<string, unknown> = {};
  if (typeof value.requestId === "string") echo.requestId = value.requestId;
  if (typeof value.transactionId === "string") echo.transactionId = value.transactionId;
  return Object.keys(echo).length > 0 ? echo : undefined;
}
