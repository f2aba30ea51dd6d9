/**
 * `GET /v1/ops/dlqs/{queue}/messages?limit=&body=`: a look inside a DLQ that consumes nothing. Messages are received
 * and at once made visible again (visibility 0), so they stay for a redrive; each look adds one to a message's
 * receive count, which a DLQ (having no redrive policy of its own) ignores. Ids and kinds only, unless `body=true`
 * (bodies carry order snapshots with buyer data).
 */
import { errorResponse, jsonResponse } from "#core/http-response.ts";
import { parsePeekQuery } from "#core/operations.ts";
import { isResult, type OpsDeps, queryOf, queueParam, type RouteHandler } from "./ops-common.ts";
import { queueName } from "./ops-dlqs.ts";

export function createOpsDlqMessagesRoute(deps: OpsDeps): RouteHandler {
  return async (event) => {
    const queue = queueParam(event);
    if (isResult(queue)) return queue;
    const query = parsePeekQuery(queryOf(event));
    if (!query.ok) return errorResponse(400, "INVALID_REQUEST", query.message);
    const dlqUrl = deps.queues[queue].dlqUrl;
    const [depth, messages] = await Promise.all([
      deps.queueOps.depth(dlqUrl),
      deps.queueOps.peek(dlqUrl, query.value.limit, query.value.body),
    ]);
    return jsonResponse(200, {
      queue,
      dlqName: queueName(dlqUrl),
      messages: depth.visible + depth.inFlight,
      shown: messages.length,
      items: messages,
    });
  };
}
