/** The stack-wide Pincode rate budget's configuration: stage config, context overrides, and what the functions get. */
import { describe, expect, it } from "vitest";
import { parseRateBudgetEnv } from "../../functions/adapters/rate-budget-store.ts";
import { adaptiveScheduleOf, parsePollerEnv } from "../../functions/poller/env.ts";
import { loadStageConfig } from "../../lib/config/stage-config.ts";
import { envOf, functionsByName, synthStage } from "./support.ts";

const PINCODE_CALLERS = ["poller", "processor"] as const;

function env(name: string, stage: "dev" | "prod", context?: Record<string, string>) {
  const found = functionsByName(synthStage(stage, context).appTemplate).get(name);
  if (!found) throw new Error(`function ${name} not in the app stack`);
  return envOf(found);
}

describe("stage config: pincodeRateLimit", () => {
  it("defaults to 10 calls/s for the whole stack, no per-family limits, in both stages", () => {
    for (const stage of ["dev", "prod"] as const) {
      expect(loadStageConfig(stage).pincodeRateLimit).toEqual({ perSecond: 10, families: {} });
    }
  });

  it("takes -c pincodeRateLimitPerS and -c pincodeRateLimits from the command line (strings)", () => {
    const config = loadStageConfig("prod", {
      pincodeRateLimitPerS: "20",
      pincodeRateLimits: "poll:5, status:10,update:5,catalog:2",
    });
    expect(config.pincodeRateLimit).toEqual({
      perSecond: 20,
      families: { poll: 5, status: 10, update: 5, catalog: 2 },
    });
  });

  it("rejects a budget that is not a positive number, naming the config path", () => {
    expect(() => loadStageConfig("dev", { pincodeRateLimitPerS: "fast" })).toThrow(/pincodeRateLimit\.perSecond/);
    expect(() => loadStageConfig("dev", { pincodeRateLimitPerS: "0" })).toThrow(
      /pincodeRateLimit\.perSecond: must be a number of calls per second > 0/,
    );
  });

  it("rejects an unknown family, a malformed entry and a family above the total", () => {
    expect(() => loadStageConfig("dev", { pincodeRateLimits: "orders:5" })).toThrow(/pincodeRateLimit\.families/);
    expect(() => loadStageConfig("dev", { pincodeRateLimits: "poll=5" })).toThrow(
      /context 'pincodeRateLimits' must be <family>:<calls per second>/,
    );
    expect(() => loadStageConfig("dev", { pincodeRateLimitPerS: "4", pincodeRateLimits: "poll:5" })).toThrow(
      /a family's rate cannot exceed the total/,
    );
  });
});

describe("app stack: the pacing configuration reaches every function that calls Pincode", () => {
  // One synth for the whole file (each costs seconds); the dev defaults are checked in app-stack.test.ts.
  const context = {
    storeIds: "S01",
    pincodeRateLimitPerS: "20",
    pincodeRateLimits: "poll:5,status:10",
    pollIntervalMinS: "120",
    pollIntervalMaxS: "900",
  };

  it("passes -c overrides to the poller and the processor, and their parser reads back the same budget", () => {
    for (const name of PINCODE_CALLERS) {
      const vars = env(name, "prod", context);
      expect(vars).toMatchObject({ PINCODE_RATE_LIMIT_PER_S: "20", PINCODE_RATE_LIMITS: "poll:5,status:10" });
      expect(
        parseRateBudgetEnv({
          PINCODE_RATE_LIMIT_PER_S: vars.PINCODE_RATE_LIMIT_PER_S as string,
          PINCODE_RATE_LIMITS: vars.PINCODE_RATE_LIMITS as string,
        }),
      ).toEqual({ perSecond: 20, families: { poll: 5, status: 10 } });
    }
  }, 120_000);

  it("does not give the budget to functions that never call Pincode", () => {
    for (const name of ["callback", "callback-auth"]) {
      expect(env(name, "prod", context), name).not.toHaveProperty("PINCODE_RATE_LIMIT_PER_S");
    }
  }, 120_000);
});

describe("stage config: adaptive polling bounds", () => {
  it("is off by default in both stages: every store every scheduled run", () => {
    for (const stage of ["dev", "prod"] as const) expect(loadStageConfig(stage).poller.adaptive).toBeUndefined();
  });

  it("takes -c pollIntervalMinS / -c pollIntervalMaxS, and widens the poll-lag alarm's look to the longest interval", () => {
    const config = loadStageConfig("prod", { pollIntervalMinS: "60", pollIntervalMaxS: "900" });
    expect(config.poller.adaptive).toEqual({ minSeconds: 60, maxSeconds: 900 });
    // 5-minute periods: a store polled every 15 min reports its lag every third period at worst.
    expect(config.alarms.pollLag.evaluationPeriods).toBe(4);
    expect(loadStageConfig("prod").alarms.pollLag.evaluationPeriods).toBe(2);
  });

  it("rejects min above max, a minimum below the schedule's period and a non-number, naming the path", () => {
    expect(() => loadStageConfig("dev", { pollIntervalMinS: "900", pollIntervalMaxS: "60" })).toThrow(
      /poller\.adaptive: pollIntervalMinS must not exceed pollIntervalMaxS/,
    );
    expect(() => loadStageConfig("dev", { pollIntervalMinS: "30", pollIntervalMaxS: "900" })).toThrow(
      /poller\.adaptive\.minSeconds/,
    );
    expect(() => loadStageConfig("dev", { pollIntervalMinS: "often", pollIntervalMaxS: "900" })).toThrow(
      /poller\.adaptive\.minSeconds/,
    );
  });
});

describe("app stack: the adaptive polling configuration reaches the poller", () => {
  it("passes the bounds and the schedule's period; the poller derives its per-run task cap from the budget", () => {
    const context = {
      storeIds: "S01",
      pincodeRateLimitPerS: "20",
      pincodeRateLimits: "poll:5,status:10",
      pollIntervalMinS: "120",
      pollIntervalMaxS: "900",
    };
    const vars = env("poller", "prod", context);
    expect(vars).toMatchObject({ POLL_INTERVAL_MIN_S: "120", POLL_INTERVAL_MAX_S: "900", POLL_SCHEDULE_S: "60" });
    const fromEnv = (name: string) => (typeof vars[name] === "string" ? (vars[name] as string) : "x");
    const parsed = parsePollerEnv({
      TABLE_NAME: "t",
      EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/events",
      POLL_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/poll",
      PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com",
      PINCODE_AUTH_URL: "https://stg-identitymanager.phonepe.com",
      PINCODE_CREDENTIALS_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:1:secret:x",
      POLL_INTERVAL_MIN_S: fromEnv("POLL_INTERVAL_MIN_S"),
      POLL_INTERVAL_MAX_S: fromEnv("POLL_INTERVAL_MAX_S"),
      POLL_SCHEDULE_S: fromEnv("POLL_SCHEDULE_S"),
      PINCODE_RATE_LIMIT_PER_S: fromEnv("PINCODE_RATE_LIMIT_PER_S"),
    });
    expect(adaptiveScheduleOf(parsed)).toEqual({
      minMs: 120_000,
      maxMs: 900_000,
      missMemoryMs: 3_600_000,
      tickMs: 60_000,
      maxTasksPerRun: 918,
    });
    // Without the bounds the poller gets none of them (dev defaults).
    expect(env("poller", "dev")).not.toHaveProperty("POLL_INTERVAL_MIN_S");
  }, 120_000);
});
