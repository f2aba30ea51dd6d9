/** Lambda entry for `POST /pincode/oauth/token` (API Gateway REST proxy). */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { createCallbackAuthHandler } from "./create-handler.ts";
import { buildCallbackAuthDeps } from "./deps.ts";
import { parseCallbackAuthEnv } from "./env.ts";

const deps = buildCallbackAuthDeps(parseCallbackAuthEnv());

export const handler = middy(createCallbackAuthHandler(deps))
  .use(injectLambdaContext(deps.logger))
  .use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
