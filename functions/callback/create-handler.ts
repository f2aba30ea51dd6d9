/**
 * `POST /pincode/callbacks`: one endpoint for every callback kind Pincode sends (PINCODE-API §3).
 *
 * Checks, in order, each with its own answer and nothing queued on failure:
 *   0. method: anything but POST -> 405 (API Gateway itself routes only POST here);
 *   1. size: a body over 256 KiB -> 413 (nothing stored);
 *   2. auth: Bearer / O-Bearer token or static token per CALLBACK_AUTH_MODE -> 401 (nothing stored);
 *   3. parse: JSON or form-encoded, sniffed from the bytes (A1), at most MAX_JSON_DEPTH levels deep -> 400
 *      MALFORMED_BODY, quarantined;
 *   4. envelope: a usable requestContext.requestId, and the kind's own id (ORDER_VIEW `response.id`, a submission
 *      result's `submissionId`) -> 400 INVALID_CALLBACK, quarantined. Nothing inside the order is checked here:
 *      nulls, odd types and numeric strings are the processor's business (issue 8's rule for the edge);
 *   5. queue: one message on the events queue -> 503 if SQS fails, so Pincode retries;
 *   6. reply: exactly `{"status":"ACK","requestContext":<echo>}` (§3.5).
 * "Quarantined" means a `callback.quarantined` message on the same events queue, which the processor writes as the
 * QUARANTINE item: the 400 promises the body is durably kept, and a failed send answers 503 instead.
 * It never reads the table or calls Pincode: its job is to ACK fast and lose nothing (DESIGN.md flow 1). Its bundle
 * holds one AWS SDK client (SQS) and no schema library (issue 11; `npm run bench` measures it).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { MetricsSink } from "#adapters/emf-writer.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import {
  type AuthResult,
  authenticateCallback,
  type CallbackAuthKeys,
  type CallbackAuthMode,
} from "#core/callback-auth.ts";
import { sniffCallbackBody, sniffCallbackText } from "#core/callback-body.ts";
import { interpretCallback } from "#core/callback-envelope.ts";
import { type QuarantineCode, quarantineMessage } from "#core/callback-quarantine.ts";
import { bodyBytes, headerMap, headerValue, jsonDepthExceeds, MAX_JSON_DEPTH } from "#core/http-request.ts";
import { errorResponse, jsonResponse } from "#core/http-response.ts";
import { callbackMetrics, type RejectionReason } from "./metrics.ts";

/** 256 KiB, measured on the bytes Pincode sent (after undoing API Gateway's base64). */
export const MAX_CALLBACK_BODY_BYTES = 256 * 1024;

export const CALLBACK_REALM = "pincode-callbacks";

export interface CallbackDeps {
  authMode: CallbackAuthMode;
  /**
   * The callback auth secret (on AWS: Secrets Manager through the Parameters and Secrets extension, cached per
   * container; local mode passes it directly). Called on every request.
   */
  loadAuthKeys: () => Promise<CallbackAuthKeys>;
  /** Accepted callbacks and refused (quarantined) ones both go to the events queue. */
  publisher: Pick<QueuePublisher, "send">;
  eventsQueueUrl: string;
  logger: Logger;
  /** EMF metrics: `EmfMetrics` on AWS (functions/adapters/emf-writer.ts); Powertools' `Metrics` has the same shape. */
  metrics: MetricsSink;
  now?: () => number;
  maxBodyBytes?: number;
}

export type CallbackHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const UNAUTHORIZED_MESSAGES: Record<Exclude<AuthResult, { ok: true }>["rejection"], string> = {
  missing: "Authorization header is missing; expected 'Bearer <token>' or 'O-Bearer <token>'",
  unsupported_scheme: "Authorization header must be 'Bearer <token>' or 'O-Bearer <token>'",
  static_mismatch: "the presented token is not valid",
  expired: "the access token has expired; fetch a new one from the token endpoint",
  bad_signature: "the access token is not valid",
  wrong_audience: "the access token was not issued for this endpoint",
  wrong_issuer: "the access token was not issued by this service",
  wrong_subject: "the access token was issued to a different client",
  wrong_scope: "the access token does not carry the callbacks scope",
  malformed: "the access token is not valid",
  not_a_jwt: "the access token is not valid",
};

export function createCallbackHandler(deps: CallbackDeps): CallbackHandler {
  const now = deps.now ?? Date.now;
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_CALLBACK_BODY_BYTES;
  const metrics = callbackMetrics(deps.metrics);
  const { logger } = deps;

  const reject = (reason: RejectionReason, response: APIGatewayProxyResult, log: Record<string, unknown>) => {
    metrics.rejected(reason);
    logger.warn("callback rejected", { ...log, rejection: reason, status: response.statusCode });
    return response;
  };

  const handle: CallbackHandler = async (event) => {
    const apiRequestId = event.requestContext?.requestId;
    const sourceIp = event.requestContext?.identity?.sourceIp;
    const contentType = headerValue(event, "content-type");
    const context = { apiRequestId, sourceIp, contentType };

    // 0. Method: API Gateway routes only POST here; a direct invocation (or a future ANY) still gets a clear answer.
    if (event.httpMethod !== undefined && event.httpMethod.toUpperCase() !== "POST") {
      return reject(
        "method_not_allowed",
        errorResponse(405, "METHOD_NOT_ALLOWED", "the callback endpoint accepts POST only", { Allow: "POST" }),
        context,
      );
    }

    // 1. Size, before anything else touches the body. A plain-text body without surrogates is read as it is (its
    // UTF-8 length counted, not copied); anything else goes through the bytes, as Pincode sent them.
    const text = plainText(event);
    const bytes = text === undefined ? bodyBytes(event) : undefined;
    const size = bytes ? bytes.length : Buffer.byteLength(text as string, "utf8");
    if (size > maxBodyBytes) {
      return reject(
        "too_large",
        errorResponse(
          413,
          "PAYLOAD_TOO_LARGE",
          `body is ${size} bytes; the limit is ${maxBodyBytes} bytes (${maxBodyBytes / 1024} KiB)`,
        ),
        { ...context, bytes: size },
      );
    }

    // 2. Authentication: an unauthenticated caller gets nothing stored or queued.
    let keys: CallbackAuthKeys;
    try {
      keys = await deps.loadAuthKeys();
    } catch (error) {
      logger.error("callback auth secret unavailable", { ...context, error: errorName(error) });
      return reject(
        "auth_unavailable",
        errorResponse(503, "AUTH_UNAVAILABLE", "cannot verify credentials right now; retry later"),
        context,
      );
    }
    if (deps.authMode === "static" && !keys.staticToken) {
      logger.error("CALLBACK_AUTH_MODE is static but the callback auth secret has no staticToken", context);
      return reject(
        "auth_unavailable",
        errorResponse(503, "AUTH_UNAVAILABLE", "callback authentication is misconfigured; retry later"),
        context,
      );
    }
    const auth = await authenticateCallback(deps.authMode, keys, headerValue(event, "authorization"), now());
    if (!auth.ok) {
      // RFC 6750 §3.1: no error code when no credentials were presented at all.
      const challenge =
        auth.rejection === "missing"
          ? `Bearer realm="${CALLBACK_REALM}"`
          : `Bearer realm="${CALLBACK_REALM}", error="invalid_token"`;
      return reject(
        "unauthorized",
        errorResponse(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGES[auth.rejection], { "WWW-Authenticate": challenge }),
        { ...context, authRejection: auth.rejection },
      );
    }

    // 3 + 4. Parse and validate; an authenticated body we cannot accept is quarantined, never dropped.
    const quarantineAndReject = async (
      code: QuarantineCode,
      reason: string,
      callbackRequestId: string | undefined,
    ): Promise<APIGatewayProxyResult> => {
      const log = { ...context, detail: reason, callbackRequestId };
      const message = quarantineMessage(
        {
          code,
          reason,
          body: bytes ?? bodyBytes(event),
          headers: headerMap(event),
          sourceIp,
          apiRequestId,
          callbackRequestId,
        },
        now(),
      );
      try {
        await deps.publisher.send(deps.eventsQueueUrl, message);
      } catch (error) {
        logger.error("quarantine write failed", { ...log, error: errorName(error) });
        return reject(
          "quarantine_error",
          errorResponse(503, "QUARANTINE_UNAVAILABLE", `callback rejected (${reason}) but could not be kept; retry`),
          log,
        );
      }
      const errorCode = code === "malformed" ? "MALFORMED_BODY" : "INVALID_CALLBACK";
      return reject(code, errorResponse(400, errorCode, reason), { ...log, quarantineId: message.messageId });
    };

    const sniffed = text === undefined ? sniffCallbackBody(bytes as Buffer) : sniffCallbackText(text);
    if (!sniffed.ok) return quarantineAndReject("malformed", sniffed.reason, undefined);
    if (jsonDepthExceeds(sniffed.value)) {
      return quarantineAndReject(
        "malformed",
        `body nests more than ${MAX_JSON_DEPTH} levels of objects and arrays`,
        callbackRequestIdOf(sniffed.value),
      );
    }

    const interpreted = interpretCallback(sniffed.value, now());
    if (!interpreted.ok) {
      return quarantineAndReject("invalid", interpreted.reason, callbackRequestIdOf(sniffed.value));
    }

    // 5. Queue, then ACK: an ACK promises the message is durably queued.
    // §3.5: the ACK echoes requestContext as received.
    const ack = { status: "ACK", requestContext: interpreted.requestContext };
    const summary = {
      ...context,
      kind: interpreted.kind,
      format: sniffed.format,
      requestId: interpreted.requestContext.requestId,
      messageId: interpreted.message.messageId,
      ...(interpreted.orderId ? { orderId: interpreted.orderId } : {}),
      ...(interpreted.callbackType ? { callbackType: interpreted.callbackType } : {}),
      ...(interpreted.message.kind === "submission.result" ? { submissionId: interpreted.message.submissionId } : {}),
    };
    try {
      await deps.publisher.send(deps.eventsQueueUrl, interpreted.message);
    } catch (error) {
      logger.error("events queue write failed", { ...summary, error: errorName(error) });
      return reject(
        "queue_error",
        errorResponse(503, "QUEUE_UNAVAILABLE", "the callback could not be queued; retry later"),
        summary,
      );
    }

    metrics.accepted(interpreted.kind);
    logger.info("callback accepted", { ...summary, auth: auth.method, scheme: auth.scheme });
    return jsonResponse(200, ack);
  };

  return async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      // A bug must still answer 5xx with our error shape (not API Gateway's 502), so Pincode retries.
      logger.error("callback handler failed", {
        apiRequestId: event.requestContext?.requestId,
        error: errorName(error),
      });
      metrics.rejected("internal_error");
      return errorResponse(500, "INTERNAL_ERROR", "the callback could not be processed; retry later");
    }
  };
}

/** Any UTF-16 surrogate (paired or lone): such a body takes the bytes path, where a lone one becomes U+FFFD. */
const SURROGATE = /[\ud800-\udfff]/;

/** The body as text when it is exactly what decoding its UTF-8 bytes would give (not base64, no surrogate). */
function plainText(event: APIGatewayProxyEvent): string | undefined {
  const body = event.body;
  if (typeof body !== "string" || event.isBase64Encoded || SURROGATE.test(body)) return undefined;
  return body;
}

function callbackRequestIdOf(body: Record<string, unknown>): string | undefined {
  const context = body.requestContext;
  if (typeof context !== "object" || context === null) return undefined;
  const id = (context as Record<string, unknown>).requestId;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** Errors from AWS SDK calls can quote request data; log only their class and code. */
function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { Code?: string; code?: string }).Code ?? (error as { code?: string }).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return typeof error;
}
