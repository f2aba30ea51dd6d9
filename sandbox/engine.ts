/**
 * The sandbox's state and operations, independent of HTTP: orders, the change log, tokens, catalog writes,
 * callbacks, faults and stats. The HTTP routes and the in-process API both call into this.
 */
import { randomInt, randomUUID } from "node:crypto";
import { z } from "zod";
import { CallbackDispatcher, type CallbackRegistration, DEFAULT_RETRY, type RetryPolicy } from "./callbacks.ts";
import { CatalogState, type SubmissionOutcome } from "./catalog-writes.ts";
import { ChangeLog, decodeCursor, encodeCursor, type PollQuery } from "./change-log.ts";
import { type Clock, systemClock } from "./clock.ts";
import {
  describeProblems as describeIssues,
  SandboxOrderPollRequestSchema as OrderPollRequestSchema,
  SandboxOrderUpdateRequestSchema as OrderUpdateRequestSchema,
  SandboxStatusCheckRequestSchema as StatusCheckRequestSchema,
} from "./contract.ts";
import { completeFaults, FaultDice, type Faults, type UpdatedAtMode } from "./faults.ts";
import { SandboxError } from "./http.ts";
import { isKnownSku, OrderGenerator, type OrderItemInput } from "./order-generator.ts";
import { DEFAULT_QUIRKS, type Quirks, type RenderFidelity, renderOrder, type SandboxOrder } from "./order-model.ts";
import { completeRateLimit, RateLimiter, type RateLimitInput, RateStats } from "./rate-limit.ts";
import { advanceLogistics, applyActions, TERMINAL_STATES } from "./state-machine.ts";
import { Stats, type StatsSnapshot } from "./stats.ts";
import { TokenIssuer } from "./tokens.ts";

const paise = z.number().int("must be whole paise").min(0);

/** POST /_sandbox/orders body. */
export const CreateOrderSchema = z.strictObject({
  storeId: z.string().trim().min(1, "must be a non-empty string"),
  items: z
    .array(
      z
        .strictObject({
          serviceProviderItemId: z.string().trim().min(1).optional(),
          name: z.string().trim().min(1).optional(),
          quantity: z.number().int().min(1).max(100).optional(),
          mrp: paise.optional(),
          sellingPrice: paise.optional(),
          prescriptionRequired: z.boolean().optional(),
          displayMeasurement: z.string().trim().min(1).optional(),
        })
        .refine(
          (item) =>
            (item.serviceProviderItemId !== undefined && isKnownSku(item.serviceProviderItemId)) ||
            (item.name !== undefined && item.sellingPrice !== undefined),
          "an item needs a serviceProviderItemId from the built-in catalogue, or both name and sellingPrice (paise)",
        ),
    )
    .min(1)
    .max(50)
    .optional(),
});

export interface SandboxOptions {
  /** HTTP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** Seed for generated orders and fault decisions. Default 1. */
  seed?: number;
  /** Pincode store ids (`serviceProviderId`) this seller has. Default S01, S02, S03. */
  stores?: readonly string[];
  /** Advertised token lifetime. Default 1 hour. */
  tokenTtlMs?: number;
  /** Status for calls with an expired token: 401 (default) or 412; PINCODE-API §1.3 says either may come. */
  expiredTokenStatus?: 401 | 412;
  faults?: Partial<Faults>;
  /**
   * `moves` (default): order `updatedAt` moves on every change. `frozen`: order and billing `updatedAt` stay at
   * creation time, as in the documented ORDER_VIEW sample. The `frozenUpdatedAt` fault switches it at runtime.
   */
  updatedAt?: UpdatedAtMode;
  callback?: CallbackRegistration;
  callbackRetry?: Partial<RetryPolicy>;
  /** How long a snapshot held back by the reorder fault waits for a newer one. Default 2000 ms. */
  reorderHoldMs?: number;
  /** Delay between a catalog/store write's reply and its submission-result callback. Default 20 ms. */
  submissionDelayMs?: number;
  /** Orders generated at start (and after reset), spread over the stores. Default 0. */
  initialOrders?: number;
  quirks?: Partial<Quirks>;
  clock?: Clock;
  /** Where the sandbox reports callback failures and internal errors. Default: silent. */
  log?: (line: string) => void;
  /** The rate budget per client credential (docs/sandbox.md "Rate budget"). Default: unlimited. */
  rateLimit?: RateLimitInput;
}

/** Input of POST /_sandbox/orders. Item money in paise. */
export interface CreateOrderInput {
  storeId: string;
  items?: OrderItemInput[];
}

export interface SubmissionRecord {
  submissionId: string;
  kind: "STORE_UPDATE" | "LISTING_UPDATE";
  requestId: string;
  receivedAt: number;
  messageIds: string[];
  outcome: SubmissionOutcome;
}

export type OrderView = Record<string, unknown>;

/** One Order Update the order logic APPLIED (issue 10: the counter that proves a command took effect once). */
export interface AppliedUpdate {
  requestId: string;
  orderId: string;
  /** The actions as applied, in request order. */
  actions: Record<string, unknown>[];
  at: number;
}

export class SandboxEngine {
  readonly clock: Clock;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly seed: number;
  readonly stats = new Stats();
  readonly tokens: TokenIssuer;
  readonly callbacks: CallbackDispatcher;
  readonly catalog: CatalogState;
  readonly quirks: Quirks;
  readonly expiredTokenStatus: 401 | 412;
  readonly dice: FaultDice;
  /** Token buckets per client credential (rate-limit.ts), and the per-second call counts of /_sandbox/stats. */
  readonly rateLimiter: RateLimiter;
  readonly rateStats: RateStats;

  private faults: Faults;
  private generator: OrderGenerator;
  private orders = new Map<string, SandboxOrder>();
  private log = new ChangeLog();
  private knownStores: Set<string>;
  private submissions = new Map<string, SubmissionRecord>();
  private applied: AppliedUpdate[] = [];
  private generation = 1;
  /** Submission results waiting for their delay, so idle() can wait for them too. */
  private scheduled = new Set<NodeJS.Timeout>();
  private scheduleWaiters: (() => void)[] = [];

  constructor(private readonly options: SandboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.clientId = options.clientId ?? "sandbox-client";
    this.clientSecret = options.clientSecret ?? "sandbox-secret";
    this.seed = options.seed ?? 1;
    this.quirks = { ...DEFAULT_QUIRKS, ...(options.quirks ?? {}) };
    this.expiredTokenStatus = options.expiredTokenStatus ?? 401;
    this.faults = completeFaults(options.faults, options.updatedAt);
    this.dice = new FaultDice(this.seed);
    this.rateLimiter = new RateLimiter(completeRateLimit(options.rateLimit), this.clock);
    this.rateStats = new RateStats(this.clock);
    this.generator = new OrderGenerator(this.seed);
    this.knownStores = new Set(options.stores ?? ["S01", "S02", "S03"]);
    this.tokens = new TokenIssuer({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      ttlMs: options.tokenTtlMs ?? 3_600_000,
      clock: this.clock,
      expiresEarlyMs: () => this.faults.tokenExpiresEarlyMs,
    });
    this.catalog = new CatalogState(() => this.knownStores, this.clock);
    this.callbacks = new CallbackDispatcher({
      stats: this.stats,
      dice: this.dice,
      faults: () => this.faults,
      quirks: () => this.quirks,
      retry: { ...DEFAULT_RETRY, ...(options.callbackRetry ?? {}) },
      reorderHoldMs: options.reorderHoldMs ?? 2_000,
      clock: this.clock,
      log: options.log ?? (() => {}),
    });
    this.callbacks.register(options.callback);
    this.seedOrders();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Admin operations (mirrored by /_sandbox/*)
  // -------------------------------------------------------------------------------------------------------------

  get stores(): string[] {
    return [...this.knownStores];
  }

  createOrder(request: CreateOrderInput): OrderView {
    const parsed = CreateOrderSchema.safeParse(request);
    if (!parsed.success) throw invalid(parsed.error);
    const input = parsed.data;
    if (!this.catalog.isAcceptingOrders(input.storeId)) {
      throw new SandboxError(409, "STORE_NOT_ACCEPTING_ORDERS", `store ${input.storeId} has order acceptance DISABLED`);
    }
    // An admin-created order for a new store id adds that store, so local experiments need no restart.
    this.knownStores.add(input.storeId);
    const at = this.nextChangeTime();
    const order = this.generator.generate(input.storeId, at, input.items);
    this.commit(order, at);
    return this.view(order);
  }

  getOrder(orderId: string): OrderView | undefined {
    const order = this.orders.get(orderId);
    return order ? this.view(order) : undefined;
  }

  listOrders(storeId?: string): OrderView[] {
    return [...this.orders.values()].filter((o) => !storeId || o.storeId === storeId).map((o) => this.view(o));
  }

  /** Orders with something left to happen (seller step or delivery), for the demo driver. */
  openOrders(): readonly SandboxOrder[] {
    return [...this.orders.values()].filter(
      (o) => o.orderState !== "CANCELLED" && !(TERMINAL_STATES.includes(o.orderState) && isDelivered(o)),
    );
  }

  /** Moves the Pincode-side (logistics) part of an order one step on. */
  advanceOrder(orderId: string): OrderView {
    const order = this.requireOrder(orderId, 404, "ORDER_NOT_FOUND");
    const at = this.nextChangeTime(order);
    const outcome = advanceLogistics(order, at);
    if (!outcome.ok) throw new SandboxError(409, "NOTHING_TO_ADVANCE", outcome.message);
    this.commit(outcome.order, at);
    return this.view(outcome.order);
  }

  /**
   * Pincode-side cancellation (buyer, platform or support): allowed from any state but CANCELLED, COMPLETED included,
   * as in the documented ORDER_VIEW sample whose CANCEL_ORDER action came months after delivery.
   */
  cancelOrder(orderId: string, reason?: string): OrderView {
    const order = this.requireOrder(orderId, 404, "ORDER_NOT_FOUND");
    if (order.orderState === "CANCELLED") {
      throw new SandboxError(409, "ACTION_NOT_ALLOWED", `order ${orderId} is already CANCELLED`);
    }
    const at = this.nextChangeTime(order);
    const draft = structuredClone(order);
    draft.orderState = "CANCELLED";
    draft.actions.push({ type: "CANCEL_ORDER", channel: "TSP", createdAt: at, ...(reason ? { reason } : {}) });
    this.commit(draft, at);
    return this.view(draft);
  }

  /** Applies seller actions without an HTTP call (the demo driver playing the seller); not counted in stats. */
  applyAsSeller(orderId: string, actions: Parameters<typeof applyActions>[1]): OrderView {
    const order = this.requireOrder(orderId, 404, "ORDER_NOT_FOUND");
    const at = this.nextChangeTime(order);
    const outcome = applyActions(order, actions, at);
    if (!outcome.ok) throw new SandboxError(400, outcome.errorCode, outcome.message);
    this.commit(outcome.order, at);
    return this.view(outcome.order);
  }

  registerCallback(registration: CallbackRegistration | undefined): void {
    this.callbacks.register(registration);
  }

  setFaults(faults: Partial<Faults>): Faults {
    this.faults = completeFaults(faults, this.options.updatedAt);
    return this.getFaults();
  }

  getFaults(): Faults {
    return { ...this.faults };
  }

  statsSnapshot(): StatsSnapshot {
    return structuredClone({
      calls: this.stats.calls,
      updatesByOrder: this.stats.updatesByOrder,
      callbacks: this.stats.callbacks,
      recentCallbackFailures: this.stats.recentCallbackFailures,
      tokensIssued: this.tokens.issued,
      orders: this.orders.size,
      submissions: this.submissions.size,
      rates: this.rateStats.snapshot(),
      rateLimit: this.rateLimiter.current,
      budget429s: this.rateStats.budget429s,
      budget429sByScope: this.rateStats.budget429sByScope,
    });
  }

  /** Every Order Update applied since start (or reset), oldest first; a lost response is still applied. */
  appliedUpdates(): AppliedUpdate[] {
    return structuredClone(this.applied);
  }

  listSubmissions(): SubmissionRecord[] {
    return structuredClone([...this.submissions.values()]);
  }

  /**
   * Back to the state right after start: orders, change log, catalog, submissions, stats and PRNGs as the options
   * set them; faults and callback registration back to the options' values. Issued tokens stay valid, and cursors
   * issued before the reset are rejected.
   */
  reset(): void {
    this.callbacks.cancelAll();
    this.clearTimers();
    this.orders.clear();
    this.log = new ChangeLog();
    this.submissions.clear();
    this.applied = [];
    this.catalog.reset();
    this.stats.reset();
    this.rateStats.reset();
    this.rateLimiter.reset(completeRateLimit(this.options.rateLimit));
    this.tokens.issued = 0;
    this.dice.reset();
    this.generator = new OrderGenerator(this.seed);
    this.knownStores = new Set(this.options.stores ?? ["S01", "S02", "S03"]);
    this.faults = completeFaults(this.options.faults, this.options.updatedAt);
    this.callbacks.register(this.options.callback);
    this.generation += 1;
    this.seedOrders();
  }

  /** Resolves once no submission result is scheduled and no callback is queued, in flight or held. */
  async idle(): Promise<void> {
    while (this.scheduled.size > 0) await new Promise<void>((resolve) => this.scheduleWaiters.push(resolve));
    await this.callbacks.idle();
  }

  /** Submission results scheduled plus callbacks not yet settled: 0 when idle() would resolve at once. */
  pendingWork(): number {
    return this.scheduled.size + this.callbacks.pendingCount;
  }

  private clearTimers(): void {
    for (const timer of this.scheduled) clearTimeout(timer);
    this.scheduled.clear();
    this.wakeScheduleWaiters();
  }

  private wakeScheduleWaiters(): void {
    for (const resolve of this.scheduleWaiters.splice(0)) resolve();
  }

  shutdown(): void {
    this.callbacks.cancelAll();
    this.clearTimers();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Pincode API operations (bodies already authenticated; each returns the success envelope or throws)
  // -------------------------------------------------------------------------------------------------------------

  poll(body: unknown): Record<string, unknown> {
    const parsed = OrderPollRequestSchema.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const request = parsed.data;
    if (!this.knownStores.has(request.serviceProviderId)) {
      throw new SandboxError(
        400,
        "INVALID_REQUEST",
        `serviceProviderId: '${request.serviceProviderId}' is not a store of this seller (known: ${this.stores.join(", ")})`,
      );
    }
    const query: PollQuery = {
      storeId: request.serviceProviderId,
      from: request.fromTimestamp,
      to: request.toTimestamp,
      sortOrder: request.sortOrder ?? "ASC",
    };
    let after: number | undefined;
    if (request.nextPage !== undefined) {
      const cursor = decodeCursor(request.nextPage, this.generation, query);
      if (!cursor.ok) throw new SandboxError(400, "INVALID_REQUEST", `nextPage: ${cursor.message}`);
      after = cursor.position;
    }
    const page = this.log.page(query, request.size, after);
    const response: Record<string, unknown> = { orderIds: page.orderIds };
    if (page.resumeAfter !== undefined) response.nextPage = encodeCursor(this.generation, query, page.resumeAfter);
    else if (this.quirks.lastPageNextPage === "null") response.nextPage = null;
    return { requestContext: request.requestContext, response };
  }

  statusCheck(body: unknown): Record<string, unknown> {
    const parsed = StatusCheckRequestSchema.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const order = this.requireOrder(parsed.data.orderId, 404, "ORDER_NOT_FOUND");
    const envelope = { requestContext: parsed.data.requestContext, response: this.view(order) };
    // PINCODE-API §2.3: "same as the callback payload"; whether `type` is included is open, so it is a quirk.
    return this.quirks.statusCheckTypeWrapper ? { type: "ORDER_VIEW", ...envelope } : envelope;
  }

  update(body: unknown): Record<string, unknown> {
    const orderId = (body as { orderId?: unknown } | null)?.orderId;
    if (typeof orderId === "string") this.stats.countUpdate(orderId);
    const parsed = OrderUpdateRequestSchema.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const request = parsed.data;
    const order = this.requireOrder(request.orderId, 404, "ORDER_NOT_FOUND");
    const at = this.nextChangeTime(order);
    const outcome = applyActions(order, request.actions, at);
    if (!outcome.ok) throw new SandboxError(400, outcome.errorCode, outcome.message);
    this.commit(outcome.order, at);
    this.applied.push({
      requestId: request.requestContext.requestId,
      orderId: request.orderId,
      actions: structuredClone(request.actions) as Record<string, unknown>[],
      at,
    });
    return {
      requestContext: {
        requestId: request.requestContext.requestId,
        transactionId: request.requestContext.transactionId,
      },
      response: renderOrder(outcome.order, "update", this.quirks, this.fidelity()),
    };
  }

  /** Records a catalog/store write and schedules its submission-result callback. */
  submit(
    kind: "STORE_UPDATE" | "LISTING_UPDATE",
    requestContext: { requestId: string; transactionId?: string | undefined },
    messages: readonly Record<string, unknown>[],
  ): Record<string, unknown> {
    const submissionId = newSubmissionId();
    const outcome =
      kind === "STORE_UPDATE"
        ? this.catalog.processStoreMessages(messages)
        : this.catalog.processListingMessages(messages);
    this.submissions.set(submissionId, {
      submissionId,
      kind,
      requestId: requestContext.requestId,
      receivedAt: this.clock.now(),
      messageIds: messages.map((m) => String(m.messageId)),
      outcome,
    });
    const timer = setTimeout(() => {
      this.scheduled.delete(timer);
      this.callbacks.emit({
        subscription: kind,
        key: submissionId,
        requestContext: { requestId: requestContext.requestId },
        // PINCODE-API §3.4: submission results carry no `type`; requestContext is the original request's.
        body: {
          submissionId,
          requestContext: { requestId: requestContext.requestId },
          processingStatus: "COMPLETED",
          issues: outcome.issues,
          summary: outcome.summary,
        },
      });
      this.wakeScheduleWaiters();
    }, this.options.submissionDelayMs ?? 20);
    timer.unref();
    this.scheduled.add(timer);
    const echo: Record<string, string> = { requestId: requestContext.requestId };
    if (requestContext.transactionId) echo.transactionId = requestContext.transactionId;
    return { requestContext: echo, response: { submissionId } };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------------------------

  private seedOrders(): void {
    const count = this.options.initialOrders ?? 0;
    const stores = this.stores;
    for (let i = 0; i < count && stores.length > 0; i++) {
      this.createOrder({ storeId: stores[i % stores.length] as string });
    }
  }

  private view(order: SandboxOrder): OrderView {
    return renderOrder(order, "view", this.quirks, this.fidelity());
  }

  private fidelity(): RenderFidelity {
    return { frozenUpdatedAt: this.faults.frozenUpdatedAt, nullOptionalFields: this.faults.nullOptionalFields };
  }

  private requireOrder(orderId: string, status: number, errorCode: string): SandboxOrder {
    const order = this.orders.get(orderId);
    // Message as in the documented error sample (PINCODE-API §2.11).
    if (!order) throw new SandboxError(status, errorCode, `Order id ${orderId} not found`);
    return order;
  }

  /**
   * The time of the next change. Order `updatedAt` is strictly increasing per order (consumers use it for
   * freshness) and never below the last logged time, so the change log stays sorted by time.
   */
  private nextChangeTime(order?: SandboxOrder): number {
    const at = Math.max(this.clock.now(), this.log.latestTime);
    return order && at <= order.updatedAt ? order.updatedAt + 1 : at;
  }

  private commit(order: SandboxOrder, at: number): void {
    order.updatedAt = at;
    this.orders.set(order.id, order);
    this.log.append(order.storeId, order.id, at);
    const requestContext = { requestId: newRequestId(), transactionId: order.id };
    this.callbacks.emit({
      subscription: "ORDER_UPDATE",
      key: order.id,
      requestContext,
      body: { type: "ORDER_VIEW", requestContext, response: this.view(order) },
    });
  }
}

function isDelivered(order: SandboxOrder): boolean {
  const delivery = order.fulfillments.find((f) => f.type === "DELIVERY");
  return delivery?.fulfillmentState === "DELIVERED";
}

function invalid(error: Parameters<typeof describeIssues>[0]): SandboxError {
  return new SandboxError(400, "INVALID_REQUEST", describeIssues(error));
}

/** Fresh per callback, never reused across restarts: consumers de-duplicate on it (PINCODE-API §3.1). */
function newRequestId(): string {
  return `PCB${randomUUID().replace(/-/g, "").toUpperCase()}`;
}

/** A numeric string, as in the samples (PINCODE-API §2.4). */
function newSubmissionId(): string {
  return `${randomInt(10_000_000, 99_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}
