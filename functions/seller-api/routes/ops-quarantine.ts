/**
 * `GET /v1/quarantine?day=YYYY-MM-DD|days=1..30&limit=&cursor=`: quarantined callbacks, newest first, with their
 * reasons; never their bodies or headers (they may hold buyer data).
 */
import { encodeCursor, parseQuarantineListQuery, recentDays } from "#core/operations.ts";
import { withOps } from "./ops-common.ts";
import { apiError } from "./types.ts";

export const listQuarantine = withOps(async (request, ops) => {
  const query = parseQuarantineListQuery(request.query);
  if (!query.ok) return apiError(400, "INVALID_REQUEST", query.message);
  const { day, days, limit, cursor } = query.value;
  const range = day ? [day] : recentDays(request.now, days);
  const page = await ops.quarantine.list(range, limit, cursor);
  return {
    status: 200,
    body: { days: range, items: page.items, ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) },
  };
});
