/** Lambda entry for the seller API, `/v1/*` (API Gateway REST proxy, AWS_IAM). */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import { createSellerApiHandler } from "./create-handler.ts";
import { sellerApiDepsFromEnv } from "./deps.ts";

const deps = sellerApiDepsFromEnv();

export const handler = middy(createSellerApiHandler(deps))
  .use(injectLambdaContext(deps.logger))
  .use(logMetrics(deps.metrics));
