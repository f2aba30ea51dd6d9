/**
 * What the operations routes share: their dependencies and the small request helpers they use. The routes answer in
 * the seller API's error shape `{"error": CODE, "message": "<field and expected form>"}`.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import type { QuarantineReader } from "#adapters/quarantine-reader.ts";
import type { QueueOperations } from "#adapters/queue-operations.ts";
import type { QueuePublisher } from "#adapters/queue-publisher.ts";
import { bodyBytes } from "#core/http-request.ts";
import { errorResponse } from "#core/http-response.ts";
import { isOpsQueueName, OPS_QUEUES, type OpsQueueName, type OpsQueues } from "#core/operations.ts";

export interface StorePollLag {
  storeId: string;
  /** End of the last fully polled window (epoch ms); null before the store's first complete window. */
  windowEnd: number | null;
  lagMs: number | null;
}

export interface PendingSubmissions {
  count: number;
  oldestAgeMs: number | null;
}

export interface OpsDeps {
  queues: OpsQueues;
  queueOps: QueueOperations;
  quarantine: QuarantineReader;
  publisher: Pick<QueuePublisher, "send">;
  /** Poll lag of every configured store. */
  pollLag: () => Promise<StorePollLag[]>;
  /** Submissions still waiting for Pincode's result callback; absent until the command side provides it. */
  pendingSubmissions?: () => Promise<PendingSubmissions>;
  now?: () => number;
}

export type RouteHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export function queueParam(event: APIGatewayProxyEvent): OpsQueueName | APIGatewayProxyResult {
  const queue = event.pathParameters?.queue;
  if (isOpsQueueName(queue)) return queue;
  return errorResponse(404, "QUEUE_NOT_FOUND", `queue: expected one of ${OPS_QUEUES.join(", ")}`);
}

export function queryOf(event: APIGatewayProxyEvent): Record<string, string | undefined> {
  return { ...(event.queryStringParameters ?? {}) };
}

/** The parsed JSON body; undefined for an empty body; an error response for a body that is not JSON. */
export function jsonBody(event: APIGatewayProxyEvent): { ok: true; value: unknown } | APIGatewayProxyResult {
  const text = bodyBytes(event).toString("utf8").trim();
  if (text === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return errorResponse(400, "INVALID_REQUEST", "body: expected a JSON object");
  }
}

export const isResult = (value: unknown): value is APIGatewayProxyResult =>
  typeof value === "object" && value !== null && "statusCode" in value;
