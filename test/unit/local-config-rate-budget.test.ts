/** Local mode's Pincode budget variables (docs/rate-budget.md). */
import { describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";

const failure = (env: NodeJS.ProcessEnv): string => {
  try {
    loadLocalConfig(env, []);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected loadLocalConfig to throw");
};

describe("local mode: PINCODE_RATE_LIMIT_PER_S and PINCODE_RATE_LIMITS", () => {
  it("reads the budget and the per-family limits; blank means unset", () => {
    const config = loadLocalConfig({ PINCODE_RATE_LIMIT_PER_S: "20", PINCODE_RATE_LIMITS: "poll:5,update:5" }, []);
    expect(config.PINCODE_RATE_LIMIT_PER_S).toBe(20);
    expect(config.PINCODE_RATE_LIMITS).toBe("poll:5,update:5");
    expect(loadLocalConfig({ PINCODE_RATE_LIMIT_PER_S: " " }, []).PINCODE_RATE_LIMIT_PER_S).toBeUndefined();
  });

  it("names the variable and the expected form for a bad value", () => {
    expect(failure({ PINCODE_RATE_LIMIT_PER_S: "0" })).toMatch(
      /^invalid local-mode configuration: PINCODE_RATE_LIMIT_PER_S: must be > 0 calls per second/,
    );
    expect(failure({ PINCODE_RATE_LIMIT_PER_S: "fast" })).toContain("PINCODE_RATE_LIMIT_PER_S: must be a number");
    expect(failure({ PINCODE_RATE_LIMITS: "orders:5" })).toMatch(
      /PINCODE_RATE_LIMITS: each entry must be <family>:<calls per second>/,
    );
  });
});
