/** The poller's configuration, parsed once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { parseEnv } from "../core/env.ts";

const ms = z.coerce.number().int().nonnegative();

export const PollerEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENTS_QUEUE_URL: z.url(),
  POLL_QUEUE_URL: z.url(),
  /** Comma-separated serviceProviderIds; empty means nothing to poll (the CDK warns at synth). */
  STORE_IDS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  POLL_LOOKBACK_MS: ms.default(10 * 60_000),
  POLL_SETTLE_MS: ms.default(30_000),
  // order-poll-api.txt: size must be between 1 and 10.
  POLL_PAGE_SIZE: z.coerce.number().int().min(1).max(10).default(10),
  POLL_TIME_BUDGET_MS: z.coerce.number().int().positive().default(45_000),
  POLL_INITIAL_LOOKBACK_MS: ms.default(24 * 3_600_000),
  POLL_MAX_WINDOW_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 3_600_000),
  PINCODE_API_BASE_URL: z.url(),
  PINCODE_AUTH_URL: z.url(),
  PINCODE_CREDENTIALS_SECRET_ARN: z.string().min(1),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-poller"),
});
export type PollerEnv = z.infer<typeof PollerEnvSchema>;

export function parsePollerEnv(env: NodeJS.ProcessEnv = process.env): PollerEnv {
  return parseEnv(PollerEnvSchema, env, "poller configuration");
}
