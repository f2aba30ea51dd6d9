import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Only under `npm run test:dynamodb-local`, which starts DynamoDB Local for them.
    exclude: [...configDefaults.exclude, "test/dynamodb-local/**"],
    environment: "node",
    // Generous: a CDK synth takes 40-50 s on a loaded 2-core machine (seen while five branches ran their suites).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
