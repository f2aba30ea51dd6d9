/**
 * The seller API (API Gateway REST proxy, `/v1/*`, AWS_IAM): one function serving every seller-API route of the
 * route table (functions/core/routes.ts). The router answers the generic refusals (404/405/413/415/400 body); each
 * route handler under ./routes/ validates its own inputs and calls the repositories and the command use cases.
 *
 * Logs carry the route template, the status and timings — never a body, a query value or the order itself (the
 * order view holds the buyer's address, which the API returns to the authorised caller only).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { countMetric } from "#adapters/metric-helpers.ts";
import type { OrderQueryRepository } from "#adapters/order-query-repository.ts";
import type { PendingSubmissionIndex } from "#adapters/pending-submission-index.ts";
import type { PollCheckpointRepository } from "#adapters/poll-checkpoint-repository.ts";
import type { StoreRepository } from "#adapters/store-repository.ts";
import { errorResponse } from "#core/http-response.ts";
import { isDependencyOutage, OUTAGE_RETRY_AFTER_SECONDS } from "./dependency-outage.ts";
import { createRouter, toProxyResult } from "./router.ts";
import { ROUTE_HANDLERS } from "./routes/index.ts";
import type { OpsDeps } from "./routes/ops-common.ts";

/** What issue9-cmd's submit use cases answer (functions/commands/submit.ts). */
export interface SubmitResult {
  status: 202 | 400 | 404 | 409 | 422;
  body: Record<string, unknown>;
}

/**
 * The command side, bound to its dependencies (functions/commands/submit.ts and the command / submission
 * repositories). Absent when the function runs without a commands queue: the command routes then answer 503.
 */
export interface CommandsPort {
  submitOrderActions(input: {
    orderId: string;
    idempotencyKey?: string;
    body: unknown;
    now?: number;
  }): Promise<SubmitResult>;
  submitStoreToggle(input: {
    storeId: string;
    idempotencyKey?: string;
    body: unknown;
    now?: number;
  }): Promise<SubmitResult>;
  submitListings(input: { idempotencyKey?: string; body: unknown; now?: number }): Promise<SubmitResult>;
  getCommand(commandId: string): Promise<Record<string, unknown> | undefined>;
  listOrderCommands(orderId: string): Promise<Record<string, unknown>[]>;
  /** Our submission id or Pincode's; `now` dates a PENDING submission's age. */
  getSubmission(submissionId: string, now: number): Promise<Record<string, unknown> | undefined>;
}

export interface SellerApiDeps {
  orders: OrderQueryRepository;
  stores: StoreRepository;
  checkpoints: Pick<PollCheckpointRepository, "get">;
  commands: CommandsPort | undefined;
  /** Indexes every submission a 202 creates, for the pending-submission alarm (pending-submission-index.ts). */
  pendingSubmissions?: Pick<PendingSubmissionIndex, "markPending">;
  /** STORE_IDS: seeds the store list (added as ACTIVE when missing); stores are data after that. */
  seedStoreIds: readonly string[];
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
  maxBodyBytes?: number;
  /** The operations routes' queues and readers (routes/ops-*.ts); absent: those routes answer 503. */
  ops?: OpsDeps;
}

export type SellerApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export function createSellerApiHandler(deps: SellerApiDeps): SellerApiHandler {
  const now = deps.now ?? Date.now;
  const dispatch = createRouter<SellerApiDeps>({
    handlers: ROUTE_HANDLERS,
    ...(deps.maxBodyBytes ? { maxBodyBytes: deps.maxBodyBytes } : {}),
  });
  const { logger, metrics } = deps;
  // STORE_IDS seeds the store list once per container (idempotent; a retired store is never brought back).
  let seeded: Promise<unknown> | undefined;
  const seed = () => {
    if (deps.seedStoreIds.length === 0) return Promise.resolve();
    seeded ??= deps.stores.seed(deps.seedStoreIds, now()).catch((error) => {
      seeded = undefined;
      throw error;
    });
    return seeded;
  };

  return async (event) => {
    const started = now();
    const requestId = event.requestContext?.requestId ?? "";
    try {
      await seed();
      const { response, route } = await dispatch(event, deps, started);
      const ms = now() - started;
      const log = { route: route ?? null, status: response.status, ms, apiRequestId: requestId };
      if (response.status >= 500) logger.error("seller api request failed", log);
      else logger.info("seller api request", log);
      countMetric(metrics, "SellerApiRequests");
      if (response.status >= 500) countMetric(metrics, "SellerApiServerErrors");
      return toProxyResult(response, requestId);
    } catch (error) {
      const outage = isDependencyOutage(error);
      logger.error(outage ? "seller api dependency unavailable" : "seller api handler failed", {
        apiRequestId: requestId,
        error: errorName(error),
      });
      countMetric(metrics, "SellerApiServerErrors");
      if (outage) {
        // DynamoDB or SQS is down or throttling: nothing the caller did wrong, so a retry later will work.
        return errorResponse(503, "SERVICE_UNAVAILABLE", "a storage or queue service is unavailable; retry later", {
          "X-Request-Id": requestId,
          "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS),
        });
      }
      return errorResponse(500, "INTERNAL_ERROR", "the request could not be processed; retry later", {
        "X-Request-Id": requestId,
      });
    }
  };
}

/** Errors from AWS SDK calls can quote request data; log only their class and code. */
export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { Code?: string; code?: string }).Code ?? (error as { code?: string }).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return typeof error;
}
