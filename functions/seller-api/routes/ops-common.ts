/**
 * What the operations routes share: their dependencies (`SellerApiDeps.ops`) and small helpers. The router has
 * matched the route and parsed the body; these handlers validate their own inputs and answer `{error, message}`.
 */
import type { QuarantineReader } from "#adapters/quarantine-reader.ts";
import type { QueueOperations } from "#adapters/queue-operations.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import { isOpsQueueName, OPS_QUEUES, type OpsQueueName, type OpsQueues } from "#core/operations.ts";
import type { SellerApiDeps } from "../create-handler.ts";
import { type ApiRequest, type ApiResponse, apiError, type RouteHandler } from "./types.ts";

export interface StorePollLag {
  storeId: string;
  /** End of the last fully polled window (epoch ms); null before the store's first complete window. */
  windowEnd: number | null;
  lagMs: number | null;
}

export interface PendingSubmissions {
  count: number;
  oldestAgeMs: number | null;
  /** More were waiting than were examined: `count` is a lower bound. */
  capped?: boolean;
}

export interface OpsDeps {
  queues: OpsQueues;
  queueOps: QueueOperations;
  quarantine: QuarantineReader;
  publisher: Pick<QueuePublisher, "send">;
  /** Poll lag of every active store. */
  pollLag: (now: number) => Promise<StorePollLag[]>;
  /** Submissions still waiting for Pincode's result callback (the pending-submission index). */
  pendingSubmissions?: (now: number) => Promise<PendingSubmissions>;
}

export type OpsHandler = (request: ApiRequest, ops: OpsDeps) => Promise<ApiResponse>;

/** A route handler that needs the operations dependencies; 503 naming what is missing when they are not wired. */
export function withOps(handler: OpsHandler): RouteHandler {
  return async (request, deps: SellerApiDeps) => {
    if (!deps.ops) {
      return apiError(
        503,
        "OPERATIONS_UNAVAILABLE",
        "the operations routes are not configured: the function needs EVENTS_QUEUE_URL, EVENTS_DLQ_URL, POLL_QUEUE_URL, POLL_DLQ_URL, COMMANDS_QUEUE_URL and COMMANDS_DLQ_URL",
      );
    }
    return handler(request, deps.ops);
  };
}

export function queueParam(request: ApiRequest): OpsQueueName | ApiResponse {
  const queue = request.params.queue;
  if (isOpsQueueName(queue)) return queue;
  return apiError(404, "QUEUE_NOT_FOUND", `queue: expected one of ${OPS_QUEUES.join(", ")}`);
}

export const isResponse = (value: unknown): value is ApiResponse =>
  typeof value === "object" && value !== null && "status" in value;

export const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);
