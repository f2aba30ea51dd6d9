/**
 * Typed HTTP client for Pincode's seller-network (/tsp) APIs: one method per endpoint, strict request validation,
 * tolerant response parsing, OAuth token handling, per-family throttling and bounded retries with full jitter.
 * See docs/pincode-client.md for the policy and its reasons.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import {
  PincodeApiError,
  PincodeAuthError,
  PincodeResponseError,
  PincodeTransportError,
  PincodeValidationError,
  toValidationIssues,
} from "./errors.ts";
import { type FetchLike, joinUrl, NoAnswerError, readJson, sendOnce } from "./http.ts";
import { emitMetric, type MetricSink, outcomeForStatus } from "./metrics.ts";
import { type CallPriority, defaultPriority, RateBudgetDeadlineError, type RateGate } from "./rate-budget.ts";
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isAuthExpiredStatus,
  isRetryableStatus,
  parseRetryAfterMs,
  type RetryPolicy,
} from "./retry.ts";
import {
  ErrorEnvelopeSchema,
  type ListingCreateMessageSchema,
  ListingCreateRequestSchema,
  type ListingUpdateMessageSchema,
  ListingUpdateRequestSchema,
  type Order,
  OrderPollRequestSchema,
  OrderPollResponseSchema,
  type OrderUpdateActionSchema,
  OrderUpdateRequestSchema,
  OrderUpdateResponseSchema,
  StatusCheckRequestSchema,
  StatusCheckResponseSchema,
  type StockAlterMessageSchema,
  StockAlterRequestSchema,
  type StockInwardMessageSchema,
  StockInwardRequestSchema,
  type StoreToggleMessageSchema,
  StoreToggleRequestSchema,
  SubmissionResponseSchema,
} from "./schemas.ts";
import { FamilyThrottle, type RateLimit, type ThrottleFamily } from "./throttle.ts";
import { OAuthTokenProvider, type PincodeCredentials, type TokenProvider } from "./token-provider.ts";

export const PINCODE_PATHS = {
  orderChanges: "/tsp/order/v1/changes",
  orderStatus: "/tsp/order/v1/status",
  orderUpdate: "/tsp/order/v1/update",
  storeToggle: "/tsp/catalog/v1/store",
  listing: "/tsp/catalog/v1/listing",
} as const;

export interface PincodeClientConfig {
  /** Seller-network API base, e.g. `https://seller-network-testing.pincode.com`. */
  baseUrl: string;
  /** Identity-manager base; required unless `tokenProvider` is given. */
  authBaseUrl?: string;
  /** Client credentials (or a loader); required unless `tokenProvider` is given. */
  credentials?: PincodeCredentials | (() => Promise<PincodeCredentials>);
  /** Use this token source instead of building an OAuthTokenProvider. */
  tokenProvider?: TokenProvider;
  /** Per-attempt timeout (connect + headers + body). Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Per-family token buckets; defaults in DEFAULT_RATE_LIMITS (poll 2/s, status 5/s, update 5/s, catalog 1/s). */
  rateLimits?: Partial<Record<ThrottleFamily, Partial<RateLimit>>>;
  /**
   * The stack-wide rate budget (rate-budget.ts, docs/rate-budget.md). When given, every attempt waits for it
   * instead of the per-process `rateLimits` buckets.
   */
  rateGate?: RateGate;
  /** Renew the token this long before it expires (clamped for short-lived tokens). Default 60 s. */
  tokenSafetyMarginMs?: number;
  /** Try the refresh_token grant before a new client-credentials grant. Default true. */
  useRefreshToken?: boolean;
  /** Poll page size when the caller gives none. Default 10, the documented maximum. */
  defaultPollPageSize?: number;
  /** Called once per HTTP attempt (token calls included); exceptions from it are ignored. */
  onMetric?: MetricSink;
  fetch?: FetchLike;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1) source for backoff jitter. */
  random?: () => number;
  /** Generates a requestId; called for every attempt. */
  requestId?: () => string;
}

export const PINCODE_CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  tokenSafetyMarginMs: 60_000,
  defaultPollPageSize: 10,
  retry: DEFAULT_RETRY_POLICY,
} as const;

export interface PollOrdersParams {
  serviceProviderId: string;
  fromTimestamp: number;
  toTimestamp: number;
  sortOrder?: "ASC" | "DESC";
  /** 1..10 (order-poll-api.txt). */
  size?: number;
  /** Cursor from the previous page; omit (or null/"") for the first page. */
  nextPage?: string | null;
}

/** Per-call bounds. */
export interface CallOptions {
  /**
   * Time the caller has left (e.g. a Lambda's remaining time minus what it needs afterwards). The call, retries and
   * throttle waits included, gives up before it runs out, as it does at `retry.deadlineMs`.
   */
  timeLeftMs?: number;
  /** Who waits first for the shared rate budget; default: update and catalog calls "command", others "background". */
  priority?: CallPriority;
}

/**
 * Per-call options of a seller command (Order Update, Store Toggle, Listing): issue 9's exactly-once execution.
 * With `requestId`, every attempt carries that requestId, and a failure whose effect is unknown (timeout, network
 * error, 5xx) is NOT retried by the client: the caller records it and decides (Status Check) before sending again.
 * 401/412 (token renewed once) and 429 (Retry-After) are still retried: the request did not reach the order logic.
 */
export interface CommandCallOptions extends CallOptions {
  requestId?: string;
}

export interface PollOrdersResult {
  orderIds: string[];
  /** null on the last page. */
  nextPage: string | null;
}

export interface SubmissionResult {
  /** null when Pincode answered 2xx without one (e.g. 204 ACCEPTED, A7). */
  submissionId: string | null;
  /** The requestId of the accepted attempt: the submission-result callback echoes it (§3.4). */
  requestId: string;
}

export type OrderUpdateActionInput = z.input<typeof OrderUpdateActionSchema>;
export type StoreToggleMessage = z.input<typeof StoreToggleMessageSchema>;
export type ListingCreateMessage = z.input<typeof ListingCreateMessageSchema>;
export type ListingUpdateMessage = z.input<typeof ListingUpdateMessageSchema>;
export type StockInwardMessage = z.input<typeof StockInwardMessageSchema>;
export type StockAlterMessage = z.input<typeof StockAlterMessageSchema>;

interface CallSpec<T> {
  path: string;
  family: ThrottleFamily;
  schema: z.ZodType;
  /** Builds the request body for one attempt's requestId. */
  build: (requestId: string) => unknown;
  /** Turns a 2xx answer into the result, or throws PincodeResponseError. */
  onSuccess: (answer: { status: number; text: string }, requestId: string) => T;
}

export class PincodeClient {
  private readonly tokens: TokenProvider;
  private readonly throttle: FamilyThrottle;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly defaultPollPageSize: number;
  private readonly fetchImpl: FetchLike;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly newRequestId: () => string;
  private readonly onMetric: MetricSink | undefined;
  private readonly rateGate: RateGate | undefined;

  constructor(private readonly config: PincodeClientConfig) {
    this.now = config.now ?? Date.now;
    this.sleep = config.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = config.random ?? Math.random;
    this.newRequestId = config.requestId ?? (() => `PB-${randomUUID()}`);
    this.fetchImpl = config.fetch ?? ((input, init) => fetch(input, init));
    this.onMetric = config.onMetric;
    this.timeoutMs = config.timeoutMs ?? PINCODE_CLIENT_DEFAULTS.timeoutMs;
    this.defaultPollPageSize = config.defaultPollPageSize ?? PINCODE_CLIENT_DEFAULTS.defaultPollPageSize;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...config.retry };
    this.throttle = new FamilyThrottle(config.rateLimits, { now: this.now, sleep: this.sleep });
    this.rateGate = config.rateGate;
    if (config.tokenProvider) {
      this.tokens = config.tokenProvider;
    } else {
      if (!config.authBaseUrl || !config.credentials) {
        throw new Error("PincodeClient needs authBaseUrl and credentials, or a tokenProvider");
      }
      this.tokens = new OAuthTokenProvider({
        authBaseUrl: config.authBaseUrl,
        credentials: config.credentials,
        safetyMarginMs: config.tokenSafetyMarginMs ?? PINCODE_CLIENT_DEFAULTS.tokenSafetyMarginMs,
        useRefreshToken: config.useRefreshToken ?? true,
        timeoutMs: this.timeoutMs,
        fetch: this.fetchImpl,
        now: this.now,
        ...(config.onMetric ? { onMetric: config.onMetric } : {}),
      });
    }
  }

  /** Order Poll (§2.1): ids of orders changed in the window, one page at a time. */
  pollOrders(params: PollOrdersParams, options: CallOptions = {}): Promise<PollOrdersResult> {
    const path = PINCODE_PATHS.orderChanges;
    return this.execute(
      {
        path,
        family: "poll",
        schema: OrderPollRequestSchema,
        build: (requestId) => ({
          requestContext: { requestId },
          serviceProviderId: params.serviceProviderId,
          fromTimestamp: params.fromTimestamp,
          toTimestamp: params.toTimestamp,
          ...(params.sortOrder ? { sortOrder: params.sortOrder } : {}),
          size: params.size ?? this.defaultPollPageSize,
          // §2.1: the first-page sample carries a cursor; we omit it on the first page.
          ...(params.nextPage ? { nextPage: params.nextPage } : {}),
        }),
        onSuccess: (answer, requestId) => {
          const body = this.parseBody(path, answer, requestId, OrderPollResponseSchema);
          // A9: missing, null and "" all mean "last page" (normalised by the schema).
          return { orderIds: body.response.orderIds, nextPage: body.response.nextPage };
        },
      },
      options,
    );
  }

  /** Status Check (§2.3): the current full order. */
  getOrderStatus(orderId: string, options: CallOptions = {}): Promise<Order> {
    const path = PINCODE_PATHS.orderStatus;
    return this.execute(
      {
        path,
        family: "status",
        schema: StatusCheckRequestSchema,
        build: (requestId) => ({ requestContext: { requestId, transactionId: orderId }, orderId }),
        // §2.3: with or without the `type: ORDER_VIEW` wrapper; the schema accepts both.
        onSuccess: (answer, requestId) => this.parseBody(path, answer, requestId, StatusCheckResponseSchema).response,
      },
      options,
    );
  }

  /** Order Update (§2.2): applies the actions in order and returns the order after the update. */
  async updateOrder(
    orderId: string,
    actions: OrderUpdateActionInput[],
    options: CommandCallOptions = {},
  ): Promise<Order> {
    const path = PINCODE_PATHS.orderUpdate;
    const updated = await this.execute<Order | undefined>(
      {
        path,
        family: "update",
        schema: OrderUpdateRequestSchema,
        build: (requestId) => ({
          requestContext: { requestId, transactionId: orderId, actionType: "UPDATE" },
          orderId,
          actions,
        }),
        onSuccess: (answer, requestId) =>
          answer.text.trim() === ""
            ? undefined
            : this.parseBody(path, answer, requestId, OrderUpdateResponseSchema).response,
      },
      options,
    );
    // A7: a 2xx may come without a body; the update was accepted, so read the order it produced.
    return (
      updated ??
      this.getOrderStatus(orderId, {
        priority: "command",
        ...(options.timeLeftMs !== undefined ? { timeLeftMs: options.timeLeftMs } : {}),
      })
    );
  }

  /** Store Toggle (§2.4). The outcome arrives later as a STORE_UPDATE callback. */
  toggleStore(messages: StoreToggleMessage[], options: CommandCallOptions = {}): Promise<SubmissionResult> {
    // §1.4: store toggle sends no transactionId.
    return this.submit(PINCODE_PATHS.storeToggle, StoreToggleRequestSchema, messages, false, options);
  }

  /** Listing Create (§2.5). */
  createListings(messages: ListingCreateMessage[], options: CommandCallOptions = {}): Promise<SubmissionResult> {
    // §1.4: listing samples send transactionId equal to requestId.
    return this.submit(PINCODE_PATHS.listing, ListingCreateRequestSchema, messages, true, options);
  }

  /** Listing Update (§2.6): PRICE, STATUS, QUANTITY_LIMIT or absolute INVENTORY per message. */
  updateListings(messages: ListingUpdateMessage[], options: CommandCallOptions = {}): Promise<SubmissionResult> {
    return this.submit(PINCODE_PATHS.listing, ListingUpdateRequestSchema, messages, true, options);
  }

  /** [Stage only, A12] Stock Inward (§2.7). */
  stockInward(messages: StockInwardMessage[]): Promise<SubmissionResult> {
    return this.submit(PINCODE_PATHS.listing, StockInwardRequestSchema, messages, false);
  }

  /** [Stage only, A12] Stock Alter (§2.8): signed deltas. */
  stockAlter(messages: StockAlterMessage[]): Promise<SubmissionResult> {
    return this.submit(PINCODE_PATHS.listing, StockAlterRequestSchema, messages, false);
  }

  private submit(
    path: string,
    schema: z.ZodType,
    messages: unknown[],
    withTransactionId: boolean,
    options: CommandCallOptions = {},
  ): Promise<SubmissionResult> {
    return this.execute(
      {
        path,
        family: "catalog",
        schema,
        build: (requestId) => ({
          requestContext: withTransactionId ? { requestId, transactionId: requestId } : { requestId },
          messages,
        }),
        onSuccess: (answer, requestId) => {
          // A7: any 2xx is success; 204 ACCEPTED has no body, and an odd body must not turn success into failure.
          const json = readJson(answer.text);
          const parsed =
            json.ok && json.value !== undefined ? SubmissionResponseSchema.safeParse(json.value) : undefined;
          const submissionId = parsed?.success ? (parsed.data.response?.submissionId ?? null) : null;
          return { submissionId, requestId };
        },
      },
      options,
    );
  }

  private parseBody<S extends z.ZodType>(
    path: string,
    answer: { status: number; text: string },
    requestId: string,
    schema: S,
  ): z.output<S> {
    const json = readJson(answer.text);
    if (!json.ok) {
      throw new PincodeResponseError({ endpoint: path, status: answer.status, requestId, reason: "body is not JSON" });
    }
    const parsed = schema.safeParse(json.value);
    if (!parsed.success) {
      const where = toValidationIssues(parsed.error.issues)
        .slice(0, 3)
        .map((i) => `${i.path || "(root)"}: ${i.message}`)
        .join("; ");
      throw new PincodeResponseError({ endpoint: path, status: answer.status, requestId, reason: where });
    }
    return parsed.data;
  }

  private validate(path: string, schema: z.ZodType, body: unknown): unknown {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new PincodeValidationError(path, toValidationIssues(parsed.error.issues));
    return parsed.data;
  }

  /**
   * One logical call: validate, then attempts until success or a final failure. Every attempt takes a throttle
   * token and a fresh requestId (A10: unique per call, and we never reuse one on retry).
   */
  private async execute<T>(spec: CallSpec<T>, options: CommandCallOptions = {}): Promise<T> {
    const url = joinUrl(this.config.baseUrl, spec.path);
    const deadline = this.now() + Math.min(this.retry.deadlineMs, options.timeLeftMs ?? Number.POSITIVE_INFINITY);
    // Issue 9: a seller command keeps one requestId on every attempt and leaves ambiguous failures to its caller.
    const fixedRequestId = options.requestId;
    let requestId = fixedRequestId ?? this.newRequestId();
    // Validated before any token fetch or HTTP call: a bad request never leaves the process.
    let body = this.validate(spec.path, spec.schema, spec.build(requestId));
    let attempt = 0;
    let transientFailures = 0;
    let reauthenticated = false;

    /** Sleeps before the next attempt, or throws `error` when the budget (attempts, deadline) is spent. */
    const backOffOrThrow = async (error: Error, retryAfterMs?: number): Promise<void> => {
      transientFailures += 1;
      if (transientFailures >= this.retry.maxAttempts) throw error;
      if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) throw error;
      const delay = retryAfterMs ?? backoffDelayMs(transientFailures, this.retry, this.random);
      if (this.now() + delay >= deadline) throw error;
      await this.sleep(delay);
    };

    for (;;) {
      attempt += 1;
      if (attempt > 1 && fixedRequestId === undefined) {
        requestId = this.newRequestId();
        body = this.validate(spec.path, spec.schema, spec.build(requestId));
      }
      if (this.rateGate) {
        try {
          const priority = options.priority ?? defaultPriority(spec.family);
          await this.rateGate.acquire({ family: spec.family, priority, deadline });
        } catch (error) {
          if (!(error instanceof RateBudgetDeadlineError)) throw error;
          throw new PincodeTransportError({
            endpoint: spec.path,
            reason: "deadline",
            requestId,
            attempts: attempt - 1,
            detail: error.message,
          });
        }
      } else {
        await this.throttle.acquire(spec.family);
      }
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        throw new PincodeTransportError({
          endpoint: spec.path,
          reason: "deadline",
          requestId,
          attempts: attempt - 1,
          detail: `call deadline of ${Math.min(this.retry.deadlineMs, options.timeLeftMs ?? Number.POSITIVE_INFINITY)} ms spent`,
        });
      }

      let token: string;
      try {
        token = await this.tokens.getToken();
      } catch (error) {
        const transient =
          error instanceof PincodeTransportError || (error instanceof PincodeAuthError && error.retryable);
        if (!transient) throw error;
        await backOffOrThrow(error);
        continue;
      }

      const startedAt = this.now();
      const metricBase = { endpoint: spec.path, family: spec.family, attempt };
      let answer: Awaited<ReturnType<typeof sendOnce>>;
      try {
        answer = await sendOnce(
          this.fetchImpl,
          url,
          {
            method: "POST",
            headers: {
              Accept: "application/json",
              "Content-Type": "application/json",
              Authorization: `O-Bearer ${token}`,
            },
            body: JSON.stringify(body),
          },
          Math.min(this.timeoutMs, remaining),
        );
      } catch (error) {
        const reason = error instanceof NoAnswerError ? error.reason : "network";
        emitMetric(this.onMetric, {
          ...metricBase,
          outcome: reason === "timeout" ? "timeout" : "network_error",
          latencyMs: this.now() - startedAt,
        });
        const transportError = new PincodeTransportError({
          endpoint: spec.path,
          reason,
          requestId,
          attempts: attempt,
          detail: error instanceof Error ? error.message : undefined,
          cause: error,
        });
        if (fixedRequestId !== undefined) throw transportError; // ambiguous: the caller checks before resending
        await backOffOrThrow(
          new PincodeTransportError({
            endpoint: spec.path,
            reason,
            requestId,
            attempts: attempt,
            detail: error instanceof Error ? error.message : undefined,
            cause: error,
          }),
        );
        continue;
      }
      const latencyMs = this.now() - startedAt;

      if (answer.status >= 200 && answer.status <= 299) {
        try {
          const result = spec.onSuccess(answer, requestId);
          emitMetric(this.onMetric, { ...metricBase, outcome: "success", status: answer.status, latencyMs });
          return result;
        } catch (error) {
          emitMetric(this.onMetric, { ...metricBase, outcome: "invalid_response", status: answer.status, latencyMs });
          throw error;
        }
      }

      const error = this.toApiError(spec.path, answer, requestId, attempt);
      emitMetric(this.onMetric, {
        ...metricBase,
        outcome: outcomeForStatus(answer.status),
        status: answer.status,
        latencyMs,
        ...(error.errorCode ? { errorCode: error.errorCode } : {}),
      });

      // §1.3 / A7: 401 and 412 mean the token or session expired: renew once and retry once, no backoff.
      if (isAuthExpiredStatus(answer.status) && !reauthenticated) {
        reauthenticated = true;
        this.tokens.invalidate(token);
        continue;
      }
      if (isRetryableStatus(answer.status)) {
        // A 5xx may come after the update was applied: a command's caller checks before resending (issue 9).
        if (fixedRequestId !== undefined && answer.status !== 429) throw error;
        await backOffOrThrow(error, parseRetryAfterMs(answer.headers.get("retry-after"), this.now()));
        continue;
      }
      throw error;
    }
  }

  private toApiError(
    path: string,
    answer: { status: number; text: string },
    requestId: string,
    attempt: number,
  ): PincodeApiError {
    // Error bodies may be HTML from a gateway: only the documented envelope contributes text.
    const json = readJson(answer.text);
    const envelope = json.ok ? ErrorEnvelopeSchema.safeParse(json.value) : undefined;
    return new PincodeApiError({
      status: answer.status,
      errorCode: envelope?.success ? envelope.data.error.errorCode : undefined,
      pincodeMessage: envelope?.success ? envelope.data.error.message : undefined,
      requestId,
      endpoint: path,
      attempts: attempt,
      retryable: isRetryableStatus(answer.status),
    });
  }
}

export function createPincodeClient(config: PincodeClientConfig): PincodeClient {
  return new PincodeClient(config);
}
