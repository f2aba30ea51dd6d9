/** The seller-api function's configuration, read once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { parseEnv } from "../core/env.ts";

export const SellerApiEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The FIFO commands queue the submit use cases send to. */
  COMMANDS_QUEUE_URL: z.url(),
  /** Comma-separated store ids that seed the store list (`-c storeIds`); stores are data after that. */
  STORE_IDS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** The work queues and their DLQs, for the operations routes (functions/seller-api/routes/ops-*.ts). */
  EVENTS_QUEUE_URL: z.url().optional(),
  EVENTS_DLQ_URL: z.url().optional(),
  POLL_QUEUE_URL: z.url().optional(),
  POLL_DLQ_URL: z.url().optional(),
  COMMANDS_DLQ_URL: z.url().optional(),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-seller-api"),
});
export type SellerApiEnv = z.infer<typeof SellerApiEnvSchema>;

export function parseSellerApiEnv(env: NodeJS.ProcessEnv = process.env): SellerApiEnv {
  return parseEnv(SellerApiEnvSchema, env, "seller-api function environment");
}
