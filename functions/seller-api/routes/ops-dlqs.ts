/** `GET /v1/ops/dlqs`: each DLQ with its message count, and the queue it redrives to. */
import { OPS_QUEUES } from "#core/operations.ts";
import { queueName, withOps } from "./ops-common.ts";

export const listDlqs = withOps(async (_request, ops) => {
  const dlqs = await Promise.all(
    OPS_QUEUES.map(async (queue) => {
      const depth = await ops.queueOps.depth(ops.queues[queue].dlqUrl);
      return {
        queue,
        dlqName: queueName(ops.queues[queue].dlqUrl),
        redrivesTo: queueName(ops.queues[queue].queueUrl),
        messages: depth.visible + depth.inFlight,
        visible: depth.visible,
        inFlight: depth.inFlight,
      };
    }),
  );
  return { status: 200, body: { dlqs } };
});
