import { describe, expect, it } from "vitest";
import {
  contextOverrides,
  healthyPollLagMs,
  loadStageConfig,
  StageConfigSchema,
} from "../../lib/config/stage-config.ts";

describe("stage config: context overrides", () => {
  it("splits -c storeIds into a trimmed list", () => {
    const config = loadStageConfig("prod", { storeIds: " S01, S02 ,,S-3_x " });

    expect(config.storeIds).toEqual(["S01", "S02", "S-3_x"]);
  });

  it("rejects a store id that would break the STORE_IDS list, naming the key", () => {
    expect(() => loadStageConfig("dev", { storeIds: "S01,bad id" })).toThrow(/storeIds\.1: store ids may contain only/);
  });

  it("uses Pincode staging hosts in dev and production hosts in prod, overridable per host", () => {
    expect(loadStageConfig("dev").pincode).toEqual({
      apiBaseUrl: "https://seller-network-testing.pincode.com",
      authUrl: "https://stg-identitymanager.phonepe.com",
    });
    expect(loadStageConfig("prod").pincode).toEqual({
      apiBaseUrl: "https://shopping-network.phonepe.com",
      authUrl: "https://identitymanager.phonepe.com",
    });
    expect(loadStageConfig("dev", { pincodeApiBaseUrl: "https://sandbox.example.test" }).pincode.apiBaseUrl).toBe(
      "https://sandbox.example.test",
    );
  });

  it("extends the reason tables per stage from -c extraCancelReasons / -c extraItemReasons, refusing odd names", () => {
    expect(loadStageConfig("prod").extraReasons).toEqual({ cancel: [], item: [] });
    const config = loadStageConfig("prod", {
      extraCancelReasons: " NEW_REASON_A, NEW_REASON_B ",
      extraItemReasons: "X_1",
    });
    expect(config.extraReasons).toEqual({ cancel: ["NEW_REASON_A", "NEW_REASON_B"], item: ["X_1"] });
    expect(contextOverrides((key) => (key === "extraItemReasons" ? "X_1" : undefined))).toEqual({
      extraItemReasons: "X_1",
    });
    expect(() => loadStageConfig("dev", { extraCancelReasons: "ok_not" })).toThrow(/extraReasons\.cancel\.0: reasons/);
  });

  it("refuses a plain-http Pincode host and an unknown callback auth mode", () => {
    expect(() => loadStageConfig("dev", { pincodeAuthUrl: "http://idm.example.test" })).toThrow(/pincode\.authUrl/);
    expect(() => loadStageConfig("dev", { callbackAuthMode: "basic" })).toThrow(/callbackAuthMode/);
    expect(loadStageConfig("dev", { callbackAuthMode: "oauth+static" }).callbackAuthMode).toBe("oauth+static");
  });

  it("keeps the poller's time budget inside its timeout", () => {
    const config = loadStageConfig("prod");

    expect(config.poller.timeBudgetMs).toBeLessThanOrEqual((config.poller.timeoutSeconds - 5) * 1000);
  });

  it("reads only the known override keys from CDK context", () => {
    const context: Record<string, unknown> = { storeIds: "S01", stage: "prod", unrelated: "x" };

    expect(contextOverrides((k) => context[k])).toEqual({ storeIds: "S01" });
  });

  it("refuses a poll-lag alarm threshold that a healthy poller would cross", () => {
    const config = loadStageConfig("prod");
    const tooLow = {
      ...config,
      alarms: { ...config.alarms, pollLag: { ...config.alarms.pollLag, thresholdMinutes: 2 } },
    };

    expect(config.alarms.pollLag.thresholdMinutes * 60_000).toBeGreaterThan(healthyPollLagMs(config));
    expect(StageConfigSchema.safeParse(config).success).toBe(true);
    expect(StageConfigSchema.safeParse(tooLow).error?.issues.map((i) => i.path.join("."))).toEqual([
      "alarms.pollLag.thresholdMinutes",
    ]);
  });

  it("treats missing poll lag as breaching only in prod", () => {
    expect(loadStageConfig("prod").alarms.pollLag.missingDataBreaches).toBe(true);
    expect(loadStageConfig("dev").alarms.pollLag.missingDataBreaches).toBe(false);
  });
});
