/**
 * Route key (`"<METHOD> <path template>"`, see routeKey in functions/core/routes.ts) -> handler. Every sellerApi
 * line of the route table has exactly one entry here (test/unit/seller-api-routes.test.ts checks both ways).
 */

import {
  getCommand,
  getSubmission,
  listOrderCommands,
  postListings,
  postOrderActions,
  postStoreAvailability,
} from "./commands.ts";
import { getDeadlines } from "./deadlines.ts";
import { getArrivals } from "./ops-arrivals.ts";
import { getDlqMessages } from "./ops-dlq-messages.ts";
import { postDlqRedrive } from "./ops-dlq-redrive.ts";
import { listDlqs } from "./ops-dlqs.ts";
import { listQuarantine } from "./ops-quarantine.ts";
import { postQuarantineReplay } from "./ops-quarantine-replay.ts";
import { getOpsSummary } from "./ops-summary.ts";
import { getOrder, listOrders } from "./orders.ts";
import { deleteStore, listStores, putStore } from "./stores.ts";
import type { RouteHandler } from "./types.ts";

export const ROUTE_HANDLERS: Readonly<Record<string, RouteHandler>> = {
  "GET /v1/orders": listOrders,
  "GET /v1/orders/{orderId}": getOrder,
  "POST /v1/orders/{orderId}/actions": postOrderActions,
  "GET /v1/orders/{orderId}/commands": listOrderCommands,
  "GET /v1/commands/{commandId}": getCommand,
  "GET /v1/stores": listStores,
  "PUT /v1/stores/{storeId}": putStore,
  "DELETE /v1/stores/{storeId}": deleteStore,
  "POST /v1/stores/{storeId}/availability": postStoreAvailability,
  "POST /v1/listings": postListings,
  "GET /v1/submissions/{submissionId}": getSubmission,
  "GET /v1/ops/summary": getOpsSummary,
  "GET /v1/ops/dlqs": listDlqs,
  "GET /v1/ops/dlqs/{queue}/messages": getDlqMessages,
  "POST /v1/ops/dlqs/{queue}/redrive": postDlqRedrive,
  "GET /v1/quarantine": listQuarantine,
  "POST /v1/quarantine/{id}/replay": postQuarantineReplay,
  "GET /v1/deadlines": getDeadlines,
  "GET /v1/ops/arrivals": getArrivals,
};
