/**
 * `GET /v1/deadlines?orderIds=OD1,OD2,...` (1-100 ids): each order's fulfilments with their state history times
 * (`fulfilmentStatusHistory.*.{actual,expected,promised}.endTime`), so a list screen (the console's Orders view, or
 * a script) can show the time left until Pincode's promised time without reading every order in full. Only ids,
 * states and times: no buyer data (the full view, with the address, stays behind `GET /v1/orders/{orderId}`).
 */
import { upper } from "#adapters/order-query-repository.ts";
import type { SellerApiDeps } from "../create-handler.ts";
import { type ApiRequest, type ApiResponse, apiError } from "./types.ts";

export const MAX_DEADLINE_IDS = 100;
const ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;
const TIME_KINDS = ["actual", "expected", "promised"] as const;
/** Views read at once (GetItem each, consistent reads like GET /v1/orders/{orderId}). */
const CONCURRENCY = 10;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface FulfilmentDeadlines {
  fulfillmentId: string | null;
  type: string | null;
  fulfillmentState: string | null;
  /** Pincode's shape, times as epoch ms: state -> { actual?, expected?, promised?: { endTime } } (§3.3; A4: one "L"). */
  fulfilmentStatusHistory: Record<string, Partial<Record<(typeof TIME_KINDS)[number], { endTime: number }>>>;
}

/** Keeps the history's times only; anything that is not an epoch-ms endTime is left out. */
export function deadlinesOf(fulfilment: Json): FulfilmentDeadlines {
  const history: FulfilmentDeadlines["fulfilmentStatusHistory"] = {};
  const raw = isObject(fulfilment.fulfilmentStatusHistory) ? fulfilment.fulfilmentStatusHistory : {};
  for (const [state, times] of Object.entries(raw)) {
    if (!isObject(times)) continue;
    const entry: Partial<Record<(typeof TIME_KINDS)[number], { endTime: number }>> = {};
    for (const kind of TIME_KINDS) {
      const at = isObject(times[kind]) ? (times[kind] as Json).endTime : undefined;
      const ms = typeof at === "number" ? at : typeof at === "string" && /^\d{1,15}$/.test(at) ? Number(at) : undefined;
      if (ms !== undefined) entry[kind] = { endTime: ms };
    }
    history[upper(state) ?? state] = entry;
  }
  return {
    fulfillmentId: typeof fulfilment.fulfillmentId === "string" ? fulfilment.fulfillmentId : null,
    type: typeof fulfilment.type === "string" ? fulfilment.type : null,
    fulfillmentState: typeof fulfilment.fulfillmentState === "string" ? upper(fulfilment.fulfillmentState) : null,
    fulfilmentStatusHistory: history,
  };
}

export async function getDeadlines(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const raw = request.query.orderIds ?? "";
  const ids = [...new Set(raw.split(",").map((s) => s.trim()))].filter(Boolean);
  if (ids.length === 0 || ids.length > MAX_DEADLINE_IDS || !ids.every((id) => ID.test(id))) {
    return apiError(
      400,
      "INVALID_REQUEST",
      `orderIds: expected 1-${MAX_DEADLINE_IDS} comma-separated order ids of letters, digits and . _ : @ + = -`,
    );
  }
  const found: Json[] = [];
  const missing: string[] = [];
  for (let i = 0; i < ids.length; i += CONCURRENCY) {
    const views = await Promise.all(ids.slice(i, i + CONCURRENCY).map((id) => deps.orders.getView(id)));
    views.forEach((view, j) => {
      const orderId = ids[i + j]!;
      if (!view) {
        missing.push(orderId);
        return;
      }
      const fulfilments = Array.isArray(view.order.fulfillments) ? view.order.fulfillments.filter(isObject) : [];
      found.push({
        orderId,
        orderState: upper(view.summary.orderState),
        updatedAt: view.summary.updatedAt,
        version: view.version,
        fulfillments: fulfilments.map(deadlinesOf),
      });
    });
  }
  return { status: 200, body: { deadlines: found, missing } };
}
