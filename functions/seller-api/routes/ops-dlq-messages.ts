/**
 * `GET /v1/ops/dlqs/{queue}/messages?limit=&body=`: a look inside a DLQ that consumes nothing. Messages are received
 * and at once made visible again (visibility 0), so they stay for a redrive; each look adds one to a message's
 * receive count, which a DLQ (having no redrive policy of its own) ignores. Ids and kinds only, unless `body=true`
 * (bodies carry order snapshots with buyer data).
 */
import { parsePeekQuery } from "#core/operations.ts";
import { isResponse, queueName, queueParam, withOps } from "./ops-common.ts";
import { apiError } from "./types.ts";

export const getDlqMessages = withOps(async (request, ops) => {
  const queue = queueParam(request);
  if (isResponse(queue)) return queue;
  const query = parsePeekQuery(request.query);
  if (!query.ok) return apiError(400, "INVALID_REQUEST", query.message);
  const dlqUrl = ops.queues[queue].dlqUrl;
  const [depth, messages] = await Promise.all([
    ops.queueOps.depth(dlqUrl),
    ops.queueOps.peek(dlqUrl, query.value.limit, query.value.body),
  ]);
  return {
    status: 200,
    body: {
      queue,
      dlqName: queueName(dlqUrl),
      messages: depth.visible + depth.inFlight,
      shown: messages.length,
      items: messages,
    },
  };
});
