/** The poller's configuration, parsed once at cold start; a bad value fails naming the variable. */
import { z } from "zod";
import { parseEnv } from "../core/env.ts";
import { type AdaptiveSchedule, maxTasksPerTick } from "./schedule.ts";

const ms = z.coerce.number().int().nonnegative();

export const PollerEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENTS_QUEUE_URL: z.url(),
  POLL_QUEUE_URL: z.url(),
  /** The FIFO commands queue: set (the CDK stack does), each scheduled run sweeps stranded commands onto it. */
  COMMANDS_QUEUE_URL: z.url().optional(),
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
  /**
   * Adaptive polling (issue 13, docs/scale.md): both bounds set turn it on; unset, every run polls every store.
   * POLL_SCHEDULE_S is the EventBridge schedule's period; POLL_TASKS_PER_RUN caps one run's tasks (default: the poll
   * share of PINCODE_RATE_LIMIT_PER_S over one period).
   */
  POLL_INTERVAL_MIN_S: z.coerce.number().int().positive().optional(),
  POLL_INTERVAL_MAX_S: z.coerce.number().int().positive().optional(),
  POLL_MISS_MEMORY_S: z.coerce.number().int().nonnegative().optional(),
  POLL_SCHEDULE_S: z.coerce.number().int().positive().default(60),
  POLL_TASKS_PER_RUN: z.coerce.number().int().positive().optional(),
  PINCODE_RATE_LIMIT_PER_S: z.coerce.number().positive().optional(),
  PINCODE_API_BASE_URL: z.url(),
  PINCODE_AUTH_URL: z.url(),
  PINCODE_CREDENTIALS_SECRET_ARN: z.string().min(1),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default("pincode-bridge-poller"),
});
export type PollerEnv = z.infer<typeof PollerEnvSchema>;

/** The adaptive schedule the env asks for, or undefined (both bounds unset). */
export function adaptiveScheduleOf(config: PollerEnv): AdaptiveSchedule | undefined {
  const min = config.POLL_INTERVAL_MIN_S;
  const max = config.POLL_INTERVAL_MAX_S;
  if (min === undefined && max === undefined) return undefined;
  if (min === undefined || max === undefined || min > max)
    throw new Error(
      "poller configuration: POLL_INTERVAL_MIN_S and POLL_INTERVAL_MAX_S must both be set, with min <= max",
    );
  const tickMs = config.POLL_SCHEDULE_S * 1000;
  return {
    minMs: min * 1000,
    maxMs: max * 1000,
    missMemoryMs: (config.POLL_MISS_MEMORY_S ?? 4 * max) * 1000,
    tickMs,
    maxTasksPerRun:
      config.POLL_TASKS_PER_RUN ??
      (config.PINCODE_RATE_LIMIT_PER_S ? maxTasksPerTick(config.PINCODE_RATE_LIMIT_PER_S, tickMs) : 100_000),
  };
}

export function parsePollerEnv(env: NodeJS.ProcessEnv = process.env): PollerEnv {
  return parseEnv(PollerEnvSchema, env, "poller configuration");
}
