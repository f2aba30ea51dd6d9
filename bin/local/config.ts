/**
 * Local-mode configuration from the environment (documented in README and .env.example). Parsed once with zod so a
 * bad value fails at start with a message naming the variable.
 */
import { resolve } from "node:path";
import { z } from "zod";
import { parseFamilyRates } from "../../functions/pincode/rate-budget.ts";

/** An empty value (`PORT=` in a .env file) counts as unset, so the default applies instead of 0. */
const unsetIfBlank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const PORT_RANGE = "must be a port number from 0 to 65535 (0 picks a free port)";
const port = (fallback: number) =>
  z.preprocess(
    unsetIfBlank,
    z.coerce.number({ error: PORT_RANGE }).int(PORT_RANGE).min(0, PORT_RANGE).max(65535, PORT_RANGE).default(fallback),
  );
// Only for a non-number (NaN): range checks keep their own messages.
const number = () =>
  z.coerce.number({ error: (issue) => (issue.code === "invalid_type" ? "must be a number" : undefined) });
/** The names of the listening ports, for messages about a taken port. */
export const PORT_VARIABLES = ["PORT", "SANDBOX_PORT", "DYNAMODB_PORT", "SQS_PORT"] as const;
const flag = (fallback: boolean) =>
  z
    .enum(["0", "1", "true", "false", "yes", "no"])
    .optional()
    .transform((v) => (v === undefined ? fallback : ["1", "true", "yes"].includes(v)));
const reasonList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "must list UPPER_SNAKE_CASE reasons, comma-separated")));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

export const LocalEnvSchema = z
  .object({
    PORT: port(3000),
    SANDBOX_PORT: port(3001),
    DYNAMODB_PORT: port(8000),
    SQS_PORT: port(9324),
    HOST: z.string().default("127.0.0.1"),
    DATA_DIR: z.string().default("./.data"),
    DEMO: flag(true),
    /** Seconds between demo orders. */
    DEMO_INTERVAL_S: number().positive().default(5),
    POLL_INTERVAL_S: number().positive().default(60),
    /** Seconds the poll window stays behind now (Pincode's settle delay); the poller's default is 30. */
    POLL_SETTLE_S: number().min(0).default(30),
    /** Seconds each poll window re-pages before the last one's end (the look-back); unset: the poller's 600. */
    POLL_LOOKBACK_S: z.preprocess(unsetIfBlank, number().min(0).optional()),
    STORE_IDS: z
      .string()
      .default("S01,S02,S03")
      .transform((v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string()).min(1, "STORE_IDS must name at least one store")),
    CALLBACK_CLIENT_ID: z.string().min(1).default("local-pincode"),
    CALLBACK_CLIENT_SECRET: z
      .string()
      .min(16, "CALLBACK_CLIENT_SECRET must be at least 16 characters")
      .default("local-callback-secret-change-me"),
    /** `Authorization: Bearer <key>` for the seller API (/v1/*); unset: generated, kept in DATA_DIR, printed at start. */
    SELLER_API_KEY: optionalText.pipe(
      z.string().min(16, "SELLER_API_KEY must be at least 16 characters (unset: one is generated)").optional(),
    ),
    /**
     * The AWS SDK's own variables: an emulator already running (DynamoDB Local, a fauxqs in a child process) instead
     * of the embedded one. Read here too so a caller that builds the environment (the bench) can pass them.
     */
    AWS_ENDPOINT_URL_DYNAMODB: optionalText.pipe(z.url().optional()),
    AWS_ENDPOINT_URL_SQS: optionalText.pipe(z.url().optional()),
    PINCODE_API_BASE_URL: optionalText.pipe(z.url().optional()),
    PINCODE_AUTH_URL: optionalText.pipe(z.url().optional()),
    PINCODE_CLIENT_ID: optionalText,
    PINCODE_CLIENT_SECRET: optionalText,
    /**
     * The Pincode budget, calls per second for the whole local stack (docs/rate-budget.md). Unset: 10 against a real
     * Pincode, none (the per-process throttle) against the sandbox.
     */
    PINCODE_RATE_LIMIT_PER_S: z.preprocess(unsetIfBlank, number().positive("must be > 0 calls per second").optional()),
    /** Per-family limits on top, `poll:5,status:10,update:5,catalog:2`. */
    PINCODE_RATE_LIMITS: optionalText.superRefine((value, ctx) => {
      try {
        parseFamilyRates(value, "PINCODE_RATE_LIMITS");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^PINCODE_RATE_LIMITS: /, "") });
      }
    }),
    /**
     * Issue 13: the embedded sandbox enforces this budget (a token bucket answering 429); unset, it enforces
     * PINCODE_RATE_LIMIT_PER_S, so local mode proves the bridge keeps inside the budget it is given.
     */
    SANDBOX_RATE_LIMIT_PER_S: z.preprocess(unsetIfBlank, number().positive("must be > 0 calls per second").optional()),
    /** Adaptive polling (docs/scale.md): both set turns it on, with POLL_INTERVAL_S as the schedule's period. */
    POLL_INTERVAL_MIN_S: z.preprocess(unsetIfBlank, number().positive().optional()),
    POLL_INTERVAL_MAX_S: z.preprocess(unsetIfBlank, number().positive().optional()),
    /** Poll-queue consumer loops (Lambda's concurrent poller invocations); the Pincode budget holds whatever the count. */
    POLL_CONSUMERS: number().int().min(1).max(32).default(1),
    SANDBOX_CLIENT_ID: z.string().default("sandbox-client"),
    SANDBOX_CLIENT_SECRET: z.string().default("sandbox-secret"),
    /** moves (default) | frozen: whether the sandbox's order updatedAt moves on change (docs/sandbox.md). */
    SANDBOX_UPDATED_AT: z.preprocess(
      unsetIfBlank,
      z.enum(["moves", "frozen"], { error: "must be moves or frozen" }).default("moves"),
    ),
    /** Reasons Pincode added after this release's tables, comma-separated (as -c extraCancelReasons on a stage). */
    PINCODE_EXTRA_CANCEL_REASONS: reasonList,
    PINCODE_EXTRA_ITEM_REASONS: reasonList,
    /**
     * Unset: time-based (printed at start), like `npm run sandbox`. A fixed seed regenerates the same order ids on
     * every start, which collide with the orders DATA_DIR kept from the last run.
     */
    SANDBOX_SEED: z.preprocess(
      unsetIfBlank,
      z.coerce
        .number({ error: "must be an integer from 0 to 4294967295" })
        .int()
        .min(0)
        .max(2 ** 32 - 1)
        .optional(),
    ),
    /** Sandbox fault rates applied in demo mode ("mild faults"); 0 turns a knob off. */
    DEMO_CALLBACK_DROP_RATE: number().min(0).max(1).default(0.2),
    DEMO_API_ERROR_RATE: number().min(0).max(1).default(0.05),
    /** Seconds a failed message stays invisible before it is retried (Lambda visibility timeout). */
    VISIBILITY_TIMEOUT_S: number().int().min(0).default(30),
    /** Processor batches run at once on the events queue (Lambda's SQS concurrency; issue 11: one was the bottleneck). */
    LOCAL_PROCESSOR_CONCURRENCY: number().int().min(1, "must be at least 1").max(64, "must be at most 64").default(4),
    MAX_RECEIVE_COUNT: number().int().min(1).default(5),
    /**
     * Containers per SQS consumer (processor, commands), as Lambda scales out: each its own handler instance, Pincode
     * client and throttle. The poller stays one. Default 1.
     */
    CONSUMER_CONCURRENCY: number().int().min(1).max(20).default(1),
    STATUS_LINE: flag(true),
  })
  .superRefine((env, ctx) => {
    const real = [env.PINCODE_API_BASE_URL, env.PINCODE_AUTH_URL, env.PINCODE_CLIENT_ID, env.PINCODE_CLIENT_SECRET];
    const given = real.filter((v) => v !== undefined).length;
    if (given > 0 && given < real.length) {
      ctx.addIssue({
        code: "custom",
        path: ["PINCODE_API_BASE_URL"],
        message:
          "to use a real Pincode set all of PINCODE_API_BASE_URL, PINCODE_AUTH_URL, PINCODE_CLIENT_ID and PINCODE_CLIENT_SECRET (or none, for the sandbox)",
      });
    }
  });

export type LocalEnv = z.infer<typeof LocalEnvSchema>;

/** The local stack's Pincode budget: what PINCODE_RATE_LIMIT_PER_S says, or 10/s against a real Pincode. */
export const LOCAL_REAL_PINCODE_DEFAULT_RATE = 10;

export interface LocalConfig extends LocalEnv {
  inMemory: boolean;
  dataDir: string;
  /** True when pointed at a real Pincode (staging) instead of the embedded sandbox. */
  realPincode: boolean;
}

/** One line for a failed start; a taken port names the variable that chose it. */
export function describeStartError(error: Error & { code?: string; port?: number }, config: LocalEnv): string {
  if (error.code !== "EADDRINUSE") return `local mode failed to start: ${error.message}`;
  const names = PORT_VARIABLES.filter((name) => config[name] === error.port);
  const which = names.length > 0 ? names.join(" / ") : PORT_VARIABLES.join(", ");
  return `local mode failed to start: port ${error.port ?? "?"} is taken (${which}); set ${names[0] ?? "it"} to a free port, or 0 for any free port`;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): LocalConfig {
  const parsed = LocalEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`).join("; ");
    throw new Error(`invalid local-mode configuration: ${problems}`);
  }
  const unknown = argv.filter((a) => a !== "--in-memory");
  if (unknown.length > 0) throw new Error(`unknown argument(s): ${unknown.join(" ")} (the only option is --in-memory)`);
  return {
    ...parsed.data,
    inMemory: argv.includes("--in-memory"),
    dataDir: resolve(parsed.data.DATA_DIR),
    realPincode: parsed.data.PINCODE_API_BASE_URL !== undefined,
  };
}
