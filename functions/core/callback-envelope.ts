/**
 * What a parsed callback body is, whether it is valid, and which events-queue message it becomes. Pure: no I/O.
 *
 * - ORDER_VIEW (§3.2) -> `order.snapshot`, with the order exactly as received (the processor normalises it);
 * - a submission result (§3.4: no `type`, recognised by `submissionId` + `processingStatus`) -> `submission.result`;
 * - anything else with a usable `requestContext` -> `callback.unknown`: Pincode's callback kinds are not all
 *   documented (§4.3), so an unknown kind is kept for inspection, never dropped.
 */

import { z } from "zod";
import {
  classifyCallback,
  describeIssues,
  findUnknownEnumValues,
  OrderViewCallbackSchema,
  type RequestContext,
  RequestContextSchema,
  SubmissionResultCallbackSchema,
  type UnknownEnumValue,
} from "#pincode/schemas.ts";
import {
  type EventsQueueMessage,
  newEventsMessage,
  type OrderSnapshotMessage,
  type SubmissionResultMessage,
  type UnknownCallbackMessage,
} from "./messages.ts";

export type CallbackKindLabel = "order_view" | "submission_result" | "unknown";

export type CallbackInterpretation =
  | {
      ok: true;
      kind: CallbackKindLabel;
      requestContext: RequestContext;
      message: EventsQueueMessage;
      orderId?: string;
      callbackType?: string;
      /** Enum values outside the documented tables (kept, counted: Pincode's enums grow, A16). */
      unknownEnumValues: UnknownEnumValue[];
    }
  | { ok: false; kind: CallbackKindLabel; reason: string };

/** requestContext.requestId is the de-duplication key (A6) and is echoed in the ACK: it must be a real id. */
const UsableRequestContextSchema = z.object({
  requestContext: RequestContextSchema.extend({ requestId: z.string().trim().min(1, "must be a non-empty string") }),
});

export function interpretCallback(body: Record<string, unknown>, nowMs = Date.now()): CallbackInterpretation {
  const kind = classifyCallback(body);
  const context = UsableRequestContextSchema.safeParse(body);
  if (kind === "ORDER_VIEW") {
    const parsed = OrderViewCallbackSchema.safeParse(body);
    if (!parsed.success) return { ok: false, kind: "order_view", reason: `ORDER_VIEW ${describeIssues(parsed.error)}` };
    if (!context.success) {
      return { ok: false, kind: "order_view", reason: `ORDER_VIEW ${describeIssues(context.error)}` };
    }
    const requestContext = body.requestContext as RequestContext;
    return {
      ok: true,
      kind: "order_view",
      requestContext,
      orderId: parsed.data.response.id,
      unknownEnumValues: findUnknownEnumValues(parsed.data.response),
      message: newEventsMessage<OrderSnapshotMessage>(
        {
          kind: "order.snapshot",
          source: "callback",
          requestId: context.data.requestContext.requestId,
          orderId: parsed.data.response.id,
          // Kept exactly as received: the processor owns normalisation and freshness.
          order: body.response as Record<string, unknown>,
        },
        nowMs,
      ),
    };
  }

  if (kind === "SUBMISSION_RESULT") {
    const parsed = SubmissionResultCallbackSchema.safeParse(body);
    if (!parsed.success) {
      return { ok: false, kind: "submission_result", reason: `submission result ${describeIssues(parsed.error)}` };
    }
    if (!context.success) {
      return { ok: false, kind: "submission_result", reason: `submission result ${describeIssues(context.error)}` };
    }
    if (parsed.data.submissionId.trim() === "") {
      return { ok: false, kind: "submission_result", reason: "submission result submissionId: must be non-empty" };
    }
    return {
      ok: true,
      kind: "submission_result",
      requestContext: body.requestContext as RequestContext,
      unknownEnumValues: [],
      message: newEventsMessage<SubmissionResultMessage>(
        {
          kind: "submission.result",
          requestId: context.data.requestContext.requestId,
          submissionId: parsed.data.submissionId,
          body,
        },
        nowMs,
      ),
    };
  }

  const callbackType = typeof body.type === "string" ? body.type : undefined;
  const label = callbackType
    ? `callback of type ${JSON.stringify(callbackType.slice(0, 64))}`
    : "callback without a type";
  if (!context.success) return { ok: false, kind: "unknown", reason: `${label}: ${describeIssues(context.error)}` };
  return {
    ok: true,
    kind: "unknown",
    requestContext: body.requestContext as RequestContext,
    unknownEnumValues: [],
    ...(callbackType ? { callbackType } : {}),
    message: newEventsMessage<UnknownCallbackMessage>(
      {
        kind: "callback.unknown",
        requestId: context.data.requestContext.requestId,
        ...(callbackType ? { callbackType } : {}),
        body,
      },
      nowMs,
    ),
  };
}
