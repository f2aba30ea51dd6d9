/** Lambda entry for `POST /pincode/callbacks` (API Gateway REST proxy). */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { createCallbackHandler } from "./create-handler.ts";
import { buildCallbackDeps } from "./deps.ts";
import { parseCallbackEnv } from "./env.ts";

const deps = buildCallbackDeps(parseCallbackEnv());

export const handler = middy(createCallbackHandler(deps))
  .use(injectLambdaContext(deps.logger))
  .use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
