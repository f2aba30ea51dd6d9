/**
 * The buyer-data purge (docs/buyer-data.md): on its daily EventBridge schedule, removes the buyer fields of orders
 * final for longer than `buyerDataRetentionDays`. Only deployed when the stage sets it. The work is the adapter's
 * (functions/adapters/buyer-data-retention.ts); this logs what a run did, in counts and days, never an order.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { PurgeRun } from "#adapters/buyer-data-retention.ts";

export interface RetentionDeps {
  purge: { run(now: number): Promise<PurgeRun> };
  logger: Logger;
  now?: () => number;
}

export function createRetentionHandler(deps: RetentionDeps) {
  const now = deps.now ?? Date.now;
  return async (_event?: unknown): Promise<PurgeRun> => {
    const run = await deps.purge.run(now());
    deps.logger.info("buyer data purge", {
      days: run.days.length,
      firstDay: run.days[0] ?? null,
      purged: run.purged,
      historyItems: run.historyItems,
      deferred: run.deferred,
      left: run.left,
      checkpoint: run.checkpoint,
    });
    return run;
  };
}
