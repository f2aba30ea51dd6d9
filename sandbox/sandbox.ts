/**
 * The Pincode sandbox: a local stand-in for Pincode's seller-network API with fault injection.
 *
 *   const sandbox = await startSandbox({ seed: 7, callbackRetry: { baseBackoffMs: 5 } });
 *   sandbox.createOrder({ storeId: "S01" });
 *   ... point a client at sandbox.apiBaseUrl / sandbox.authBaseUrl with sandbox.clientId / clientSecret ...
 *   await sandbox.stop();
 *
 * See docs/sandbox.md for the HTTP admin API, the state machine, the faults and the Pincode quirks it reproduces.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describeIssues } from "#pincode/schemas.ts";
import { handleAdmin, stopSale } from "./admin-routes.ts";
import { handleToken, handleTsp, PATHS } from "./api-routes.ts";
import type { CallbackRegistration } from "./callbacks.ts";
import { DemoDriver, type DemoOptions } from "./demo.ts";
import {
  type AppliedUpdate,
  type CreateOrderInput,
  type OrderView,
  SandboxEngine,
  type SandboxOptions,
  type SubmissionRecord,
} from "./engine.ts";
import type { Faults } from "./faults.ts";
import { SandboxError, sendJson } from "./http.ts";
import { completeRateLimit, type RateLimitConfig, type RateLimitInput, RateLimitInputSchema } from "./rate-limit.ts";
import type { StatsSnapshot } from "./stats.ts";

export { PATHS } from "./api-routes.ts";
export type { CallbackRegistration, RetryPolicy, Subscription } from "./callbacks.ts";
export type { Clock } from "./clock.ts";
export type { AppliedUpdate, CreateOrderInput, OrderView, SandboxOptions, SubmissionRecord } from "./engine.ts";
export type { Faults } from "./faults.ts";
export { SandboxError } from "./http.ts";
export type { Quirks } from "./order-model.ts";
export type { RateFamily, RateLimitConfig, RateLimitInput, RateWindowStats } from "./rate-limit.ts";
export type { StatsSnapshot } from "./stats.ts";

export interface Sandbox {
  /** Base URL of the server, e.g. http://127.0.0.1:3001 (also the API base and the auth base). Throws before start. */
  readonly url: string;
  readonly port: number;
  /** Base for `/tsp/...` (PINCODE_API_BASE_URL). */
  readonly apiBaseUrl: string;
  /** Identity-manager base (PINCODE_AUTH_URL); the token endpoint is `${authBaseUrl}/olympus/im/v1/oauth/token`. */
  readonly authBaseUrl: string;
  readonly tokenUrl: string;
  readonly adminUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly stores: readonly string[];

  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;

  /** POST /_sandbox/orders. Throws SandboxError (400/409) on bad input or a disabled store. */
  createOrder(input: CreateOrderInput): OrderView;
  /** POST /_sandbox/orders/{id}/advance. Throws SandboxError 404 / 409 (nothing to advance). */
  advanceOrder(orderId: string): OrderView;
  /** POST /_sandbox/orders/{id}/cancel: Pincode-side cancel, allowed after COMPLETED too. Throws 404 / 409. */
  cancelOrder(orderId: string, reason?: string): OrderView;
  /** GET /_sandbox/orders/{id}: the truth for that order, in the ORDER_VIEW form. */
  getOrder(orderId: string): OrderView | undefined;
  listOrders(storeId?: string): OrderView[];
  /** PUT /_sandbox/callback (undefined unregisters). */
  registerCallback(registration: CallbackRegistration | undefined): void;
  /** PUT /_sandbox/faults: replaces the whole fault set; omitted knobs are 0. */
  setFaults(faults: Partial<Faults>): Faults;
  getFaults(): Faults;
  /** PUT /_sandbox/rate-limit: replaces the rate budget (omitted = unlimited); the buckets start full. */
  setRateLimit(input: RateLimitInput): RateLimitConfig;
  getRateLimit(): RateLimitConfig;
  /** GET /_sandbox/stats. */
  stats(): StatsSnapshot;
  submissions(): SubmissionRecord[];
  /** Every Order Update the order logic applied, with its requestId (lost responses included), oldest first. */
  appliedUpdates(): AppliedUpdate[];
  /** POST /_sandbox/reset. */
  reset(): void;
  startDemo(options?: DemoOptions): void;
  stopDemo(): void;
  /** Resolves once no callback is scheduled, queued, in flight, backing off or held back for reordering. */
  callbacksIdle(): Promise<void>;
}

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const log = options.log ?? (() => {});
  const engine = new SandboxEngine(options);
  const demo = new DemoDriver(engine, log);
  let server: Server | undefined;
  let port: number | undefined;
  const host = options.host ?? "127.0.0.1";

  const baseUrl = (): string => {
    if (port === undefined) throw new Error("the sandbox is not started; call start() first");
    const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
    return `http://${shownHost}:${port}`;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://sandbox.local");
    const path = url.pathname;
    try {
      if (path === PATHS.token) return await handleToken(engine, req, res);
      if (path.startsWith("/tsp/")) return await handleTsp(engine, req, res, path);
      if (path === "/_sandbox" || path.startsWith("/_sandbox/")) return await handleAdmin(engine, demo, req, res, url);
      if (path === "/" && req.method === "GET") {
        return sendJson(res, 200, {
          name: "pincode-sandbox",
          apiBaseUrl: baseUrl(),
          tokenUrl: `${baseUrl()}${PATHS.token}`,
          adminUrl: `${baseUrl()}/_sandbox`,
          stores: engine.stores,
        });
      }
      throw new SandboxError(404, "NOT_FOUND", `nothing at ${req.method} ${path}`);
    } catch (error) {
      if (res.headersSent) return;
      if (error instanceof SandboxError) {
        sendJson(res, error.status, { error: { errorCode: error.errorCode, message: error.message } }, error.headers);
        return;
      }
      log(
        `sandbox error on ${req.method} ${path}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      sendJson(res, 500, { error: { errorCode: "INTERNAL_SERVER_ERROR", message: "sandbox internal error" } });
    }
  };

  return {
    get url() {
      return baseUrl();
    },
    get port() {
      if (port === undefined) throw new Error("the sandbox is not started; call start() first");
      return port;
    },
    get apiBaseUrl() {
      return baseUrl();
    },
    get authBaseUrl() {
      return baseUrl();
    },
    get tokenUrl() {
      return `${baseUrl()}${PATHS.token}`;
    },
    get adminUrl() {
      return `${baseUrl()}/_sandbox`;
    },
    clientId: engine.clientId,
    clientSecret: engine.clientSecret,
    get stores() {
      return engine.stores;
    },

    async start() {
      if (server) return { url: baseUrl(), port: port as number };
      const created = createServer((req, res) => {
        void handle(req, res);
      });
      await new Promise<void>((resolve, reject) => {
        created.once("error", reject);
        created.listen(options.port ?? 0, host, () => {
          created.off("error", reject);
          resolve();
        });
      });
      server = created;
      port = (created.address() as AddressInfo).port;
      return { url: baseUrl(), port };
    },

    async stop() {
      demo.stop();
      stopSale(engine);
      engine.shutdown();
      const current = server;
      server = undefined;
      if (!current) return;
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },

    createOrder: (input) => engine.createOrder(input),
    advanceOrder: (orderId) => engine.advanceOrder(orderId),
    cancelOrder: (orderId, reason) => engine.cancelOrder(orderId, reason),
    getOrder: (orderId) => engine.getOrder(orderId),
    listOrders: (storeId) => engine.listOrders(storeId),
    registerCallback: (registration) => engine.registerCallback(registration),
    setFaults: (faults) => engine.setFaults(faults),
    getFaults: () => engine.getFaults(),
    setRateLimit: (input) => {
      const parsed = RateLimitInputSchema.safeParse(input);
      if (!parsed.success) throw new SandboxError(400, "INVALID_REQUEST", describeIssues(parsed.error));
      return engine.rateLimiter.configure(completeRateLimit(parsed.data));
    },
    getRateLimit: () => engine.rateLimiter.current,
    stats: () => engine.statsSnapshot(),
    submissions: () => engine.listSubmissions(),
    appliedUpdates: () => engine.appliedUpdates(),
    reset: () => {
      demo.stop();
      stopSale(engine);
      engine.reset();
    },
    startDemo: (demoOptions) => demo.start(demoOptions),
    stopDemo: () => demo.stop(),
    callbacksIdle: () => engine.idle(),
  };
}

/** createSandbox + start, for tests and local mode. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = createSandbox(options);
  await sandbox.start();
  return sandbox;
}
