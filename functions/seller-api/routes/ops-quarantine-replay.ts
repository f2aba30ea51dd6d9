/**
 * `POST /v1/quarantine/{id}/replay`: sends a quarantined callback's stored body through the callback's own parse and
 * envelope check (functions/core) and, if it passes now (a later release reads what an earlier one refused), onto
 * the events queue as the callback would have. Idempotent: the replay is recorded on the item and a second call
 * answers the first replay. The message id is derived from the quarantine id; if the record write fails after the
 * send, a retry sends the same message again, which the processor absorbs (freshness guard).
 */
import { sniffCallbackBody } from "#core/callback-body.ts";
import { interpretCallback } from "#core/callback-envelope.ts";
import { parseQuarantineApiId, QUARANTINE_ID_FORM } from "#core/operations.ts";
import { withOps } from "./ops-common.ts";
import { apiError } from "./types.ts";

export const postQuarantineReplay = withOps(async (request, ops) => {
  const id = request.params.id ?? "";
  const key = parseQuarantineApiId(id);
  if (!key) return apiError(400, "INVALID_REQUEST", `id: expected ${QUARANTINE_ID_FORM}`);
  const item = await ops.quarantine.get(key);
  if (!item) return apiError(404, "QUARANTINE_NOT_FOUND", "id: no quarantined callback has this id");
  if (item.replayedAt !== undefined) {
    return {
      status: 200,
      body: { id, status: "ALREADY_REPLAYED", replayedAt: item.replayedAt, messageId: item.replayMessageId },
    };
  }
  if (item.bodyTruncated) {
    return apiError(
      422,
      "NOT_REPLAYABLE",
      `the stored body was cut at ${item.body.length} bytes (received ${item.bodyBytes ?? "?"}); it cannot be replayed, ask Pincode to resend it`,
    );
  }
  const sniffed = sniffCallbackBody(item.body);
  if (!sniffed.ok) {
    return apiError(422, "STILL_INVALID", `the callback still fails the envelope check: ${sniffed.reason}`);
  }
  const interpreted = interpretCallback(sniffed.value, request.now);
  if (!interpreted.ok) {
    return apiError(422, "STILL_INVALID", `the callback still fails the envelope check: ${interpreted.reason}`);
  }
  const messageId = `replay-${id}`;
  await ops.publisher.send(ops.queues.events.queueUrl, { ...interpreted.message, messageId });
  const first = await ops.quarantine.markReplayed(key, request.now, messageId);
  return {
    status: first ? 202 : 200,
    body: {
      id,
      status: first ? "REPLAYED" : "ALREADY_REPLAYED",
      kind: interpreted.kind,
      messageId,
      ...(first ? { replayedAt: request.now } : {}),
    },
  };
});
