/**
 * The live order list: the first page newest first, then `GET /v1/orders?updatedSince=` every few seconds (the same
 * route a script uses; it works the same through API Gateway, where a held-open stream would not). Keeps running on
 * every view so a new order rings wherever the staff are.
 */
import { api, q } from "./api.ts";
import { isNew, isTerminal, type OrderModel, readFulfilments, readOrder } from "./order-model.ts";
import { setNewOrders } from "./ring.ts";

export const POLL_MS = 3_000;
/** Re-read this far behind the newest update seen: a snapshot can reach us later than its own updatedAt. */
const OVERLAP_MS = 5 * 60_000;
/** A full re-read of the first page this often, for anything the overlap did not cover. */
const FULL_REFRESH_MS = 60_000;

type Json = Record<string, unknown>;

export interface FeedState {
  orders: Map<string, OrderModel>;
  storeId: string;
  cursor: string | null;
  loadedAt: number;
  error: string | null;
}

export const feed: FeedState = { orders: new Map(), storeId: "", cursor: null, loadedAt: 0, error: null };
const listeners: Array<() => void> = [];
export const onFeedChange = (fn: () => void) => {
  listeners.push(fn);
  return () => {
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  };
};
const notify = () => {
  setNewOrders([...feed.orders.values()].filter(isNew).map((o) => o.id));
  for (const fn of listeners) fn();
};

function listOf(body: Json): { orders: unknown[]; cursor: string | null } {
  const orders = Array.isArray(body.orders) ? body.orders : Array.isArray(body.items) ? body.items : [];
  const next = body.next ?? body.nextCursor ?? null;
  return { orders, cursor: typeof next === "string" && next ? next : null };
}

/** Fulfilment histories (promised times) by order id, with the order version they were read at. */
const deadlines = new Map<string, { version: number; fulfilments: OrderModel["fulfilments"] }>();

function merge(entries: unknown[]): void {
  for (const entry of entries) {
    const order = readOrder(entry);
    if (!order.id) continue;
    const known = deadlines.get(order.id);
    if (known && known.version === order.version) order.fulfilments = known.fulfilments;
    feed.orders.set(order.id, order);
  }
}

/**
 * The list carries states, not Pincode's promised times: `GET /v1/deadlines` adds them for the open orders whose
 * version changed (ids, states and times only; no buyer data reaches the list).
 */
async function fillDeadlines(): Promise<void> {
  const stale = [...feed.orders.values()]
    .filter((o) => !isTerminal(o) && deadlines.get(o.id)?.version !== o.version)
    .map((o) => o.id);
  for (let i = 0; i < stale.length; i += 100) {
    const ids = stale.slice(i, i + 100);
    const body = await api<Json>(`/v1/deadlines${q({ orderIds: ids.join(",") })}`);
    for (const entry of Array.isArray(body.deadlines) ? body.deadlines : []) {
      const e = entry as Json;
      const id = typeof e.orderId === "string" ? e.orderId : "";
      const order = feed.orders.get(id);
      if (!order) continue;
      const version = typeof e.version === "number" ? e.version : order.version;
      const fulfilments = readFulfilments(e.fulfillments);
      deadlines.set(id, { version, fulfilments });
      if (version === order.version) order.fulfilments = fulfilments;
    }
  }
}

let fullAt = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

export async function reload(): Promise<void> {
  const body = await api<Json>(`/v1/orders${q({ storeId: feed.storeId, limit: 50 })}`);
  const { orders, cursor } = listOf(body);
  feed.orders = new Map();
  merge(orders);
  feed.cursor = cursor;
  fullAt = Date.now();
  await fillDeadlines();
  feed.loadedAt = Date.now();
  feed.error = null;
  notify();
}

export async function loadMore(): Promise<void> {
  if (!feed.cursor) return;
  const body = await api<Json>(`/v1/orders${q({ storeId: feed.storeId, limit: 50, cursor: feed.cursor })}`);
  const { orders, cursor } = listOf(body);
  merge(orders);
  feed.cursor = cursor;
  await fillDeadlines();
  notify();
}

async function tick(): Promise<void> {
  try {
    if (Date.now() - fullAt > FULL_REFRESH_MS || feed.loadedAt === 0) {
      await reload();
      return;
    }
    const newest = Math.max(0, ...[...feed.orders.values()].map((o) => o.updatedAt ?? 0));
    const since = Math.max(0, newest - OVERLAP_MS);
    const body = await api<Json>(`/v1/orders${q({ storeId: feed.storeId, updatedSince: since, limit: 100 })}`);
    merge(listOf(body).orders);
    await fillDeadlines();
    feed.loadedAt = Date.now();
    feed.error = null;
    notify();
  } catch (error) {
    feed.error = (error as Error).message;
    for (const fn of listeners) fn();
  }
}

export function startFeed(): void {
  if (timer) return;
  const loop = async () => {
    await tick();
    timer = setTimeout(loop, POLL_MS);
  };
  void loop();
}

export function setStoreFilter(storeId: string): Promise<void> {
  feed.storeId = storeId;
  return reload().catch((error: Error) => {
    feed.error = error.message;
    notify();
  });
}

/** Puts a freshly read order (e.g. from the detail view) into the list at once. */
export function upsertOrder(order: OrderModel): void {
  feed.orders.set(order.id, order);
  notify();
}
