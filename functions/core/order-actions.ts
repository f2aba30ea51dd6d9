/**
 * The seller's order actions (issue 9): validation of the seller API's `{commandId?, actions: [...]}` body, the
 * transition check against the order's current (projected) state, the mapping to Pincode Order Update actions
 * (PINCODE-API §2.2) and the check, after an ambiguous failure, of whether an update already took effect.
 *
 * Pure: no I/O. Messages name the field path and the expected form, never the value (values can be buyer data).
 */
import {
  CANCEL_REASONS,
  FULFILLMENT_STATES,
  ITEM_UNIT_REASONS,
  type Order,
  type OrderUpdateAction,
  type SELLER_FULFILLMENT_STATES,
  TERMINAL_ORDER_STATES,
} from "#pincode/schemas.ts";

export const SELLER_ACTION_TYPES = [
  "accept",
  "start",
  "packing",
  "packed",
  "outForDelivery",
  "delivered",
  "complete",
  "cancel",
  "itemUnits",
  "invoice",
] as const;
export type SellerActionType = (typeof SELLER_ACTION_TYPES)[number];

export const FULFILMENT_ACTION_TYPES = ["packing", "packed", "outForDelivery", "delivered"] as const;
export type FulfilmentActionType = (typeof FULFILMENT_ACTION_TYPES)[number];

export type SellerAction =
  | { type: "accept" }
  | { type: "start" }
  | { type: "complete" }
  | { type: FulfilmentActionType; fulfilmentId?: string }
  | { type: "cancel"; reason: string }
  | { type: "itemUnits"; itemId: string; units: number; reason: string }
  | { type: "invoice"; sellerInvoiceId: string };

export interface OrderActionsRequest {
  commandId?: string;
  actions: SellerAction[];
}

/** At most this many actions per command: one Order Update call carries them all. */
export const MAX_ACTIONS_PER_COMMAND = 20;
/** Idempotency keys / command ids: they become a DynamoDB key and the SQS deduplication id (max 128). */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;
export const COMMAND_ID_FORM = "1 to 100 characters from A-Z a-z 0-9 _ . : -";
const ID_MAX = 100;

/** The Pincode state an action targets, and on which fulfilment leg type it defaults. */
const FULFILMENT_TARGET: Record<FulfilmentActionType, { state: string; defaultLeg: "STORE" | "DELIVERY" }> = {
  packing: { state: "PACKING", defaultLeg: "STORE" },
  packed: { state: "PACKED", defaultLeg: "STORE" },
  outForDelivery: { state: "OUT_FOR_DELIVERY", defaultLeg: "DELIVERY" },
  delivered: { state: "DELIVERED", defaultLeg: "DELIVERY" },
};

const ALLOWED_FIELDS: Record<SellerActionType, readonly string[]> = {
  accept: ["type"],
  start: ["type"],
  complete: ["type"],
  packing: ["type", "fulfilmentId"],
  packed: ["type", "fulfilmentId"],
  outForDelivery: ["type", "fulfilmentId"],
  delivered: ["type", "fulfilmentId"],
  cancel: ["type", "reason"],
  itemUnits: ["type", "itemId", "units", "reason"],
  invoice: ["type", "sellerInvoiceId"],
};

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isId = (value: unknown): value is string =>
  typeof value === "string" && value.trim().length > 0 && value.length <= ID_MAX;

/** Validates an optional command id / idempotency key; `undefined` when absent. */
export function checkCommandId(value: unknown, path: string): Validation<string | undefined> {
  if (value === undefined) return { ok: true, value: undefined };
  if (typeof value !== "string" || !COMMAND_ID_PATTERN.test(value)) {
    return { ok: false, message: `${path}: expected ${COMMAND_ID_FORM}` };
  }
  return { ok: true, value };
}

function parseAction(raw: unknown, path: string, problems: string[]): SellerAction | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: expected an object with a type`);
    return undefined;
  }
  const type = raw.type;
  if (typeof type !== "string" || !(SELLER_ACTION_TYPES as readonly string[]).includes(type)) {
    problems.push(`${path}.type: expected one of ${SELLER_ACTION_TYPES.join(", ")}`);
    return undefined;
  }
  const actionType = type as SellerActionType;
  const allowed = ALLOWED_FIELDS[actionType];
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      problems.push(`${path}.${key}: not a field of a ${actionType} action; expected only ${allowed.join(", ")}`);
    }
  }
  switch (actionType) {
    case "accept":
    case "start":
    case "complete":
      return problems.length === before ? { type: actionType } : undefined;
    case "packing":
    case "packed":
    case "outForDelivery":
    case "delivered": {
      if (raw.fulfilmentId !== undefined && !isId(raw.fulfilmentId)) {
        problems.push(`${path}.fulfilmentId: expected a fulfilment id (a non-empty string of at most ${ID_MAX})`);
      }
      if (problems.length !== before) return undefined;
      return raw.fulfilmentId === undefined
        ? { type: actionType }
        : { type: actionType, fulfilmentId: raw.fulfilmentId as string };
    }
    case "cancel": {
      if (typeof raw.reason !== "string" || !(CANCEL_REASONS as readonly string[]).includes(raw.reason)) {
        problems.push(`${path}.reason: expected one of ${CANCEL_REASONS.join(", ")}`);
      }
      return problems.length === before ? { type: "cancel", reason: raw.reason as string } : undefined;
    }
    case "itemUnits": {
      if (!isId(raw.itemId)) {
        problems.push(`${path}.itemId: expected an order item id (a non-empty string of at most ${ID_MAX})`);
      }
      if (typeof raw.units !== "number" || !Number.isInteger(raw.units) || raw.units < 0 || raw.units > 100_000) {
        problems.push(`${path}.units: expected the new unit count, a whole number from 0 to 100000`);
      }
      if (typeof raw.reason !== "string" || !(ITEM_UNIT_REASONS as readonly string[]).includes(raw.reason)) {
        problems.push(`${path}.reason: expected one of ${ITEM_UNIT_REASONS.join(", ")}`);
      }
      return problems.length === before
        ? { type: "itemUnits", itemId: raw.itemId as string, units: raw.units as number, reason: raw.reason as string }
        : undefined;
    }
    case "invoice": {
      if (!isId(raw.sellerInvoiceId)) {
        problems.push(`${path}.sellerInvoiceId: expected a non-empty string of at most ${ID_MAX} characters`);
      }
      return problems.length === before
        ? { type: "invoice", sellerInvoiceId: raw.sellerInvoiceId as string }
        : undefined;
    }
  }
}

/** Validates the body of `POST /v1/orders/{orderId}/actions`. */
export function parseOrderActionsRequest(body: unknown): Validation<OrderActionsRequest> {
  if (!isRecord(body)) return { ok: false, message: "(root): expected a JSON object with actions" };
  const problems: string[] = [];
  for (const key of Object.keys(body)) {
    if (key !== "commandId" && key !== "actions") problems.push(`${key}: unknown field; expected commandId, actions`);
  }
  const commandId = checkCommandId(body.commandId, "commandId");
  if (!commandId.ok) problems.push(commandId.message);
  const actions: SellerAction[] = [];
  if (!Array.isArray(body.actions) || body.actions.length === 0 || body.actions.length > MAX_ACTIONS_PER_COMMAND) {
    problems.push(`actions: expected an array of 1 to ${MAX_ACTIONS_PER_COMMAND} actions`);
  } else {
    body.actions.forEach((raw, index) => {
      const action = parseAction(raw, `actions[${index}]`, problems);
      if (action) actions.push(action);
    });
  }
  if (problems.length > 0) return { ok: false, message: problems.slice(0, 5).join("; ") };
  return {
    ok: true,
    value: { ...(commandId.ok && commandId.value ? { commandId: commandId.value } : {}), actions },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Transition check and mapping
// ---------------------------------------------------------------------------------------------------------------

/** What the transition check needs to know about an order (from the stored view, plus commands still in flight). */
export interface OrderStateView {
  orderState: string | null;
  fulfillments: { fulfillmentId: string; type: string | null; fulfillmentState: string | null }[];
  items: { itemId: string; units: number | null }[];
}

/** The documented seller-settable and terminal states; anything else (CREATED, unknown) is a new order (§4.1). */
const KNOWN_ORDER_STATES = ["ACCEPTED", "IN_PROGRESS", "COMPLETED", "CANCELLED"];
export const isNewOrderState = (state: string | null): boolean => !state || !KNOWN_ORDER_STATES.includes(state);

export function orderStateViewOf(order: Order): OrderStateView {
  return {
    orderState: order.orderState ?? null,
    fulfillments: (order.fulfillments ?? []).map((f) => ({
      fulfillmentId: f.fulfillmentId,
      type: f.type ?? null,
      fulfillmentState: f.fulfillmentState ?? null,
    })),
    items: (order.items ?? []).map((item) => ({ itemId: item.itemId, units: item.quantity?.count ?? null })),
  };
}

export type PlanResult =
  | { ok: true; pincodeActions: OrderUpdateAction[]; next: OrderStateView }
  | { ok: false; status: 409; message: string };

const fulfilmentRank = (state: string | null | undefined): number =>
  state ? (FULFILLMENT_STATES as readonly string[]).indexOf(state) : -1;

const ORDER_RANK: Record<string, number> = { ACCEPTED: 1, IN_PROGRESS: 2, COMPLETED: 3 };

const describeState = (state: string | null) => (isNewOrderState(state) ? "new" : (state as string));

/**
 * Checks `actions` in order against `current` and maps them to Pincode Order Update actions. The model is the
 * working one of PINCODE-API §4.1/§4.2 (transitions are undocumented; Pincode has the last word with
 * ACTION_NOT_ALLOWED): new → ACCEPTED → IN_PROGRESS → COMPLETED, CANCELLED from any non-terminal state, fulfilment
 * states only forward and only once the order is ACCEPTED or IN_PROGRESS.
 */
export function planOrderActions(actions: readonly SellerAction[], current: OrderStateView): PlanResult {
  const state: OrderStateView = structuredClone(current);
  const pincodeActions: OrderUpdateAction[] = [];
  const refuse = (index: number, why: string): PlanResult => ({
    ok: false,
    status: 409,
    message: `actions[${index}]: ${why}`,
  });
  const terminal = () => state.orderState !== null && TERMINAL_ORDER_STATES.includes(state.orderState);

  for (const [index, action] of actions.entries()) {
    const now = describeState(state.orderState);
    switch (action.type) {
      case "accept":
        if (!isNewOrderState(state.orderState)) return refuse(index, `accept needs a new order; the order is ${now}`);
        pincodeActions.push({ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" });
        state.orderState = "ACCEPTED";
        break;
      case "start":
        if (state.orderState !== "ACCEPTED") return refuse(index, `start needs an ACCEPTED order; the order is ${now}`);
        pincodeActions.push({ type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" });
        state.orderState = "IN_PROGRESS";
        break;
      case "complete":
        if (state.orderState !== "IN_PROGRESS") {
          return refuse(index, `complete needs an IN_PROGRESS order; the order is ${now}`);
        }
        pincodeActions.push({ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" });
        state.orderState = "COMPLETED";
        break;
      case "cancel":
        if (terminal()) return refuse(index, `cancel needs an open order; the order is ${now}`);
        pincodeActions.push({
          type: "ORDER_STATE_UPDATE",
          orderState: "CANCELLED",
          reason: action.reason as (typeof CANCEL_REASONS)[number],
        });
        state.orderState = "CANCELLED";
        break;
      case "packing":
      case "packed":
      case "outForDelivery":
      case "delivered": {
        const target = FULFILMENT_TARGET[action.type];
        if (state.orderState !== "ACCEPTED" && state.orderState !== "IN_PROGRESS") {
          return refuse(index, `${action.type} needs an ACCEPTED or IN_PROGRESS order; the order is ${now}`);
        }
        const leg = action.fulfilmentId
          ? state.fulfillments.find((f) => f.fulfillmentId === action.fulfilmentId)
          : state.fulfillments.find((f) => f.type === target.defaultLeg);
        if (!leg) {
          return refuse(
            index,
            action.fulfilmentId
              ? "fulfilmentId: not a fulfilment of this order"
              : `the order has no ${target.defaultLeg} fulfilment; give fulfilmentId`,
          );
        }
        const legKind = target.defaultLeg === "STORE" ? ["PACKING", "PACKED"] : ["OUT_FOR_DELIVERY", "DELIVERED"];
        if (leg.type && (leg.type === "STORE" || leg.type === "DELIVERY") && leg.type !== target.defaultLeg) {
          return refuse(index, `${action.type} applies to a ${target.defaultLeg} fulfilment, not a ${leg.type} one`);
        }
        if (fulfilmentRank(leg.fulfillmentState) >= fulfilmentRank(target.state)) {
          return refuse(
            index,
            `${action.type} needs the fulfilment before ${target.state}; it is ${leg.fulfillmentState} (states only move forward: ${legKind.join(" → ")})`,
          );
        }
        // PINCODE-API A4: the action type says FULFILMENT, the id key `fulfilmentId`, the state key `fulfillmentState`.
        pincodeActions.push({
          type: "ORDER_FULFILMENT_STATE_UPDATE",
          fulfilmentId: leg.fulfillmentId,
          fulfillmentState: target.state as (typeof SELLER_FULFILLMENT_STATES)[number],
        });
        leg.fulfillmentState = target.state;
        break;
      }
      case "itemUnits": {
        if (terminal()) return refuse(index, `itemUnits needs an open order; the order is ${now}`);
        const item = state.items.find((i) => i.itemId === action.itemId);
        if (!item) return refuse(index, "itemId: not an item of this order");
        pincodeActions.push({
          type: "ITEM_UNIT_UPDATE",
          itemId: action.itemId,
          itemUnits: action.units,
          reason: action.reason as (typeof ITEM_UNIT_REASONS)[number],
        });
        item.units = action.units;
        break;
      }
      case "invoice":
        if (state.orderState === "CANCELLED") return refuse(index, "invoice needs an order that is not CANCELLED");
        pincodeActions.push({
          type: "CLIENT_ORDER_INFO_UPDATE",
          clientOrderInfo: { sellerInvoiceId: action.sellerInvoiceId },
        });
        break;
    }
  }
  return { ok: true, pincodeActions, next: state };
}

/**
 * Applies already-mapped Pincode actions to a projected state without judging them (commands still in flight:
 * Pincode has the last word on them). Unknown fulfilment/item ids are ignored.
 */
export function projectPincodeActions(current: OrderStateView, actions: readonly OrderUpdateAction[]): OrderStateView {
  const state: OrderStateView = structuredClone(current);
  for (const action of actions) {
    if (action.type === "ORDER_STATE_UPDATE") {
      // Only forward: an in-flight command the stored view already reflects (or overtook) changes nothing.
      const terminal = state.orderState !== null && TERMINAL_ORDER_STATES.includes(state.orderState);
      const rank = (s: string | null) => (s && ORDER_RANK[s]) || 0;
      if (!terminal && (action.orderState === "CANCELLED" || rank(action.orderState) > rank(state.orderState))) {
        state.orderState = action.orderState;
      }
    } else if (action.type === "ORDER_FULFILMENT_STATE_UPDATE") {
      const leg = state.fulfillments.find((f) => f.fulfillmentId === action.fulfilmentId);
      if (leg && fulfilmentRank(action.fulfillmentState) > fulfilmentRank(leg.fulfillmentState)) {
        leg.fulfillmentState = action.fulfillmentState;
      }
    } else if (action.type === "ITEM_UNIT_UPDATE") {
      const item = state.items.find((i) => i.itemId === action.itemId);
      if (item) item.units = action.itemUnits;
    }
  }
  return state;
}

/**
 * Whether `action` is visible in `order` (a Status Check result): used after an ambiguous failure (timeout, 5xx,
 * lost response) to decide whether the update already took effect before anything is sent again.
 * A state at or past the target counts (someone may have moved the order on since).
 */
export function actionInEffect(action: OrderUpdateAction, order: Order): boolean {
  switch (action.type) {
    case "ORDER_STATE_UPDATE": {
      const state = order.orderState ?? null;
      if (action.orderState === "CANCELLED") return state === "CANCELLED";
      const have = state ? ORDER_RANK[state] : undefined;
      const want = ORDER_RANK[action.orderState] ?? Number.POSITIVE_INFINITY;
      return have !== undefined && have >= want;
    }
    case "ORDER_FULFILMENT_STATE_UPDATE": {
      const leg = order.fulfillments?.find((f) => f.fulfillmentId === action.fulfilmentId);
      if (!leg) return false;
      // A4: the history map is spelt fulfilmentStatusHistory; an actual time for the target is proof too.
      const history = (leg.fulfilmentStatusHistory ?? {}) as Record<string, { actual?: unknown } | undefined>;
      return (
        fulfilmentRank(leg.fulfillmentState) >= fulfilmentRank(action.fulfillmentState) ||
        history[action.fulfillmentState]?.actual !== undefined
      );
    }
    case "ITEM_UNIT_UPDATE": {
      const item = order.items?.find((i) => i.itemId === action.itemId);
      return item?.quantity?.count === action.itemUnits;
    }
    case "CLIENT_ORDER_INFO_UPDATE": {
      // Not part of the documented order view: when Pincode does not echo it, we cannot tell (resent: same value).
      const info = (order as Record<string, unknown>).clientOrderInfo as { sellerInvoiceId?: unknown } | undefined;
      return info?.sellerInvoiceId === action.clientOrderInfo.sellerInvoiceId;
    }
  }
}
