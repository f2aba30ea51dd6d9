/**
 * The operations routes, keyed `METHOD /path` as in the route table, for the seller API's dispatcher.
 */
import type { OpsDeps, RouteHandler } from "./ops-common.ts";
import { createOpsDlqMessagesRoute } from "./ops-dlq-messages.ts";
import { createOpsDlqRedriveRoute } from "./ops-dlq-redrive.ts";
import { createOpsDlqsRoute } from "./ops-dlqs.ts";
import { createOpsQuarantineListRoute } from "./ops-quarantine.ts";
import { createOpsQuarantineReplayRoute } from "./ops-quarantine-replay.ts";
import { createOpsSummaryRoute } from "./ops-summary.ts";

export const OPS_ROUTE_PATHS = {
  summary: "GET /v1/ops/summary",
  dlqs: "GET /v1/ops/dlqs",
  dlqMessages: "GET /v1/ops/dlqs/{queue}/messages",
  dlqRedrive: "POST /v1/ops/dlqs/{queue}/redrive",
  quarantine: "GET /v1/quarantine",
  quarantineReplay: "POST /v1/quarantine/{id}/replay",
} as const;

export function createOpsRoutes(deps: OpsDeps): Record<string, RouteHandler> {
  return {
    [OPS_ROUTE_PATHS.summary]: createOpsSummaryRoute(deps),
    [OPS_ROUTE_PATHS.dlqs]: createOpsDlqsRoute(deps),
    [OPS_ROUTE_PATHS.dlqMessages]: createOpsDlqMessagesRoute(deps),
    [OPS_ROUTE_PATHS.dlqRedrive]: createOpsDlqRedriveRoute(deps),
    [OPS_ROUTE_PATHS.quarantine]: createOpsQuarantineListRoute(deps),
    [OPS_ROUTE_PATHS.quarantineReplay]: createOpsQuarantineReplayRoute(deps),
  };
}
