/** The stack-wide Pincode rate budget's configuration: stage config, context overrides, and what the functions get. */
import { describe, expect, it } from "vitest";
import { parseRateBudgetEnv } from "../../functions/adapters/rate-budget-store.ts";
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
  const context = { storeIds: "S01", pincodeRateLimitPerS: "20", pincodeRateLimits: "poll:5,status:10" };

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
