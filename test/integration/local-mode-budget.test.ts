/** Issue 13: local mode hands the Pincode budget to the embedded sandbox, which enforces it. */
import { describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { startLocalPipeline } from "../../bin/local/pipeline.ts";

const base = {
  PORT: "0",
  SANDBOX_PORT: "0",
  DYNAMODB_PORT: "0",
  SQS_PORT: "0",
  DEMO: "0",
  STATUS_LINE: "0",
  STORE_IDS: "S01",
  POLL_INTERVAL_S: "86400",
  SANDBOX_SEED: "77",
};

async function sandboxLimitWith(env: Record<string, string>) {
  const pipeline = await startLocalPipeline(loadLocalConfig({ ...base, ...env }, ["--in-memory"]));
  try {
    return pipeline.sandbox?.getRateLimit().perSecond;
  } finally {
    await pipeline.stop();
  }
}

describe("local mode and the sandbox's rate budget", () => {
  it("makes the embedded sandbox enforce PINCODE_RATE_LIMIT_PER_S, or SANDBOX_RATE_LIMIT_PER_S when set", async () => {
    expect(await sandboxLimitWith({ PINCODE_RATE_LIMIT_PER_S: "7" })).toBe(7);
    expect(await sandboxLimitWith({ PINCODE_RATE_LIMIT_PER_S: "7", SANDBOX_RATE_LIMIT_PER_S: "9" })).toBe(9);
    // No budget given: the sandbox stays unlimited, as before.
    expect(await sandboxLimitWith({})).toBeNull();
  }, 120_000);
});
