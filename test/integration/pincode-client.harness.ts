/**
 * Shared set-up for the Pincode client integration tests: a scripted real HTTP server standing in for both the
 * identity manager and the /tsp APIs, a fake clock whose sleep advances it, and recorded sleeps and metrics.
 */
import { PincodeClient, type PincodeClientConfig } from "../../functions/pincode/client.ts";
import type { PincodeMetric } from "../../functions/pincode/metrics.ts";
import { type ScriptedHttpServer, startScriptedServer } from "../support/scripted-http-server.ts";

export const TOKEN_ROUTE = "POST /olympus/im/v1/oauth/token";
export const CREDENTIALS = { clientId: "test-client", clientSecret: "test-secret-value" };
/** The A2 sample's issued_at, so token arithmetic reads like the doc. */
export const T0 = 1_719_167_883_916;
export const REQUEST_ID = /^PB-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface FakeClock {
  now: () => number;
  advance: (ms: number) => void;
}

export function fakeClock(start = T0): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export interface Harness {
  server: ScriptedHttpServer;
  client: PincodeClient;
  clock: FakeClock;
  /** Every delay the client asked the injected sleep for (backoff, Retry-After and throttle waits). */
  sleeps: number[];
  metrics: PincodeMetric[];
  /** Access tokens handed out by the default token responder, in order. */
  issuedTokens: string[];
  stop: () => Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<PincodeClientConfig>;
  /** Token lifetime fields; defaults to the A2 sample (expires_in 86400, expires_at = issued_at + 86.4 s). */
  token?: (issuedAt: number) => Record<string, unknown>;
  /** Whether the fake sleep advances the fake clock (default true). */
  sleepAdvancesClock?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const server = await startScriptedServer();
  const clock = fakeClock();
  const sleeps: number[] = [];
  const metrics: PincodeMetric[] = [];
  const issuedTokens: string[] = [];
  const tokenFields =
    options.token ??
    ((issuedAt: number) => ({ expires_in: 86_400, expires_at: issuedAt + 86_400, issued_at: issuedAt }));

  server.always(TOKEN_ROUTE, () => {
    const accessToken = `tok-${issuedTokens.length + 1}`;
    issuedTokens.push(accessToken);
    return {
      status: 200,
      body: { access_token: accessToken, token_type: "O-Bearer", ...tokenFields(clock.now()) },
    };
  });

  const client = new PincodeClient({
    baseUrl: server.url,
    authBaseUrl: server.url,
    credentials: CREDENTIALS,
    now: clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
      if (options.sleepAdvancesClock ?? true) clock.advance(ms);
    },
    random: () => 0.5,
    retry: { baseDelayMs: 100, maxDelayMs: 1_000 },
    // Generous by default so only the throttle tests see throttle waits.
    rateLimits: {
      poll: { ratePerSecond: 1_000, burst: 1_000 },
      status: { ratePerSecond: 1_000, burst: 1_000 },
      update: { ratePerSecond: 1_000, burst: 1_000 },
      catalog: { ratePerSecond: 1_000, burst: 1_000 },
    },
    onMetric: (metric) => metrics.push(metric),
    ...options.config,
  });

  return { server, client, clock, sleeps, metrics, issuedTokens, stop: () => server.stop() };
}

/** An order body the tolerant schema accepts, without buyer data. */
export function orderBody(orderId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: orderId, orderState: "ACCEPTED", updatedAt: "1719167883916", ...extra };
}

/** requestContext.requestId of each recorded /tsp request. */
export function requestIds(server: ScriptedHttpServer): string[] {
  return server.requests
    .filter((r) => r.path.startsWith("/tsp/"))
    .map((r) => (r.json as { requestContext: { requestId: string } }).requestContext.requestId);
}
