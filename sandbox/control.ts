/**
 * What a tool (the bench, the scale simulation) does to a sandbox, whether it runs in this process or in another one:
 * the in-process `Sandbox` methods, made async, or the same operations over the admin API (/_sandbox/*).
 *
 *   const control = httpSandboxControl("http://127.0.0.1:40123");   // a sandbox in a child process
 *   const control = inProcessSandboxControl(sandbox);                  // the embedded one
 *   await control.createOrder({ storeId: "S01" });
 */
import type { CallbackRegistration } from "./callbacks.ts";
import type { CreateOrderInput, OrderView } from "./engine.ts";
import type { Faults } from "./faults.ts";
import type { RateLimitConfig, RateLimitInput } from "./rate-limit.ts";
import type { Sandbox } from "./sandbox.ts";
import type { StatsSnapshot } from "./stats.ts";

export interface SandboxControl {
  /** Base URL of the sandbox (API, auth and admin). */
  readonly url: string;
  createOrder(input: CreateOrderInput): Promise<OrderView>;
  registerCallback(registration: CallbackRegistration | undefined): Promise<void>;
  setFaults(faults: Partial<Faults>): Promise<Faults>;
  getFaults(): Promise<Faults>;
  setRateLimit(input: RateLimitInput): Promise<RateLimitConfig>;
  getRateLimit(): Promise<RateLimitConfig>;
  stats(): Promise<StatsSnapshot>;
  /** True when no callback is scheduled, queued, in flight, backing off or held (callbacksIdle() would resolve). */
  isIdle(): Promise<boolean>;
  /** Resolves once isIdle(); over HTTP by polling every `pollMs`. */
  callbacksIdle(pollMs?: number): Promise<void>;
}

export function inProcessSandboxControl(sandbox: Sandbox): SandboxControl {
  return {
    get url() {
      return sandbox.url;
    },
    createOrder: async (input) => sandbox.createOrder(input),
    registerCallback: async (registration) => sandbox.registerCallback(registration),
    setFaults: async (faults) => sandbox.setFaults(faults),
    getFaults: async () => sandbox.getFaults(),
    setRateLimit: async (input) => sandbox.setRateLimit(input),
    getRateLimit: async () => sandbox.getRateLimit(),
    stats: async () => sandbox.stats(),
    // callbacksIdle() settles in a microtask when idle; a timer turn later it has or it has not.
    isIdle: () =>
      Promise.race([
        sandbox.callbacksIdle().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 0)),
      ]),
    callbacksIdle: () => sandbox.callbacksIdle(),
  };
}

/** A sandbox reached over HTTP (its admin API); errors name the route and the sandbox's answer. */
export function httpSandboxControl(baseUrl: string): SandboxControl {
  const url = baseUrl.replace(/\/+$/, "");
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/_sandbox${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`sandbox ${method} /_sandbox${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const isIdle = async () => (await call<{ idle: boolean }>("GET", "/idle")).idle;
  return {
    url,
    createOrder: (input) => call("POST", "/orders", input),
    registerCallback: async (registration) => {
      if (registration) await call("PUT", "/callback", registration);
      else await call("DELETE", "/callback");
    },
    setFaults: (faults) => call("PUT", "/faults", faults),
    getFaults: () => call("GET", "/faults"),
    setRateLimit: (input) => call("PUT", "/rate-limit", input),
    getRateLimit: () => call("GET", "/rate-limit"),
    stats: () => call("GET", "/stats"),
    isIdle,
    callbacksIdle: async (pollMs = 200) => {
      while (!(await isIdle())) await new Promise((resolve) => setTimeout(resolve, pollMs));
    },
  };
}
