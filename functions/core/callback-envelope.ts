/**
 * What a parsed callback body is and which events-queue message it becomes. Pure: no I/O, and deliberately no schema
 * library: this runs on the callback's hot path, which only checks the envelope (issue 8's rule for the edge).
 *
 * - ORDER_VIEW (§3.2) -> `order.snapshot`, with the order exactly as received. Only a usable order id
 *   (`response.id`) and a usable `requestContext.requestId` are required here; every other field, null, odd type or
 *   numeric string inside the order is the processor's business (it parses tolerantly and counts what is odd).
 * - a submission result (§3.4: no `type`, recognised by `submissionId` + `processingStatus`) -> `submission.result`,
 *   with a usable `submissionId`;
 * - anything else with a usable `requestContext` -> `callback.unknown`: Pincode's callback kinds are not all
 *   documented (§4.3), so an unknown kind is kept for inspection, never dropped.
 *
 * Only a body without those ids is refused; the reason names the field path and the expected form, never a value.
 * The messages are built by hand (not through `newEventsMessage`, whose zod schema would weigh on the callback's cold
 * start); test/unit/callback-envelope.test.ts holds every message against `EventsQueueMessageSchema`.
 */
import { randomUUID } from "node:crypto";
import type {
  EventsQueueMessage,
  OrderSnapshotMessage,
  SubmissionResultMessage,
  UnknownCallbackMessage,
} from "./messages.ts";

export type CallbackKindLabel = "order_view" | "submission_result" | "unknown";

/** The callback's requestContext as received (§3.5: echoed whole in the ACK). */
export type ReceivedRequestContext = Record<string, unknown> & { requestId: string };

export type CallbackInterpretation =
  | {
      ok: true;
      kind: CallbackKindLabel;
      requestContext: ReceivedRequestContext;
      message: EventsQueueMessage;
      orderId?: string;
      callbackType?: string;
    }
  | { ok: false; kind: CallbackKindLabel; reason: string };

/** `MESSAGE_VERSION` of functions/core/messages.ts, without importing its zod schemas. */
const V: EventsQueueMessage["v"] = 1;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const usableString = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

/** How a wrong value is described: its JSON kind only, never the value itself (it may be buyer data). */
function kindOf(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.trim() === "" ? "an empty string" : "a string";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

const NON_EMPTY = "expected a non-empty string";

/** requestContext.requestId is the de-duplication key (A6) and is echoed in the ACK: it must be a real id. */
function requestContextProblem(body: Record<string, unknown>): string | undefined {
  const context = body.requestContext;
  if (!isObject(context)) return `requestContext: expected an object, got ${kindOf(context)}`;
  if (!usableString(context.requestId))
    return `requestContext.requestId: ${NON_EMPTY}, got ${kindOf(context.requestId)}`;
  return undefined;
}

/** The callback kind Pincode sent: ORDER_VIEW by `type`, a submission result by its fields (§3.4), else unknown. */
export function classifyCallbackKind(body: Record<string, unknown>): CallbackKindLabel {
  if (typeof body.type === "string" && body.type.toUpperCase() === "ORDER_VIEW") return "order_view";
  if ("submissionId" in body && "processingStatus" in body) return "submission_result";
  return "unknown";
}

/**
 * A callback `type` is named in a reason only when it looks like Pincode's enum names (`RETURN_VIEW`): anything else
 * could be data, so it is described, not quoted.
 */
function typeLabel(type: string | undefined): string {
  if (type === undefined) return "callback without a type";
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(type)
    ? `callback of type ${JSON.stringify(type)}`
    : "callback of an unrecognised type";
}

export function interpretCallback(body: Record<string, unknown>, nowMs = Date.now()): CallbackInterpretation {
  const kind = classifyCallbackKind(body);
  const contextProblem = requestContextProblem(body);
  const envelope = { v: V, messageId: randomUUID(), receivedAt: nowMs };

  if (kind === "order_view") {
    const response = body.response;
    const problems: string[] = [];
    if (!isObject(response)) problems.push(`response: expected an object, got ${kindOf(response)}`);
    else if (!usableString(response.id)) problems.push(`response.id: ${NON_EMPTY}, got ${kindOf(response.id)}`);
    if (contextProblem) problems.push(contextProblem);
    if (problems.length > 0) return { ok: false, kind, reason: `ORDER_VIEW ${problems.join("; ")}` };
    const order = response as Record<string, unknown> & { id: string };
    const requestContext = body.requestContext as ReceivedRequestContext;
    const message: OrderSnapshotMessage = {
      ...envelope,
      kind: "order.snapshot",
      source: "callback",
      requestId: requestContext.requestId,
      orderId: order.id,
      // Kept exactly as received: the processor owns normalisation and freshness.
      order,
    };
    return { ok: true, kind, requestContext, orderId: order.id, message };
  }

  if (kind === "submission_result") {
    const problems: string[] = [];
    if (!usableString(body.submissionId)) problems.push(`submissionId: ${NON_EMPTY}, got ${kindOf(body.submissionId)}`);
    if (contextProblem) problems.push(contextProblem);
    if (problems.length > 0) return { ok: false, kind, reason: `submission result ${problems.join("; ")}` };
    const requestContext = body.requestContext as ReceivedRequestContext;
    const message: SubmissionResultMessage = {
      ...envelope,
      kind: "submission.result",
      requestId: requestContext.requestId,
      submissionId: body.submissionId as string,
      body,
    };
    return { ok: true, kind, requestContext, message };
  }

  const callbackType = typeof body.type === "string" && body.type !== "" ? body.type : undefined;
  const label = typeLabel(callbackType);
  if (contextProblem) return { ok: false, kind, reason: `${label}: ${contextProblem}` };
  const requestContext = body.requestContext as ReceivedRequestContext;
  const message: UnknownCallbackMessage = {
    ...envelope,
    kind: "callback.unknown",
    requestId: requestContext.requestId,
    ...(callbackType ? { callbackType } : {}),
    body,
  };
  return { ok: true, kind, requestContext, ...(callbackType ? { callbackType } : {}), message };
}
