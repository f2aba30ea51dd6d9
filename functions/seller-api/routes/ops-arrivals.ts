/**
 * `GET /v1/ops/arrivals?minutes=60` (1-180): order snapshots per minute by how they reached the bridge — a
 * Pincode callback, the poller (Order Poll, then Status Check), or the reply to one of our own commands — over the
 * last minutes, from the orders' history items. `series` counts snapshots that changed an order (accepted);
 * `newOrders` counts each order's first snapshot; `stale` and `duplicate` are totals. When callbacks stop, the
 * callback line falls and the poll line takes over: the operator sees it at a glance (issue 12).
 *
 * Read from the byStore GSI (orders updated since the window start, less a margin for late snapshots) and each
 * order's history (a Query per order): cost grows with the window's orders, never with the table; beyond
 * ARRIVALS_MAX_ORDERS the answer says `complete: false`. A snapshot that arrives within the window for an order
 * whose Pincode update time is older than the margin is not counted (rare: a poll finds changes within minutes).
 */
import type { SellerApiDeps } from "../create-handler.ts";
import { type ApiRequest, type ApiResponse, apiError } from "./types.ts";

export const ARRIVALS_MAX_ORDERS = 1000;
export const ARRIVALS_MAX_MINUTES = 180;
/** Orders whose last Pincode update is this much older than the window can still have snapshots arriving in it. */
export const ARRIVALS_MARGIN_MS = 15 * 60_000;
const BUCKET_MS = 60_000;
const HISTORY_LIMIT = 200;
const CONCURRENCY = 10;

export const ARRIVAL_CHANNELS = ["callback", "poll", "command"] as const;
export type ArrivalChannel = (typeof ARRIVAL_CHANNELS)[number];

/** The history item's `source` (order-repository SnapshotSource) as the channel it came by. */
export function channelOf(source: string | null): ArrivalChannel | undefined {
  if (source === "callback") return "callback";
  if (source === "status-check") return "poll";
  if (source === "order-update") return "command";
  return undefined;
}

export async function getArrivals(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const raw = request.query.minutes;
  if (raw !== undefined && (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > ARRIVALS_MAX_MINUTES)) {
    return apiError(400, "INVALID_REQUEST", `minutes: expected an integer from 1 to ${ARRIVALS_MAX_MINUTES}`);
  }
  const minutes = raw === undefined ? 60 : Number(raw);
  const to = Math.floor(request.now / BUCKET_MS) * BUCKET_MS + BUCKET_MS;
  const from = to - minutes * BUCKET_MS;
  const empty = () => Object.fromEntries(ARRIVAL_CHANNELS.map((c) => [c, new Array<number>(minutes).fill(0)]));
  const series = empty() as Record<ArrivalChannel, number[]>;
  const newOrders = empty() as Record<ArrivalChannel, number[]>;
  const totals = { stale: 0, duplicate: 0 };

  const orderIds: string[] = [];
  let complete = true;
  for (const store of await deps.stores.list()) {
    let after: { updatedAt: number; orderId: string } | undefined;
    for (;;) {
      if (orderIds.length >= ARRIVALS_MAX_ORDERS) {
        complete = false;
        break;
      }
      const page = await deps.orders.storePage({
        storeId: store.storeId,
        updatedSince: from - ARRIVALS_MARGIN_MS,
        limit: 100,
        ...(after ? { after } : {}),
      });
      orderIds.push(...page.items.map((i) => i.orderId).slice(0, ARRIVALS_MAX_ORDERS - orderIds.length));
      if (page.exhausted || !page.resume) break;
      after = page.resume;
    }
  }

  for (let i = 0; i < orderIds.length; i += CONCURRENCY) {
    const histories = await Promise.all(
      orderIds.slice(i, i + CONCURRENCY).map((id) => deps.orders.history(id, HISTORY_LIMIT)),
    );
    for (const history of histories) {
      const firstAccepted = history.length < HISTORY_LIMIT ? history.find((e) => e.outcome === "accepted") : undefined;
      for (const entry of history) {
        if (entry.at < from || entry.at >= to) continue;
        if (entry.outcome === "stale") totals.stale++;
        else if (entry.outcome === "duplicate") totals.duplicate++;
        const channel = channelOf(entry.source);
        if (!channel || entry.outcome !== "accepted") continue;
        const bucket = Math.floor((entry.at - from) / BUCKET_MS);
        series[channel][bucket]!++;
        if (entry === firstAccepted) newOrders[channel][bucket]!++;
      }
    }
  }
  return {
    status: 200,
    body: {
      from,
      to,
      bucketMs: BUCKET_MS,
      channels: ARRIVAL_CHANNELS,
      series,
      newOrders,
      totals,
      ordersRead: orderIds.length,
      complete,
    },
  };
}
