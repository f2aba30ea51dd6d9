/**
 * `POST /v1/ops/dlqs/{queue}/redrive` `{dryRun?: boolean = true, max?: 1..1000 = 100}`: moves DLQ messages back to
 * the queue they failed on. A dry run (the default) moves nothing and answers what would move. See
 * functions/adapters/queue-operations.ts for why this is receive/send/delete and not StartMessageMoveTask.
 */
import { errorResponse, jsonResponse } from "#core/http-response.ts";
import { parseRedriveRequest } from "#core/operations.ts";
import { isResult, jsonBody, type OpsDeps, queueParam, type RouteHandler } from "./ops-common.ts";
import { queueName } from "./ops-dlqs.ts";

/** Leaves headroom under the seller API's function timeout for the final depth read and the answer. */
const REDRIVE_TIME_BUDGET_MS = 20_000;
const DRY_RUN_SAMPLE = 10;

export function createOpsDlqRedriveRoute(deps: OpsDeps): RouteHandler {
  return async (event) => {
    const queue = queueParam(event);
    if (isResult(queue)) return queue;
    const body = jsonBody(event);
    if (isResult(body)) return body;
    const request = parseRedriveRequest(body.value);
    if (!request.ok) return errorResponse(400, "INVALID_REQUEST", request.message);
    const { dlqUrl, queueUrl } = deps.queues[queue];
    const names = { queue, from: queueName(dlqUrl), to: queueName(queueUrl) };
    if (request.value.dryRun) {
      const [depth, sample] = await Promise.all([
        deps.queueOps.depth(dlqUrl),
        deps.queueOps.peek(dlqUrl, Math.min(DRY_RUN_SAMPLE, request.value.max), false),
      ]);
      const messages = depth.visible + depth.inFlight;
      return jsonResponse(200, {
        ...names,
        dryRun: true,
        messages,
        wouldMove: Math.min(messages, request.value.max),
        sample,
        next: "send the same request with dryRun false to move them",
      });
    }
    const outcome = await deps.queueOps.redrive(dlqUrl, queueUrl, {
      max: request.value.max,
      timeBudgetMs: REDRIVE_TIME_BUDGET_MS,
    });
    return jsonResponse(200, { ...names, dryRun: false, ...outcome });
  };
}
