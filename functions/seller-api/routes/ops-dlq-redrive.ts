/**
 * `POST /v1/ops/dlqs/{queue}/redrive` `{dryRun?: boolean = true, max?: 1..1000 = 100}`: moves DLQ messages back to
 * the queue they failed on. A dry run (the default) moves nothing and answers what would move. See
 * functions/adapters/queue-operations.ts for why this is receive/send/delete and not StartMessageMoveTask.
 */
import { parseRedriveRequest } from "#core/operations.ts";
import { isResponse, queueName, queueParam, withOps } from "./ops-common.ts";
import { apiError } from "./types.ts";

/** Leaves headroom under the seller API's function timeout for the final depth read and the answer. */
export const REDRIVE_TIME_BUDGET_MS = 20_000;
const DRY_RUN_SAMPLE = 10;

export const postDlqRedrive = withOps(async (request, ops) => {
  const queue = queueParam(request);
  if (isResponse(queue)) return queue;
  const parsed = parseRedriveRequest(request.body);
  if (!parsed.ok) return apiError(400, "INVALID_REQUEST", parsed.message);
  const { dlqUrl, queueUrl } = ops.queues[queue];
  const names = { queue, from: queueName(dlqUrl), to: queueName(queueUrl) };
  if (parsed.value.dryRun) {
    const [depth, sample] = await Promise.all([
      ops.queueOps.depth(dlqUrl),
      ops.queueOps.peek(dlqUrl, Math.min(DRY_RUN_SAMPLE, parsed.value.max), false),
    ]);
    const messages = depth.visible + depth.inFlight;
    return {
      status: 200,
      body: {
        ...names,
        dryRun: true,
        messages,
        wouldMove: Math.min(messages, parsed.value.max),
        sample,
        next: "send the same request with dryRun false to move them",
      },
    };
  }
  const outcome = await ops.queueOps.redrive(dlqUrl, queueUrl, {
    max: parsed.value.max,
    timeBudgetMs: REDRIVE_TIME_BUDGET_MS,
  });
  return { status: 200, body: { ...names, dryRun: false, ...outcome } };
});
