/**
 * The Lambda entry around the callback and token handlers: what middy with Powertools' `injectLambdaContext` and
 * `logMetrics({ captureColdStartMetric: true })` did, as a plain wrapper (issue 11: neither middy nor the
 * middlewares are in the bundle). Per invocation: the logger's sample rate is re-drawn, the Lambda context is added
 * to its lines (`function_request_id`, `cold_start`, ...), the event is logged if `POWERTOOLS_LOGGER_LOG_EVENT` asks,
 * the container's first invocation emits `ColdStart`, and the log buffer is cleared afterwards.
 *
 * One difference, on purpose: `logMetrics` flushed the main Metrics instance after every invocation, and since these
 * functions emit only single metrics it wrote Powertools' "No application metrics to publish" warning on every
 * invocation; nothing is flushed here, so that line is gone (docs/performance.md).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import type { EmfMetrics } from "./emf-writer.ts";

export function lambdaEntry<E, R>(
  handle: (event: E) => Promise<R>,
  observability: { logger: Logger; metrics: Pick<EmfMetrics, "captureColdStartMetric"> },
): (event: E, context: Context) => Promise<R> {
  const { logger, metrics } = observability;
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    logger.logEventIfEnabled(event);
    metrics.captureColdStartMetric(context.functionName);
    try {
      return await handle(event);
    } finally {
      logger.clearBuffer();
    }
  };
}
