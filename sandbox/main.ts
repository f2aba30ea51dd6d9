/**
 * `npm run sandbox`: the Pincode sandbox as a standalone server.
 *
 *   SANDBOX_PORT (3001)  SANDBOX_HOST (127.0.0.1)  SANDBOX_CLIENT_ID (sandbox-client)
 *   SANDBOX_CLIENT_SECRET (sandbox-secret)  SANDBOX_SEED (random, printed)  SANDBOX_STORES (S01,S02,S03)
 *   SANDBOX_ORDERS (6: orders generated at start)  SANDBOX_DEMO=1 (live demo traffic)  SANDBOX_DEMO_INTERVAL_MS (3000)
 *   SANDBOX_STORES may be a count (10000 -> S00001..S10000). Rate budget (docs/sandbox.md): SANDBOX_RATE_LIMIT_PER_S,
 *   SANDBOX_RATE_LIMITS (poll:5,status:10,update:5,catalog:2), SANDBOX_RATE_LIMIT_BURST_S (1).
 *   SANDBOX_UPDATED_AT (moves | frozen: whether order updatedAt moves on change, or stays at creation as in Pincode's sample)
 */
import type { UpdatedAtMode } from "./faults.ts";
import { type RateLimitConfig, rateLimitFromEnv } from "./rate-limit.ts";
import { startSandbox } from "./sandbox.ts";
import { parseStoresSpec } from "./store-ids.ts";

function fromEnvOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
    process.exit(2);
  }
  return value;
}

function updatedAtFromEnv(): UpdatedAtMode {
  const raw = (process.env.SANDBOX_UPDATED_AT ?? "").trim();
  if (raw === "") return "moves";
  if (raw === "moves" || raw === "frozen") return raw;
  console.error("SANDBOX_UPDATED_AT must be moves or frozen");
  process.exit(2);
}

async function main(): Promise<void> {
  const port = intFromEnv("SANDBOX_PORT", 3001, 0, 65_535);
  // A fresh seed per run unless pinned: a consumer that keeps data across restarts would otherwise see the same
  // order ids again with different content.
  const seed = intFromEnv("SANDBOX_SEED", Date.now() % 2_147_483_647, 0, 2 ** 32 - 1);
  const stores = fromEnvOrExit(() => parseStoresSpec(process.env.SANDBOX_STORES));
  const rateLimit: RateLimitConfig = fromEnvOrExit(() => rateLimitFromEnv(process.env));
  const sandbox = await startSandbox({
    port,
    host: process.env.SANDBOX_HOST ?? "127.0.0.1",
    clientId: process.env.SANDBOX_CLIENT_ID || "sandbox-client",
    clientSecret: process.env.SANDBOX_CLIENT_SECRET || "sandbox-secret",
    seed,
    stores,
    initialOrders: intFromEnv("SANDBOX_ORDERS", 6, 0, 10_000),
    updatedAt: updatedAtFromEnv(),
    log: (line) => console.error(`[sandbox] ${line}`),
    rateLimit,
  });
  const demo = process.env.SANDBOX_DEMO === "1" || process.env.SANDBOX_DEMO === "true";
  if (demo) sandbox.startDemo({ intervalMs: intFromEnv("SANDBOX_DEMO_INTERVAL_MS", 3_000, 10, 3_600_000) });

  // The sandbox's own credentials are fake by design, so printing them is the point (they are what clients use).
  console.log(
    [
      "Pincode sandbox running",
      `  API base (PINCODE_API_BASE_URL): ${sandbox.apiBaseUrl}   e.g. POST ${sandbox.apiBaseUrl}/tsp/order/v1/changes`,
      `  Auth base (PINCODE_AUTH_URL):    ${sandbox.authBaseUrl}   token: POST ${sandbox.tokenUrl}`,
      `  Admin API:                       ${sandbox.adminUrl}   (stats: GET ${sandbox.adminUrl}/stats)`,
      `  Credentials:                     client_id=${sandbox.clientId} client_secret=${sandbox.clientSecret}`,
      `  Stores: ${sandbox.stores.length > 10 ? `${sandbox.stores.length} (${sandbox.stores[0]} .. ${sandbox.stores.at(-1)})` : sandbox.stores.join(", ")}   seed: ${seed} (SANDBOX_SEED=${seed} to repeat)   demo: ${demo ? "on" : "off"}   updatedAt: ${sandbox.getFaults().frozenUpdatedAt ? "frozen" : "moves"}`,
      `  Rate budget:                     ${describeRateLimit(rateLimit)}`,
    ].join("\n"),
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the sandbox`);
    sandbox.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

function describeRateLimit(limit: RateLimitConfig): string {
  const families = Object.entries(limit.families).map(([family, rate]) => `${family} ${rate}/s`);
  if (limit.perSecond === null && families.length === 0) return "unlimited (SANDBOX_RATE_LIMIT_PER_S to set one)";
  return [limit.perSecond === null ? "total unlimited" : `total ${limit.perSecond}/s`, ...families].join(", ");
}

main().catch((error: unknown) => {
  console.error(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
