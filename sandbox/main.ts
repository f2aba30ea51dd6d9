/**
 * `npm run sandbox`: the Pincode sandbox as a standalone server.
 *
 *   SANDBOX_PORT (3001)  SANDBOX_HOST (127.0.0.1)  SANDBOX_CLIENT_ID (sandbox-client)
 *   SANDBOX_CLIENT_SECRET (sandbox-secret)  SANDBOX_SEED (random, printed)  SANDBOX_STORES (S01,S02,S03)
 *   SANDBOX_ORDERS (6: orders generated at start)  SANDBOX_DEMO=1 (live demo traffic)  SANDBOX_DEMO_INTERVAL_MS (3000)
 *   SANDBOX_UPDATED_AT (moves | frozen: whether order updatedAt moves on change, or stays at creation as in Pincode's sample)
 */
import type { UpdatedAtMode } from "./faults.ts";
import { startSandbox } from "./sandbox.ts";

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
  const stores = (process.env.SANDBOX_STORES ?? "S01,S02,S03")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
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
      `  Stores: ${sandbox.stores.join(", ")}   seed: ${seed} (SANDBOX_SEED=${seed} to repeat)   demo: ${demo ? "on" : "off"}   updatedAt: ${sandbox.getFaults().frozenUpdatedAt ? "frozen" : "moves"}`,
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

main().catch((error: unknown) => {
  console.error(`sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
