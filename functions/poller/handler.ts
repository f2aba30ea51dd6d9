/** Lambda entry: the EventBridge poll schedule (fan-out) and the SQS poll queue (one store per task). */
import { createPollerHandler } from "./create-handler.ts";
import { pollerDepsFromEnv } from "./deps.ts";

export const handler = createPollerHandler(pollerDepsFromEnv());
