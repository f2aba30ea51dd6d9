import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { z } from "zod";

const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === "number"));

const functionSettings = z.object({
  memoryMb: z.number().int().min(128).max(10_240),
  timeoutSeconds: z.number().int().min(1).max(900),
});

/** Pincode `serviceProviderId`s: kept to a safe alphabet because they travel in an env var as a comma list. */
const storeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "store ids may contain only letters, digits, '-' and '_'");

/** A Pincode reason value: UPPER_SNAKE_CASE, as every reason in the documented tables. */
const reasonName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "reasons are UPPER_SNAKE_CASE (A-Z, 0-9, _)");
/** Pincode endpoint families, as the client throttles and the shared budget paces them (docs/rate-budget.md). */
export const PINCODE_FAMILIES = ["poll", "status", "update", "catalog"] as const;
/** One API method's throttle: steady requests per second and burst (API Gateway token bucket). */
const methodThrottle = z.object({ rateLimit: z.number().positive(), burstLimit: z.number().int().positive() });
const callsPerSecond = z.number().positive("must be a number of calls per second > 0").max(1000);

/** Per-stage settings. `-c stage=dev|prod` selects one; everything else has a safe default. */
export const StageConfigSchema = z
  .object({
    stage: z.enum(["dev", "prod"]),
    /** Retain stateful resources (table, queues, secrets, log groups) on stack deletion. */
    retainData: z.boolean(),
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => RETENTION_DAYS.has(d), "logRetentionDays must be a CloudWatch Logs retention value"),
    logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]),
    pincode: z.object({
      /** Seller-network API host (`/tsp/...`). PINCODE-API A18: hosts differ by environment and brand. */
      apiBaseUrl: z.url({ protocol: /^https$/ }),
      /** Identity-manager host; the token path `/olympus/im/v1/oauth/token` is appended by the client. */
      authUrl: z.url({ protocol: /^https$/ }),
    }),
    /** Stores the poller reconciles, from `-c storeIds=S01,S02`. */
    storeIds: z.array(storeId),
    /**
     * Reasons Pincode added after this release's tables (order-update-api.txt dates its tables), from
     * `-c extraCancelReasons=A,B` / `-c extraItemReasons=C`; handed to the functions that validate outbound requests.
     */
    extraReasons: z.object({ cancel: z.array(reasonName), item: z.array(reasonName) }),
    /** PINCODE-API §3.1: OAuth is the supported mode, the static token is being deprecated. */
    callbackAuthMode: z.enum(["oauth", "static", "oauth+static"]),
    queues: z.object({
      /** Receives before a message moves to its DLQ. */
      maxReceiveCount: z.number().int().min(1).max(1000),
    }),
    processor: functionSettings.extend({
      batchSize: z.number().int().min(1).max(10),
      /** SQS event source maximum concurrency: AWS allows 2..1000. */
      maxConcurrency: z.number().int().min(2).max(1000),
      maxBatchingWindowSeconds: z.number().int().min(0).max(300),
    }),
    poller: functionSettings.extend({
      intervalMinutes: z.number().int().min(1).max(60),
      /** Caps concurrent store polls so we stay inside Pincode's (undocumented) rate limits: PINCODE-API A8. */
      maxConcurrency: z.number().int().min(2).max(1000),
      lookbackMs: z.number().int().nonnegative(),
      settleMs: z.number().int().nonnegative(),
      pageSize: z.number().int().min(1).max(10),
      timeBudgetMs: z.number().int().positive(),
      /**
       * Adaptive polling (issue 13, docs/scale.md), from `-c pollIntervalMinS=60 -c pollIntervalMaxS=900`: each store's
       * interval between the two, only due stores fanned out, spread over the schedule's period. Absent: every store
       * every `intervalMinutes`.
       */
      adaptive: z
        .object({
          minSeconds: z.number().int().min(60).max(3600),
          maxSeconds: z
            .number()
            .int()
            .min(60)
            .max(24 * 3600),
        })
        .optional(),
    }),
    callback: functionSettings,
    callbackAuth: functionSettings,
    /** The seller API function (`/v1/*`). */
    sellerApi: functionSettings,
    api: z.object({
      /** Stage default, applied to every method on its own (API Gateway throttles per method, token bucket each). */
      throttlingRateLimit: z.number().positive(),
      throttlingBurstLimit: z.number().int().positive(),
      /** Pincode's callback route: its own bucket, so no other route's traffic can use it up. */
      callbacks: methodThrottle,
      /**
       * The token route: its own, separate bucket, so a flood of token requests is answered 429 there and cannot
       * starve the callbacks. Pincode fetches a token before each callback (PINCODE-API 3.1), so it is never set lower.
       */
      token: methodThrottle,
      /** Optional AWS WAF web ACL (`-c wafRateLimitPer5Min=2000`): absent, no web ACL is created. */
      waf: z
        .object({
          /** Requests per source IP per 5 minutes before the IP is blocked (AWS WAF rate-based rule: 10..2e9). */
          rateLimitPer5Min: z.number().int().min(10).max(2_000_000_000),
        })
        .optional(),
    }),
    alarms: z.object({
      /** Oldest message on the events queue older than this means the processor is not keeping up. */
      eventsQueueMaxAgeSeconds: z.number().int().positive(),
      /** Length of one evaluation period of the poll-lag, function-error and API 5xx alarms. */
      periodMinutes: z.number().int().min(1).max(60),
      pollLag: z.object({
        /** A store whose poll window end is further behind than this is not having dropped callbacks recovered. */
        thresholdMinutes: z.number().int().positive(),
        /** Consecutive periods over the threshold (or without data, see below) before the alarm fires. */
        evaluationPeriods: z.number().int().min(1),
        /** No PollLagMs for a store counts as lagging, so a poller that stopped running alarms instead of going quiet. */
        missingDataBreaches: z.boolean(),
      }),
      /** Poller and processor Lambda errors (crashes, timeouts; record failures are reported, not thrown). */
      functionErrors: z.object({
        threshold: z.number().int().positive(),
        evaluationPeriods: z.number().int().min(1),
      }),
      /** 5xx answers on Pincode's callback and token endpoints: Pincode retries, but callbacks are not arriving. */
      api5xx: z.object({
        threshold: z.number().int().positive(),
        evaluationPeriods: z.number().int().min(1),
      }),
      /** A Store Toggle / Listing submission still PENDING (no result callback) after this long alarms. */
      submissionPending: z.object({
        thresholdMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60),
      }),
      /**
       * Pincode answering 429 (rate_limited) or 5xx (server_error) to any of our functions: attempts per alarm period,
       * summed over every endpoint and function (PincodeCalls by outcome), over `evaluationPeriods` periods in a row.
       */
      pincodeErrors: z.object({
        rateLimitedThreshold: z.number().int().positive(),
        serverErrorThreshold: z.number().int().positive(),
        evaluationPeriods: z.number().int().min(1),
      }),
      /** Seller commands that ended FAILED (gave up after their attempts) in one period. */
      commandsFailed: z.object({ threshold: z.number().int().positive() }),
      /** Optional address subscribed to the alarm topic (`-c alarmEmail=ops@example.com`). */
      email: z.email().optional(),
    }),
    /**
     * The rate the whole stack may spend on Pincode, whatever the concurrency (PINCODE-API A8: limits exist, no
     * numbers, abusers blacklisted). `-c pincodeRateLimitPerS=20`, optionally per family on top:
     * `-c pincodeRateLimits=poll:5,status:10,update:5,catalog:2`. Paced through a shared schedule in the table.
     */
    pincodeRateLimit: z.object({
      perSecond: callsPerSecond,
      families: z.partialRecord(z.enum(PINCODE_FAMILIES), callsPerSecond),
    }),
    /**
     * Optional buyer-data retention (docs/buyer-data.md): buyer fields are purged this many days after an order is
     * final, by a daily purge function. `-c buyerDataRetentionDays=30`; absent (the default): buyer data is kept.
     */
    buyerDataRetentionDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((c) => c.poller.timeBudgetMs <= (c.poller.timeoutSeconds - 5) * 1000, {
    message: "poller.timeBudgetMs must leave at least 5 s of the poller timeout to save its cursor",
    path: ["poller", "timeBudgetMs"],
  })
  .refine((c) => Object.values(c.pincodeRateLimit.families).every((rate) => rate <= c.pincodeRateLimit.perSecond), {
    message: "pincodeRateLimit.families: a family's rate cannot exceed the total pincodeRateLimit.perSecond",
    path: ["pincodeRateLimit", "families"],
  })
  .refine((c) => !c.poller.adaptive || c.poller.adaptive.minSeconds <= c.poller.adaptive.maxSeconds, {
    message: "poller.adaptive: pollIntervalMinS must not exceed pollIntervalMaxS",
    path: ["poller", "adaptive"],
  })
  .refine((c) => !c.poller.adaptive || c.poller.adaptive.minSeconds >= c.poller.intervalMinutes * 60, {
    message: "poller.adaptive: pollIntervalMinS cannot be shorter than the schedule's period (poller.intervalMinutes)",
    path: ["poller", "adaptive"],
  })
  .refine((c) => c.api.token.rateLimit >= c.api.callbacks.rateLimit, {
    message:
      "api.token.rateLimit must be at least api.callbacks.rateLimit: Pincode fetches a token before each callback",
    path: ["api", "token", "rateLimit"],
  })
  .refine((c) => c.alarms.pollLag.thresholdMinutes * 60_000 > healthyPollLagMs(c), {
    message: "alarms.pollLag.thresholdMinutes must exceed the lag of a healthy poller (interval + settle + timeout)",
    path: ["alarms", "pollLag", "thresholdMinutes"],
  });

/**
 * The largest PollLagMs a poller that is keeping up reports: the window ends `settle` before the run, runs start an
 * interval apart, and a run may take up to the function timeout before it records the lag.
 */
export function healthyPollLagMs(c: {
  poller: { intervalMinutes: number; settleMs: number; timeoutSeconds: number };
}): number {
  return c.poller.intervalMinutes * 60_000 + c.poller.settleMs + c.poller.timeoutSeconds * 1000;
}
export type StageConfig = z.infer<typeof StageConfigSchema>;
export type StageName = StageConfig["stage"];

const common = {
  logLevel: "INFO",
  callbackAuthMode: "oauth",
  queues: { maxReceiveCount: 5 },
  processor: { memoryMb: 512, timeoutSeconds: 30, batchSize: 10, maxConcurrency: 5, maxBatchingWindowSeconds: 1 },
  poller: {
    memoryMb: 512,
    timeoutSeconds: 60,
    intervalMinutes: 1,
    maxConcurrency: 2,
    lookbackMs: 10 * 60_000,
    settleMs: 30_000,
    pageSize: 10,
    timeBudgetMs: 45_000,
  },
  callback: { memoryMb: 256, timeoutSeconds: 10 },
  callbackAuth: { memoryMb: 256, timeoutSeconds: 10 },
  sellerApi: { memoryMb: 512, timeoutSeconds: 15 },
  alarms: {
    eventsQueueMaxAgeSeconds: 300,
    periodMinutes: 5,
    pollLag: { thresholdMinutes: 15, evaluationPeriods: 2, missingDataBreaches: false },
    functionErrors: { threshold: 1, evaluationPeriods: 2 },
    api5xx: { threshold: 3, evaluationPeriods: 1 },
    submissionPending: { thresholdMinutes: 30 },
    // Retries absorb a few; a steady stream means our budget is above Pincode's limit or Pincode is failing.
    pincodeErrors: { rateLimitedThreshold: 10, serverErrorThreshold: 5, evaluationPeriods: 2 },
    commandsFailed: { threshold: 1 },
  },
  extraReasons: { cancel: [], item: [] },
  // Below the sum of the old per-container throttles (13/s) for ONE container; override per deployment.
  pincodeRateLimit: { perSecond: 10, families: {} },
} as const satisfies Partial<StageConfig>;

const STAGES: Record<StageName, StageConfig> = {
  dev: {
    ...common,
    stage: "dev",
    retainData: false,
    logRetentionDays: 14,
    logLevel: "DEBUG",
    storeIds: [],
    pincode: {
      apiBaseUrl: "https://seller-network-testing.pincode.com",
      authUrl: "https://stg-identitymanager.phonepe.com",
    },
    api: {
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
      callbacks: { rateLimit: 20, burstLimit: 40 },
      token: { rateLimit: 20, burstLimit: 40 },
    },
  },
  prod: {
    ...common,
    stage: "prod",
    retainData: true,
    logRetentionDays: 90,
    storeIds: [],
    // A dead poller in prod means dropped callbacks are never recovered: silence is an alarm there.
    alarms: { ...common.alarms, pollLag: { ...common.alarms.pollLag, missingDataBreaches: true } },
    pincode: {
      apiBaseUrl: "https://shopping-network.phonepe.com",
      authUrl: "https://identitymanager.phonepe.com",
    },
    api: {
      throttlingRateLimit: 100,
      throttlingBurstLimit: 200,
      callbacks: { rateLimit: 100, burstLimit: 200 },
      token: { rateLimit: 100, burstLimit: 200 },
    },
  },
};

/** Context keys that override a stage default (all strings on the command line: `-c storeIds=S01,S02`). */
export const CONTEXT_OVERRIDES = [
  "storeIds",
  "callbackAuthMode",
  "pincodeApiBaseUrl",
  "pincodeAuthUrl",
  "alarmEmail",
  "extraCancelReasons",
  "extraItemReasons",
  "submissionPendingAlarmMinutes",
  "pincodeRateLimitPerS",
  "pincodeRateLimits",
  "pollIntervalMinS",
  "pollIntervalMaxS",
  "wafRateLimitPer5Min",
  "buyerDataRetentionDays",
] as const;
export type ContextOverrides = Partial<Record<(typeof CONTEXT_OVERRIDES)[number], unknown>>;

/** `-c key=30` arrives as a string; a non-number stays as it is so the schema names the key. */
function toNumber(value: unknown): unknown {
  return typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
}

function splitList(value: unknown): unknown {
  if (typeof value !== "string") return value;
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `-c pincodeRateLimitPerS=20` arrives as the string "20"; anything not a number is left for the schema to name. */
function contextNumber(value: unknown): unknown {
  return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
}

/** `poll:5,status:10` -> { poll: 5, status: 10 }; a malformed entry fails naming the context key and the form. */
function familyRates(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const out: Record<string, unknown> = {};
  for (const entry of value.split(",").filter((e) => e.trim() !== "")) {
    const [family, rate, extra] = entry.split(":").map((s) => s.trim());
    if (!family || rate === undefined || extra !== undefined) {
      throw new Error(
        `context 'pincodeRateLimits' must be <family>:<calls per second>,... with family one of ${PINCODE_FAMILIES.join(", ")}`,
      );
    }
    out[family] = contextNumber(rate);
  }
  return out;
}

/**
 * The validated config for a stage, with context overrides applied. Errors name the context key or config path, so
 * a typo on the command line fails the synth with a message an operator can act on.
 */
export function loadStageConfig(stage: unknown, overrides: ContextOverrides = {}): StageConfig {
  const parsed = z.enum(["dev", "prod"]).safeParse(stage ?? "dev");
  if (!parsed.success) {
    throw new Error(`context 'stage' must be one of dev, prod; got ${JSON.stringify(stage)}`);
  }
  const base = STAGES[parsed.data];
  const adaptive =
    overrides.pollIntervalMinS === undefined && overrides.pollIntervalMaxS === undefined
      ? undefined
      : {
          minSeconds: contextNumber(overrides.pollIntervalMinS ?? overrides.pollIntervalMaxS),
          maxSeconds: contextNumber(overrides.pollIntervalMaxS ?? overrides.pollIntervalMinS),
        };
  // A store polled every maxSeconds reports PollLagMs that often: where missing data breaches, the alarm must look
  // over at least that long before it counts a quiet store as a stopped poller.
  const lagPeriods =
    adaptive && typeof adaptive.maxSeconds === "number"
      ? Math.max(
          base.alarms.pollLag.evaluationPeriods,
          Math.ceil(adaptive.maxSeconds / (base.alarms.periodMinutes * 60)) + 1,
        )
      : base.alarms.pollLag.evaluationPeriods;
  const candidate = {
    ...base,
    poller: { ...base.poller, ...(adaptive ? { adaptive } : {}) },
    storeIds: overrides.storeIds === undefined ? base.storeIds : splitList(overrides.storeIds),
    callbackAuthMode: overrides.callbackAuthMode ?? base.callbackAuthMode,
    pincode: {
      apiBaseUrl: overrides.pincodeApiBaseUrl ?? base.pincode.apiBaseUrl,
      authUrl: overrides.pincodeAuthUrl ?? base.pincode.authUrl,
    },
    alarms: {
      ...base.alarms,
      pollLag: { ...base.alarms.pollLag, evaluationPeriods: lagPeriods },
      ...(overrides.alarmEmail === undefined ? {} : { email: overrides.alarmEmail }),
      ...(overrides.submissionPendingAlarmMinutes === undefined
        ? {}
        : { submissionPending: { thresholdMinutes: toNumber(overrides.submissionPendingAlarmMinutes) } }),
    },
    extraReasons: {
      cancel:
        overrides.extraCancelReasons === undefined ? base.extraReasons.cancel : splitList(overrides.extraCancelReasons),
      item: overrides.extraItemReasons === undefined ? base.extraReasons.item : splitList(overrides.extraItemReasons),
    },
    api: {
      ...base.api,
      ...(overrides.wafRateLimitPer5Min === undefined
        ? {}
        : { waf: { rateLimitPer5Min: contextNumber(overrides.wafRateLimitPer5Min) } }),
    },
    pincodeRateLimit: {
      perSecond:
        overrides.pincodeRateLimitPerS === undefined
          ? base.pincodeRateLimit.perSecond
          : contextNumber(overrides.pincodeRateLimitPerS),
      families:
        overrides.pincodeRateLimits === undefined
          ? base.pincodeRateLimit.families
          : familyRates(overrides.pincodeRateLimits),
    },
  };
  if (overrides.buyerDataRetentionDays !== undefined) {
    Object.assign(candidate, { buyerDataRetentionDays: toNumber(overrides.buyerDataRetentionDays) });
  }
  const result = StageConfigSchema.safeParse(candidate);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`invalid config for stage '${parsed.data}': ${problems}`);
  }
  return result.data;
}

/** Reads the override keys from CDK context (`app.node.tryGetContext`). */
export function contextOverrides(tryGetContext: (key: string) => unknown): ContextOverrides {
  const out: ContextOverrides = {};
  for (const key of CONTEXT_OVERRIDES) {
    const value = tryGetContext(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
