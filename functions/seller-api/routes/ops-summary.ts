/**
 * `GET /v1/ops/summary`: is the pipeline flowing? Queue and DLQ depths, quarantined callbacks over the last week,
 * poll lag per store and submissions still waiting for Pincode's result. What the console's operations page and
 * `pincode-bridge` show; a script reads the same.
 */
import { DEFAULT_QUARANTINE_DAYS, OPS_QUEUES, recentDays } from "#core/operations.ts";
import { withOps } from "./ops-common.ts";

export const getOpsSummary = withOps(async (request, ops) => {
  const at = request.now;
  const days = recentDays(at, DEFAULT_QUARANTINE_DAYS);
  const [queues, counts, stores, pending] = await Promise.all([
    Promise.all(
      OPS_QUEUES.map(async (name) => {
        const [queue, dlq] = await Promise.all([
          ops.queueOps.depth(ops.queues[name].queueUrl),
          ops.queueOps.depth(ops.queues[name].dlqUrl),
        ]);
        return { name, queue, dlq };
      }),
    ),
    Promise.all(days.map((day) => ops.quarantine.count(day))),
    ops.pollLag(at),
    ops.pendingSubmissions ? ops.pendingSubmissions(at) : Promise.resolve(null),
  ]);
  const byDay = Object.fromEntries(days.map((day, i) => [day, counts[i] ?? 0]));
  return {
    status: 200,
    body: {
      at,
      queues,
      dlqMessages: queues.reduce((sum, q) => sum + q.dlq.visible + q.dlq.inFlight, 0),
      quarantine: { days: DEFAULT_QUARANTINE_DAYS, total: counts.reduce((a, b) => a + b, 0), byDay },
      stores,
      pendingSubmissions: pending,
    },
  };
});
