/** The processor's configuration, parsed once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { BuyerDataRetentionDaysSchema } from "../core/buyer-data.ts";
import { parseEnv } from "../core/env.ts";

export const ProcessorEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  PINCODE_API_BASE_URL: z.url(),
  PINCODE_AUTH_URL: z.url(),
  PINCODE_CREDENTIALS_SECRET_ARN: z.string().min(1),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-processor"),
  /** Issue 9: the FIFO commands queue, for per-store automation (auto-accept). Unset: no automation. */
  COMMANDS_QUEUE_URL: z.url().optional(),
  /** Buyer-data retention in days after an order is final (docs/buyer-data.md). Unset: buyer data is kept. */
  BUYER_DATA_RETENTION_DAYS: BuyerDataRetentionDaysSchema.optional(),
});
export type ProcessorEnv = z.infer<typeof ProcessorEnvSchema>;

export function parseProcessorEnv(env: NodeJS.ProcessEnv = process.env): ProcessorEnv {
  return parseEnv(ProcessorEnvSchema, env, "processor configuration");
}
