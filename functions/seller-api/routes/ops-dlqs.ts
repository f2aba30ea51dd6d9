/** `GET /v1/ops/dlqs`: each DLQ with its message count, and the queue it redrives to. */
import { jsonResponse } from "#core/http-response.ts";
import { OPS_QUEUES } from "#core/operations.ts";
import type { OpsDeps, RouteHandler } from "./ops-common.ts";

export function createOpsDlqsRoute(deps: OpsDeps): RouteHandler {
  return async () => {
    const dlqs = await Promise.all(
      OPS_QUEUES.map(async (queue) => {
        const depth = await deps.queueOps.depth(deps.queues[queue].dlqUrl);
        return {
          queue,
          dlqName: queueName(deps.queues[queue].dlqUrl),
          redrivesTo: queueName(deps.queues[queue].queueUrl),
          messages: depth.visible + depth.inFlight,
          visible: depth.visible,
          inFlight: depth.inFlight,
        };
      }),
    );
    return jsonResponse(200, { dlqs });
  };
}

export const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);
