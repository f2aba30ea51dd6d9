/**
 * `GET /v1/orders` and `GET /v1/orders/{orderId}`.
 *
 * Listing: newest first (by the order's normalised updatedAt) from the byStore GSI, one Query per store page. With
 * `storeId`, that store's partition; without, every store the bridge knows (active and retired), each queried from
 * its own position and merged newest first. The opaque cursor carries each store's position, so a page never repeats
 * or skips an order that did not change meanwhile (an order updated during paging moves to the top: sync with
 * `updatedSince` for a complete picture).
 */
import { type OrderListItem, upper } from "#adapters/order-query-repository.ts";
import { type CursorFilters, type CursorPosition, decodeOrdersCursor, encodeOrdersCursor } from "#core/order-cursor.ts";
import type { SellerApiDeps } from "../create-handler.ts";
import { parseId, parseLimit, parseState, parseStoreId, parseTimestamp } from "./params.ts";
import { type ApiRequest, type ApiResponse, apiError } from "./types.ts";

export async function listOrders(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const storeId = parseStoreId("storeId", request.query.storeId);
  if (!storeId.ok) return storeId.response;
  const state = parseState(request.query.state);
  if (!state.ok) return state.response;
  const since = parseTimestamp("updatedSince", request.query.updatedSince);
  if (!since.ok) return since.response;
  const limitParsed = parseLimit(request);
  if (!limitParsed.ok) return limitParsed.response;
  const filters: CursorFilters = { storeId: storeId.value, state: state.value, updatedSince: since.value };

  let limit = limitParsed.value;
  let positions: Record<string, CursorPosition>;
  if (request.query.cursor !== undefined) {
    const decoded = decodeOrdersCursor(request.query.cursor, filters);
    if (!decoded.ok) return apiError(400, "INVALID_REQUEST", decoded.message);
    positions = decoded.cursor.positions;
    // An explicit limit wins; otherwise the cursor's page size carries on.
    if (request.query.limit === undefined) limit = decoded.cursor.limit;
  } else {
    const storeIds = filters.storeId ? [filters.storeId] : (await deps.stores.list()).map((s) => s.storeId);
    positions = Object.fromEntries(storeIds.map((id) => [id, null]));
  }

  // Each unfinished store contributes up to `limit` candidates; a k-way merge keeps each store's own order.
  const pending = Object.entries(positions).filter(([, p]) => p !== 0) as [string, null | [number, string]][];
  const streams = await Promise.all(
    pending.map(async ([id, position]) => {
      const page = await deps.orders.storePage({
        storeId: id,
        limit,
        ...(filters.state ? { state: filters.state } : {}),
        ...(filters.updatedSince !== null ? { updatedSince: filters.updatedSince } : {}),
        ...(position ? { after: { updatedAt: position[0], orderId: position[1] } } : {}),
      });
      return { storeId: id, items: page.items, exhausted: page.exhausted, resume: page.resume, taken: 0 };
    }),
  );
  const orders: OrderListItem[] = [];
  while (orders.length < limit) {
    let best: (typeof streams)[number] | undefined;
    for (const stream of streams) {
      const head = stream.items[stream.taken];
      if (!head) continue;
      const bestHead = best?.items[best.taken];
      if (!bestHead || head.updatedAt > bestHead.updatedAt) best = stream;
    }
    if (!best) break;
    orders.push(best.items[best.taken]!);
    best.taken++;
  }
  const next: Record<string, CursorPosition> = { ...positions };
  for (const stream of streams) {
    const last = stream.items[stream.taken - 1];
    if (stream.taken === stream.items.length) {
      if (stream.exhausted || !stream.resume) next[stream.storeId] = 0;
      else next[stream.storeId] = [stream.resume.updatedAt, stream.resume.orderId];
    } else if (last) next[stream.storeId] = [last.updatedAt, last.orderId];
  }
  const more = Object.values(next).some((p) => p !== 0);
  return {
    status: 200,
    body: {
      orders,
      next: more ? encodeOrdersCursor({ filters, limit, positions: next }) : null,
    },
  };
}

/** The stored view keeps Pincode's field names; states are upper-cased here, times are epoch ms already. */
function normaliseView(order: Record<string, unknown>): Record<string, unknown> {
  const view: Record<string, unknown> = { ...order };
  if (typeof view.orderState === "string") view.orderState = upper(view.orderState);
  if (Array.isArray(view.fulfillments)) {
    view.fulfillments = view.fulfillments.map((f) =>
      typeof f === "object" && f !== null && typeof (f as { fulfillmentState?: unknown }).fulfillmentState === "string"
        ? { ...f, fulfillmentState: upper((f as { fulfillmentState: string }).fulfillmentState) }
        : f,
    );
  }
  return view;
}

export async function getOrder(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const orderId = parseId("orderId", request.params.orderId);
  if (!orderId.ok) return orderId.response;
  const view = await deps.orders.getView(orderId.value);
  if (!view) return apiError(404, "ORDER_NOT_FOUND", "no order with this orderId has reached the bridge");
  const history = await deps.orders.history(orderId.value);
  return {
    status: 200,
    body: {
      // Holds the buyer's address: returned to the authorised caller, never logged.
      order: normaliseView(view.order),
      sync: { version: view.version, syncedAt: view.syncedAt, source: view.source, receivedAt: view.receivedAt },
      history,
    },
  };
}
