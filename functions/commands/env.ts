/** The commands function's configuration, parsed once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { BuyerDataRetentionDaysSchema } from "../core/buyer-data.ts";
import { parseEnv } from "../core/env.ts";

export const CommandsEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  PINCODE_API_BASE_URL: z.url(),
  PINCODE_AUTH_URL: z.url(),
  PINCODE_CREDENTIALS_SECRET_ARN: z.string().min(1),
  /** Attempts before a command is FAILED. */
  COMMAND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-commands"),
  /** Buyer-data retention in days after an order is final (docs/buyer-data.md). Unset: buyer data is kept. */
  BUYER_DATA_RETENTION_DAYS: BuyerDataRetentionDaysSchema.optional(),
});
export type CommandsEnv = z.infer<typeof CommandsEnvSchema>;

export function parseCommandsEnv(env: NodeJS.ProcessEnv = process.env): CommandsEnv {
  return parseEnv(CommandsEnvSchema, env, "commands configuration");
}
