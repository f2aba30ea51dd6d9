/**
 * What the console needs from an order, read from the seller API's order view (Pincode's field names, states upper
 * case, times epoch ms). Pure: no DOM, no fetch, so vitest runs it as it is.
 *
 * The seller-actions model follows the sandbox's reading of Pincode's state machine (docs/sandbox.md "State
 * machine"): the seller accepts, packs (PACKING may be skipped), may take the delivery out and deliver it (merchant
 * delivery), and completes; cancel, unit cuts and the invoice id are allowed until the order is terminal.
 */

export type ActionType =
  | "accept"
  | "start"
  | "packing"
  | "packed"
  | "outForDelivery"
  | "delivered"
  | "complete"
  | "cancel"
  | "itemUnits"
  | "invoice";

export interface HistoryTimes {
  actual?: number;
  expected?: number;
  promised?: number;
}

export interface FulfilmentModel {
  fulfillmentId: string;
  type: string | null;
  /** Absent while the leg has not started (the sandbox sends no state rather than an invented one). */
  state: string | null;
  /** State name -> its times, in Pincode's order for the leg's type where known. */
  history: Array<{ state: string } & HistoryTimes>;
}

export interface ItemModel {
  id: string;
  name: string;
  quantity: number;
  /** Paise (A3: most likely paise, unstated). */
  price: number | null;
}

export interface OrderModel {
  id: string;
  storeId: string | null;
  state: string;
  createdAt: number | null;
  updatedAt: number | null;
  items: ItemModel[];
  itemCount: number;
  unitCount: number;
  totalPaise: number | null;
  fulfilments: FulfilmentModel[];
  sellerInvoiceId: string | null;
  /** The bridge's change counter for the stored view (list entries carry it); 0 when unknown. */
  version: number;
}

export const TERMINAL_STATES = ["COMPLETED", "CANCELLED"] as const;
const WORKING_STATES = ["ACCEPTED", "IN_PROGRESS"];

export const STORE_LEG = ["PACKING", "PACKED"] as const;
export const DELIVERY_LEG = ["SEARCHING_FOR_AGENT", "AGENT_ASSIGNED", "OUT_FOR_DELIVERY", "DELIVERED"] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
/** Epoch ms from a number, a numeric string or an ISO string (the API normalises; this tolerates a raw view). */
export function epochMs(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "") {
    if (/^\d+$/.test(v.trim())) return Number(v.trim());
    const parsed = Date.parse(v);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}
const endTime = (v: unknown) => (isObject(v) ? (epochMs(v.endTime) ?? undefined) : undefined);

function legOrder(type: string | null): readonly string[] {
  if (type === "STORE") return STORE_LEG;
  if (type === "DELIVERY") return DELIVERY_LEG;
  return [];
}

function readFulfilment(raw: Json): FulfilmentModel {
  const type = str(raw.type)?.toUpperCase() ?? null;
  const historyRaw = isObject(raw.fulfilmentStatusHistory) ? raw.fulfilmentStatusHistory : {};
  const order = legOrder(type);
  const states = Object.keys(historyRaw).sort((a, b) => {
    const ia = order.indexOf(a.toUpperCase());
    const ib = order.indexOf(b.toUpperCase());
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  const history = states.map((state) => {
    const times = isObject(historyRaw[state]) ? (historyRaw[state] as Json) : {};
    const entry: { state: string } & HistoryTimes = { state: state.toUpperCase() };
    const actual = endTime(times.actual);
    const expected = endTime(times.expected);
    const promised = endTime(times.promised);
    if (actual !== undefined) entry.actual = actual;
    if (expected !== undefined) entry.expected = expected;
    if (promised !== undefined) entry.promised = promised;
    return entry;
  });
  return {
    fulfillmentId: str(raw.fulfillmentId) ?? str(raw.fulfilmentId) ?? "",
    type,
    state: str(raw.fulfillmentState)?.toUpperCase() ?? null,
    history,
  };
}

/** `fulfillments[]` of a view or of a `GET /v1/deadlines` entry. */
export function readFulfilments(raw: unknown): FulfilmentModel[] {
  return Array.isArray(raw) ? raw.filter(isObject).map(readFulfilment) : [];
}

/**
 * Reads an order view, or a list entry that wraps one (`{order}` / `{view}`), or a summary-only list entry
 * (`orderId`, `orderState`, `totalPaise`, `itemCount`, ...): the list may carry less than the detail.
 */
export function readOrder(input: unknown): OrderModel {
  const outer = isObject(input) ? input : {};
  const raw = isObject(outer.order) ? outer.order : isObject(outer.view) ? outer.view : outer;
  const summary = isObject(outer.summary) ? outer.summary : isObject(raw.summary) ? raw.summary : {};
  const itemsRaw = Array.isArray(raw.items) ? raw.items.filter(isObject) : [];
  const items: ItemModel[] = itemsRaw.map((item) => {
    const quantity = isObject(item.quantity) ? item.quantity.count : item.quantity;
    // sellingPrice is what the buyer pays per unit; price is the MRP (PINCODE-API §3.2, A3).
    const selling = isObject(item.sellingPrice) ? item.sellingPrice.value : undefined;
    const price = typeof selling === "number" ? selling : isObject(item.price) ? item.price.value : item.price;
    return {
      id: str(item.id) ?? str(item.itemId) ?? "",
      name: str(item.name) ?? (isObject(item.descriptor) ? (str(item.descriptor.name) ?? "") : "") ?? "",
      quantity: typeof quantity === "number" ? quantity : 0,
      price: typeof price === "number" ? price : null,
    };
  });
  const fulfilmentsRaw = Array.isArray(raw.fulfillments) ? raw.fulfillments.filter(isObject) : [];
  const quote = isObject(raw.quote) && isObject(raw.quote.price) ? raw.quote.price.value : undefined;
  const total = typeof quote === "number" ? quote : (raw.totalPaise ?? summary.totalPaise);
  const serviceProvider = isObject(raw.serviceProvider) ? str(raw.serviceProvider.id) : null;
  const clientInfo = isObject(raw.clientOrderInfo) ? str(raw.clientOrderInfo.sellerInvoiceId) : null;
  const count = (v: unknown) => (typeof v === "number" ? v : undefined);
  return {
    id: str(raw.id) ?? str(raw.orderId) ?? str(outer.orderId) ?? "",
    storeId: serviceProvider ?? str(raw.storeId) ?? str(outer.storeId) ?? str(summary.storeId),
    state: (str(raw.orderState) ?? str(summary.orderState) ?? "CREATED").toUpperCase(),
    createdAt: epochMs(raw.createdAt) ?? epochMs(summary.createdAt),
    updatedAt: epochMs(raw.updatedAt) ?? epochMs(summary.updatedAt) ?? epochMs(outer.updatedAt),
    items,
    itemCount: items.length || (count(raw.itemCount) ?? count(summary.itemCount) ?? 0),
    unitCount: items.reduce((sum, i) => sum + i.quantity, 0) || (count(raw.unitCount) ?? count(summary.unitCount) ?? 0),
    totalPaise: typeof total === "number" ? total : null,
    fulfilments: fulfilmentsRaw.map(readFulfilment),
    sellerInvoiceId: clientInfo,
    version: count(outer.version) ?? count(raw.version) ?? 0,
  };
}

export const isTerminal = (order: Pick<OrderModel, "state">) =>
  (TERMINAL_STATES as readonly string[]).includes(order.state);
/** PINCODE-API §4.1: the initial state is undocumented; any state we do not know counts as "new, not accepted". */
export const isNew = (order: Pick<OrderModel, "state">) => !isTerminal(order) && !WORKING_STATES.includes(order.state);

const legOf = (order: OrderModel, type: string) => order.fulfilments.find((f) => f.type === type);

/** The actions the current state allows, in the order the buttons show them. */
export function allowedActions(order: OrderModel): ActionType[] {
  if (isTerminal(order)) return [];
  // Units only go down (sandbox reading of ITEM_UNIT_UPDATE): nothing to cut once every line is at 0.
  const tail: ActionType[] = order.items.some((i) => i.quantity > 0)
    ? ["cancel", "itemUnits", "invoice"]
    : ["cancel", "invoice"];
  if (isNew(order)) return ["accept", ...tail];
  const actions: ActionType[] = [];
  if (order.state === "ACCEPTED") actions.push("start");
  const store = legOf(order, "STORE");
  if (store) {
    if (store.state === null) actions.push("packing", "packed");
    else if (store.state === "PACKING") actions.push("packed");
  }
  const delivery = legOf(order, "DELIVERY");
  if (delivery) {
    // The seller may take the delivery out once logistics started the leg, and deliver it once it is out.
    if (delivery.state === "SEARCHING_FOR_AGENT" || delivery.state === "AGENT_ASSIGNED") actions.push("outForDelivery");
    else if (delivery.state === "OUT_FOR_DELIVERY") actions.push("delivered");
  }
  actions.push("complete", ...tail);
  return actions;
}

export interface NextStep {
  action: ActionType;
  label: string;
  /** Pincode's promised time for this step (epoch ms), when the history has one. */
  promised: number | null;
}

const promisedFor = (leg: FulfilmentModel | undefined, state: string) =>
  leg?.history.find((h) => h.state === state)?.promised ?? null;
/** The earliest promised time of a state not reached yet, across the given legs. */
function firstPending(legs: Array<FulfilmentModel | undefined>): number | null {
  const times = legs
    .flatMap((leg) => leg?.history ?? [])
    .filter((h) => h.actual === undefined && h.promised !== undefined)
    .map((h) => h.promised as number);
  return times.length > 0 ? Math.min(...times) : null;
}

export const ACTION_LABELS: Record<ActionType, string> = {
  accept: "Accept",
  start: "Start work",
  packing: "Start packing",
  packed: "Mark packed",
  outForDelivery: "Ship (out for delivery)",
  delivered: "Mark delivered",
  complete: "Complete",
  cancel: "Cancel order",
  itemUnits: "Cut units",
  invoice: "Set invoice id",
};

/** The one step staff should take next, with the time Pincode promised for it; null when nothing is due from us. */
export function nextStep(order: OrderModel): NextStep | null {
  if (isTerminal(order)) return null;
  const store = legOf(order, "STORE");
  const delivery = legOf(order, "DELIVERY");
  const step = (action: ActionType, promised: number | null): NextStep => ({
    action,
    label: ACTION_LABELS[action],
    promised,
  });
  // Accepting starts the packing clock: the first promise we can miss is the store leg's.
  if (isNew(order)) return step("accept", firstPending([store, delivery]));
  if (store && store.state !== "PACKED") {
    return step("packed", promisedFor(store, "PACKED") ?? firstPending([store]));
  }
  if (delivery) {
    if (delivery.state === null) return null; // waiting for logistics to start the leg
    if (delivery.state === "SEARCHING_FOR_AGENT" || delivery.state === "AGENT_ASSIGNED") {
      return step("outForDelivery", promisedFor(delivery, "OUT_FOR_DELIVERY") ?? firstPending([delivery]));
    }
    if (delivery.state === "OUT_FOR_DELIVERY") return step("delivered", promisedFor(delivery, "DELIVERED"));
  }
  return step("complete", null);
}

/**
 * The `actions` of the request one button sends (the seller API's action shape, issue 9). The sandbox's reading of
 * §4.1 lets COMPLETED follow IN_PROGRESS only, so "Complete" on an ACCEPTED order sends start + complete in one
 * request, which Pincode applies atomically.
 */
export function actionRequest(
  order: Pick<OrderModel, "state">,
  action: ActionType,
  extra: { reason?: string; itemId?: string; units?: number; sellerInvoiceId?: string } = {},
): Array<Record<string, unknown>> {
  switch (action) {
    case "cancel":
      return [{ type: "cancel", reason: extra.reason }];
    case "itemUnits":
      return [{ type: "itemUnits", itemId: extra.itemId, units: extra.units, reason: extra.reason }];
    case "invoice":
      return [{ type: "invoice", sellerInvoiceId: extra.sellerInvoiceId }];
    case "complete":
      return order.state === "ACCEPTED" ? [{ type: "start" }, { type: "complete" }] : [{ type: "complete" }];
    default:
      return [{ type: action }];
  }
}
