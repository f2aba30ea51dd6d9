/** Lambda entry: the daily EventBridge schedule of the buyer-data purge (deployed only with buyerDataRetentionDays). */
import { createRetentionHandler } from "./create-handler.ts";
import { retentionDepsFromEnv } from "./deps.ts";

export const handler = createRetentionHandler(retentionDepsFromEnv());
