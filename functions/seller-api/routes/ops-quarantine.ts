/**
 * `GET /v1/quarantine?day=YYYY-MM-DD|days=1..30&limit=&cursor=`: quarantined callbacks, newest first, with their
 * reasons; never their bodies or headers (they may hold buyer data).
 */
import { errorResponse, jsonResponse } from "#core/http-response.ts";
import { encodeCursor, parseQuarantineListQuery, recentDays } from "#core/operations.ts";
import { type OpsDeps, queryOf, type RouteHandler } from "./ops-common.ts";

export function createOpsQuarantineListRoute(deps: OpsDeps): RouteHandler {
  const now = deps.now ?? Date.now;
  return async (event) => {
    const query = parseQuarantineListQuery(queryOf(event));
    if (!query.ok) return errorResponse(400, "INVALID_REQUEST", query.message);
    const { day, days, limit, cursor } = query.value;
    const range = day ? [day] : recentDays(now(), days);
    const page = await deps.quarantine.list(range, limit, cursor);
    return jsonResponse(200, {
      days: range,
      items: page.items,
      ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
    });
  };
}
