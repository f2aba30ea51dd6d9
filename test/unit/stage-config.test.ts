import { describe, expect, it } from "vitest";
import { loadStageConfig } from "../../lib/config/stage-config.ts";

describe("loadStageConfig", () => {
  it("retains data in prod and not in dev", () => {
    expect(loadStageConfig("prod").retainData).toBe(true);
    expect(loadStageConfig("dev").retainData).toBe(false);
  });

  it("defaults to dev and rejects an unknown stage by name", () => {
    expect(loadStageConfig(undefined).stage).toBe("dev");
    expect(() => loadStageConfig("qa")).toThrow(/stage.*dev, prod.*"qa"/);
  });
});
