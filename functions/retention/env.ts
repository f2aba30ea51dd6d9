/** The buyer-data purge's configuration, parsed once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { BuyerDataRetentionDaysSchema } from "../core/buyer-data.ts";
import { parseEnv } from "../core/env.ts";

export const RetentionEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  BUYER_DATA_RETENTION_DAYS: BuyerDataRetentionDaysSchema,
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-retention"),
});
export type RetentionEnv = z.infer<typeof RetentionEnvSchema>;

export function parseRetentionEnv(env: NodeJS.ProcessEnv = process.env): RetentionEnv {
  return parseEnv(RetentionEnvSchema, env, "retention function environment");
}
