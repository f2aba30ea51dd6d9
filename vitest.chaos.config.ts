import { defineConfig } from "vitest/config";

/** `npm run test:chaos` (issue 10): the chaos convergence run, apart from `npm test` (CHAOS_ORDERS sizes it). */
export default defineConfig({
  test: {
    include: ["test/chaos/**/*.chaos.ts"],
    environment: "node",
    // The run sizes its own phases; this only stops a hung run (1,000 orders take a few minutes).
    testTimeout: 40 * 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
