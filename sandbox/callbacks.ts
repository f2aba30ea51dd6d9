/**
 * Delivers callbacks to the registered receiver the way Pincode does (PINCODE-API §3): POST, authenticated by an
 * OAuth client-credentials token from the receiver's token endpoint or by a static token, ACK checked, failures
 * retried with exponential backoff a bounded number of times. Faults (drop, duplicate, reorder, delay, late) are applied
 * here, per callback, from a seeded PRNG.
 */
import type { Clock } from "./clock.ts";
import { SandboxCallbackAckSchema } from "./contract.ts";
import type { FaultDice, Faults } from "./faults.ts";
import type { Quirks } from "./order-model.ts";
import type { Stats } from "./stats.ts";

export const SUBSCRIPTIONS = ["ORDER_UPDATE", "STORE_UPDATE", "LISTING_UPDATE"] as const;
export type Subscription = (typeof SUBSCRIPTIONS)[number];

export interface CallbackRegistration {
  url: string;
  /** OAuth token endpoint of the receiver (PINCODE-API §3.1 mode 1). */
  tokenUrl?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  scope?: string | undefined;
  /** Static token (PINCODE-API §3.1 mode 2, "soon to be deprecated"); used when no tokenUrl is given. */
  staticToken?: string | undefined;
  /** Which callbacks to send; default all three. */
  subscriptions?: readonly Subscription[] | undefined;
}

export interface RetryPolicy {
  /** Delivery attempts per callback, including the first. */
  attempts: number;
  /** Backoff before attempt n+1 is baseBackoffMs * 2^(n-1), capped at maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Per-attempt HTTP timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseBackoffMs: 500, maxBackoffMs: 30_000, timeoutMs: 5_000 };

export interface OutgoingCallback {
  subscription: Subscription;
  /** Deliveries with the same key (the order id, or the submission id) go out one at a time, in order. */
  key: string;
  requestContext: { requestId: string; transactionId?: string };
  body: Record<string, unknown>;
}

interface HeldSnapshot {
  callback: OutgoingCallback;
  registration: CallbackRegistration;
  duplicate: boolean;
  timer: NodeJS.Timeout;
}

export interface CallbackDispatcherOptions {
  stats: Stats;
  dice: FaultDice;
  faults: () => Faults;
  quirks: () => Quirks;
  retry: RetryPolicy;
  /** A snapshot held back for reordering is released after this long if no newer snapshot comes. */
  reorderHoldMs: number;
  clock: Clock;
  log: (line: string) => void;
}

type AttemptResult = { ok: true } | { ok: false; reason: string };

export class CallbackDispatcher {
  private registration: CallbackRegistration | undefined;
  private chains = new Map<string, Promise<void>>();
  private held = new Map<string, HeldSnapshot>();
  private lateTimers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private abort = new AbortController();
  private tokenCache = new Map<string, { token: string; renewAt: number }>();

  constructor(private readonly options: CallbackDispatcherOptions) {}

  register(registration: CallbackRegistration | undefined): void {
    this.registration = registration ? { ...registration } : undefined;
    this.tokenCache.clear();
  }

  get current(): CallbackRegistration | undefined {
    return this.registration;
  }

  /** Queues a callback, applying the callback faults. */
  emit(callback: OutgoingCallback): void {
    const registration = this.registration;
    const counters = this.options.stats.callbacks;
    const subscribed = registration?.subscriptions ?? SUBSCRIPTIONS;
    if (!registration || !subscribed.includes(callback.subscription)) {
      counters.skipped += 1;
      return;
    }
    counters.generated += 1;
    const decision = this.options.dice.callback(this.options.faults());
    if (decision.drop) {
      counters.dropped += 1;
      return;
    }
    if (decision.late) {
      // Outside the order's delivery chain: every later snapshot of the order goes out first.
      counters.late += 1;
      this.pending += 1;
      const timer = setTimeout(() => {
        this.lateTimers.delete(timer);
        this.deliver(callback, registration, decision.duplicate);
        this.settle();
      }, this.options.faults().callbackLateMs);
      timer.unref();
      this.lateTimers.add(timer);
      return;
    }
    const held = this.held.get(callback.key);
    // Reorder = hold this snapshot back and send it after the next, newer one for the same order.
    if (callback.subscription === "ORDER_UPDATE" && decision.reorder && !held) {
      this.pending += 1;
      const timer = setTimeout(() => this.releaseHeld(callback.key, false), this.options.reorderHoldMs);
      timer.unref();
      this.held.set(callback.key, { callback, registration, duplicate: decision.duplicate, timer });
      return;
    }
    this.deliver(callback, registration, decision.duplicate);
    if (held) this.releaseHeld(callback.key, true);
  }

  private releaseHeld(key: string, afterNewer: boolean): void {
    const held = this.held.get(key);
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(key);
    if (afterNewer) this.options.stats.callbacks.reordered += 1;
    this.deliver(held.callback, held.registration, held.duplicate);
    this.settle();
  }

  private deliver(callback: OutgoingCallback, registration: CallbackRegistration, duplicate: boolean): void {
    this.enqueue(callback, registration);
    if (duplicate) {
      this.options.stats.callbacks.duplicated += 1;
      this.enqueue(callback, registration);
    }
  }

  private enqueue(callback: OutgoingCallback, registration: CallbackRegistration): void {
    this.pending += 1;
    const signal = this.abort.signal;
    const previous = this.chains.get(callback.key) ?? Promise.resolve();
    const next = previous
      .then(() => this.deliverWithRetries(callback, registration, signal))
      .catch((error: unknown) => this.options.log(`callback ${callback.requestContext.requestId}: ${String(error)}`))
      .finally(() => {
        if (this.chains.get(callback.key) === next) this.chains.delete(callback.key);
        this.settle();
      });
    this.chains.set(callback.key, next);
  }

  private settle(): void {
    this.pending -= 1;
    if (this.pending === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async deliverWithRetries(
    callback: OutgoingCallback,
    registration: CallbackRegistration,
    signal: AbortSignal,
  ): Promise<void> {
    const counters = this.options.stats.callbacks;
    const faults = this.options.faults();
    if (faults.callbackDelayMs > 0) {
      counters.delayed += 1;
      await sleep(faults.callbackDelayMs, signal);
    }
    const { retry } = this.options;
    let reason = "not attempted";
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      if (signal.aborted) return;
      if (attempt > 1) counters.retried += 1;
      counters.sent += 1;
      const result = await this.attempt(callback, registration, signal);
      if (result.ok) {
        counters.acked += 1;
        return;
      }
      reason = result.reason;
      if (attempt < retry.attempts) {
        await sleep(Math.min(retry.maxBackoffMs, retry.baseBackoffMs * 2 ** (attempt - 1)), signal);
      }
    }
    if (signal.aborted) return;
    counters.failed += 1;
    this.options.stats.recordFailure({
      requestId: callback.requestContext.requestId,
      kind: callback.subscription,
      attempts: retry.attempts,
      reason,
    });
    this.options.log(
      `callback ${callback.requestContext.requestId} failed after ${retry.attempts} attempts: ${reason}`,
    );
  }

  private async attempt(
    callback: OutgoingCallback,
    registration: CallbackRegistration,
    signal: AbortSignal,
  ): Promise<AttemptResult> {
    const headers: Record<string, string> = {
      Accept: "application/json",
      // PINCODE-API A1: the docs say form-encoded while the body is JSON; the quirk picks the header.
      "Content-Type": this.options.quirks().callbackContentType,
    };
    let bearer: string | undefined;
    if (registration.tokenUrl) {
      const token = await this.receiverToken(registration, signal);
      if (!token.ok) return token;
      bearer = token.token;
    } else if (registration.staticToken) {
      bearer = registration.staticToken;
    }
    if (bearer) headers.Authorization = `Bearer ${bearer}`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(registration.url, {
        method: "POST",
        headers,
        body: JSON.stringify(callback.body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.retry.timeoutMs)]),
      });
      text = await response.text();
    } catch (error) {
      return { ok: false, reason: `no answer: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (response.status === 401 && registration.tokenUrl) this.tokenCache.delete(tokenCacheKey(registration));
    if (response.status < 200 || response.status > 299) return { ok: false, reason: `HTTP ${response.status}` };
    return checkAck(text, callback.requestContext);
  }

  private async receiverToken(
    registration: CallbackRegistration,
    signal: AbortSignal,
  ): Promise<{ ok: true; token: string } | { ok: false; reason: string }> {
    const key = tokenCacheKey(registration);
    const cached = this.tokenCache.get(key);
    const now = this.options.clock.now();
    if (cached && now < cached.renewAt) return { ok: true, token: cached.token };
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (registration.clientId) form.set("client_id", registration.clientId);
    if (registration.clientSecret) form.set("client_secret", registration.clientSecret);
    if (registration.scope) form.set("scope", registration.scope);
    try {
      const response = await fetch(registration.tokenUrl as string, {
        method: "POST",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.retry.timeoutMs)]),
      });
      const text = await response.text();
      if (!response.ok) return { ok: false, reason: `receiver token endpoint answered HTTP ${response.status}` };
      const body = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
      if (typeof body.access_token !== "string" || body.access_token === "") {
        return { ok: false, reason: "receiver token endpoint sent no access_token" };
      }
      const lifetimeMs = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in * 1000 : 300_000;
      // Renew at 90% of the lifetime so a token never expires in flight.
      this.tokenCache.set(key, { token: body.access_token, renewAt: now + lifetimeMs * 0.9 });
      return { ok: true, token: body.access_token };
    } catch (error) {
      return {
        ok: false,
        reason: `receiver token fetch failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }

  /** Callbacks queued, in flight, waiting to retry or held for reordering (0: idle). */
  get pendingCount(): number {
    return this.pending;
  }

  /** Resolves when no callback is queued, in flight, waiting to retry or held for reordering. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Abandons every queued and in-flight delivery (used by reset and stop). */
  cancelAll(): void {
    this.abort.abort();
    this.abort = new AbortController();
    for (const held of this.held.values()) {
      clearTimeout(held.timer);
      this.settle();
    }
    this.held.clear();
    for (const timer of this.lateTimers) {
      clearTimeout(timer);
      this.settle();
    }
    this.lateTimers.clear();
    this.tokenCache.clear();
  }
}

function tokenCacheKey(registration: CallbackRegistration): string {
  return `${registration.tokenUrl}|${registration.clientId ?? ""}|${registration.scope ?? ""}`;
}

/** PINCODE-API §3.5: a 2xx with `{"status":"ACK","requestContext":{...}}` echoing the callback's requestContext. */
export function checkAck(text: string, sent: { requestId: string; transactionId?: string }): AttemptResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "ACK body is not JSON" };
  }
  const parsed = SandboxCallbackAckSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: "body is not an ACK ({status:'ACK', requestContext})" };
  const echoed = parsed.data.requestContext;
  if (echoed.requestId !== sent.requestId) {
    return { ok: false, reason: `ACK echoes requestId ${echoed.requestId}, expected ${sent.requestId}` };
  }
  if (sent.transactionId !== undefined && echoed.transactionId !== sent.transactionId) {
    return {
      ok: false,
      reason: `ACK echoes transactionId ${String(echoed.transactionId)}, expected ${sent.transactionId}`,
    };
  }
  return { ok: true };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
