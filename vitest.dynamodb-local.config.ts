import { configDefaults, defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * `npm run test:dynamodb-local`: the freshness, command and (when present) chaos properties, and the other suites
 * that lean on DynamoDB's conditional writes, once more against DynamoDB Local, AWS's own emulator, instead of
 * dynalite. Same tests, same assertions; only the endpoint differs (docs/testing.md).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/integration/ingestion-freshness.test.ts",
      "test/integration/order-truth.test.ts",
      "test/integration/processor.test.ts",
      "test/integration/dynamo-batcher.test.ts",
      "test/integration/commands-*.test.ts",
      "test/integration/poller*.test.ts",
      "test/integration/rate-budget.test.ts",
      "test/integration/buyer-data-retention.test.ts",
      "test/integration/seller-api.test.ts",
      "test/integration/emulators.test.ts",
      "test/dynamodb-local/**/*.test.ts",
      // The chaos convergence run too, at a small size unless CHAOS_ORDERS says otherwise (docs/chaos.md).
      "test/chaos/**/*.chaos.ts",
    ],
    exclude: configDefaults.exclude,
    env: { CHAOS_ORDERS: process.env.CHAOS_ORDERS ?? "60" },
    // The chaos run sizes its own phases; this only stops a hung run.
    testTimeout: 20 * 60_000,
    globalSetup: ["test/dynamodb-local/global-setup.ts"],
  },
});
