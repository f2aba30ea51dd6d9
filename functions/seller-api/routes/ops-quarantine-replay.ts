/**
 * `POST /v1/quarantine/{id}/replay`: sends a quarantined callback's stored body through the callback's own parse and
 * envelope check (functions/core) and, if it passes now (a later release reads what an earlier one refused), onto
 * the events queue as the callback would have. Idempotent: the replay is recorded on the item, and a second call
 * answers the first replay. The message id is derived from the quarantine id, and if the record write fails after
 * the send, a retry sends the same message again, which the processor absorbs (freshness guard).
 */
import { sniffCallbackBody } from "#core/callback-body.ts";
import { interpretCallback } from "#core/callback-envelope.ts";
import { errorResponse, jsonResponse } from "#core/http-response.ts";
import { parseQuarantineApiId, QUARANTINE_ID_FORM } from "#core/operations.ts";
import type { OpsDeps, RouteHandler } from "./ops-common.ts";

export function createOpsQuarantineReplayRoute(deps: OpsDeps): RouteHandler {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const id = event.pathParameters?.id ?? "";
    const key = parseQuarantineApiId(id);
    if (!key) return errorResponse(400, "INVALID_REQUEST", `id: expected ${QUARANTINE_ID_FORM}`);
    const item = await deps.quarantine.get(key);
    if (!item) return errorResponse(404, "QUARANTINE_NOT_FOUND", `id: no quarantined callback has this id`);
    if (item.replayedAt !== undefined) {
      return jsonResponse(200, {
        id,
        status: "ALREADY_REPLAYED",
        replayedAt: item.replayedAt,
        messageId: item.replayMessageId,
      });
    }
    if (item.bodyTruncated) {
      return errorResponse(
        422,
        "NOT_REPLAYABLE",
        `the stored body was cut at ${item.body.length} bytes (received ${item.bodyBytes ?? "?"}); ask Pincode to resend it`,
      );
    }
    const sniffed = sniffCallbackBody(item.body);
    const interpreted = sniffed.ok ? interpretCallback(sniffed.value, now()) : undefined;
    if (!sniffed.ok || !interpreted?.ok) {
      const reason = !sniffed.ok ? sniffed.reason : interpreted && !interpreted.ok ? interpreted.reason : "invalid";
      return errorResponse(422, "STILL_INVALID", `the callback still fails the envelope check: ${reason}`);
    }
    const messageId = `replay-${id}`;
    const message = { ...interpreted.message, messageId };
    await deps.publisher.send(deps.queues.events.queueUrl, message);
    const at = now();
    const first = await deps.quarantine.markReplayed(key, at, messageId);
    return jsonResponse(first ? 202 : 200, {
      id,
      status: first ? "REPLAYED" : "ALREADY_REPLAYED",
      kind: interpreted.kind,
      messageId,
      ...(first ? { replayedAt: at } : {}),
    });
  };
}
