/**
 * One emulator (dynalite or fauxqs) or the Pincode sandbox in a `node` process of its own, started by
 * external-processes.ts with `fork`: it listens on a free port (0) and sends `{ type: "ready", endpoint }` over the IPC
 * channel. It exits on SIGTERM/SIGINT, and when the channel closes (the parent exited, however it died), so it never
 * outlives the process that started it.
 *
 *   node --import tsx bin/local/external-child.ts dynamodb|sqs|sandbox
 *
 * The sandbox reads the variables `npm run sandbox` reads (sandbox/main.ts): SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET,
 * SANDBOX_SEED, SANDBOX_STORES, SANDBOX_UPDATED_AT, SANDBOX_RATE_LIMIT_PER_S, SANDBOX_RATE_LIMITS,
 * SANDBOX_RATE_LIMIT_BURST_S. Its admin API (/_sandbox/*) is how the parent drives it.
 */
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { rateLimitFromEnv } from "../../sandbox/rate-limit.ts";
import { startSandbox } from "../../sandbox/sandbox.ts";
import { parseStoresSpec } from "../../sandbox/store-ids.ts";

export type ExternalKind = "dynamodb" | "sqs" | "sandbox";
export type ChildMessage = { type: "ready"; endpoint: string } | { type: "failed"; message: string };

const host = process.env.EXTERNAL_HOST ?? "127.0.0.1";

async function start(kind: string): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  if (kind === "dynamodb") {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return {
      endpoint: `http://${host}:${port}`,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }
  if (kind === "sqs") {
    const server = await startFauxqs({ port: 0, logger: false });
    return { endpoint: server.address, stop: () => server.stop() };
  }
  if (kind === "sandbox") {
    const env = process.env;
    const seed = env.SANDBOX_SEED?.trim() ? Number(env.SANDBOX_SEED) : Date.now() % 2_147_483_647;
    if (!Number.isInteger(seed) || seed < 0) throw new Error("SANDBOX_SEED must be an integer >= 0");
    const updatedAt = env.SANDBOX_UPDATED_AT?.trim() || "moves";
    if (updatedAt !== "moves" && updatedAt !== "frozen") throw new Error("SANDBOX_UPDATED_AT must be moves or frozen");
    const sandbox = await startSandbox({
      port: 0,
      host,
      clientId: env.SANDBOX_CLIENT_ID || "sandbox-client",
      clientSecret: env.SANDBOX_CLIENT_SECRET || "sandbox-secret",
      seed,
      stores: parseStoresSpec(env.SANDBOX_STORES),
      updatedAt,
      rateLimit: rateLimitFromEnv(env),
      log: (line) => process.stderr.write(`[sandbox] ${line}\n`),
    });
    return { endpoint: sandbox.url, stop: () => sandbox.stop() };
  }
  throw new Error(`unknown kind '${kind}' (dynamodb, sqs or sandbox)`);
}

const send = (message: ChildMessage) => process.send?.(message);

if (!process.send) {
  process.stderr.write("external-child.ts is started by bin/local/external-processes.ts (it needs an IPC channel)\n");
  process.exit(2);
}

let stopping = false;
let stopServer: (() => Promise<void>) | undefined;
const exit = (code: number) => {
  if (stopping) return;
  stopping = true;
  const done = () => process.exit(code);
  // A server that will not close in time must not keep the process alive.
  setTimeout(done, 2_000).unref();
  (stopServer?.() ?? Promise.resolve()).then(done, done);
};
process.on("SIGTERM", () => exit(0));
process.on("SIGINT", () => exit(0));
// The parent is gone (exited, crashed or killed): so are we.
process.on("disconnect", () => exit(0));

start(process.argv[2] ?? "").then(
  ({ endpoint, stop }) => {
    stopServer = stop;
    send({ type: "ready", endpoint });
  },
  (error: unknown) => {
    send({ type: "failed", message: error instanceof Error ? error.message : String(error) });
    exit(1);
  },
);
