/**
 * Pincode's order and fulfilment rules as the sandbox enforces them. The docs give the states but not the
 * transitions (PINCODE-API §4.1, §4.2); this is the working model, documented in docs/sandbox.md.
 *
 *   order:  CREATED -> ACCEPTED -> IN_PROGRESS -> COMPLETED, and CANCELLED (with a reason) from any non-terminal
 *   STORE leg (seller):        (not started) -> PACKING -> PACKED   (PACKING may be skipped)
 *   DELIVERY leg (logistics):  starts at SEARCHING_FOR_AGENT when STORE is PACKED,
 *                              -> AGENT_ASSIGNED -> OUT_FOR_DELIVERY -> DELIVERED
 *   the seller may also set OUT_FOR_DELIVERY / DELIVERED (merchant delivery)
 */
import type { SandboxOrderUpdateAction as OrderUpdateAction } from "./contract.ts";
import { SLA } from "./order-generator.ts";
import type { SandboxFulfillment, SandboxOrder } from "./order-model.ts";

export type ActionErrorCode = "ACTION_NOT_ALLOWED" | "INVALID_ITEM_UNITS";

export type ActionOutcome =
  | { ok: true; order: SandboxOrder }
  | { ok: false; errorCode: ActionErrorCode; message: string; actionIndex: number };

const ORDER_TRANSITIONS: Record<string, readonly string[]> = {
  CREATED: ["ACCEPTED", "CANCELLED"],
  ACCEPTED: ["IN_PROGRESS", "CANCELLED"],
  IN_PROGRESS: ["COMPLETED", "CANCELLED"],
  COMPLETED: [],
  CANCELLED: [],
};

export const TERMINAL_STATES: readonly string[] = ["COMPLETED", "CANCELLED"];

/** The logistics sequence of the DELIVERY leg (PINCODE-API §4.2). */
export const DELIVERY_SEQUENCE = ["SEARCHING_FOR_AGENT", "AGENT_ASSIGNED", "OUT_FOR_DELIVERY", "DELIVERED"] as const;

/** Expected / promised offsets for the state that comes next, from the moment the previous one was reached. */
const NEXT_STATE_SLA: Record<string, { expected: number; promised: number }> = {
  PACKED: { expected: SLA.packedExpected - SLA.packingExpected, promised: SLA.packedPromised - SLA.packingExpected },
  AGENT_ASSIGNED: { expected: 3 * 60_000, promised: 5 * 60_000 },
  OUT_FOR_DELIVERY: { expected: 8 * 60_000, promised: 10 * 60_000 },
};

class ActionRejected extends Error {
  constructor(
    readonly errorCode: ActionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Applies `actions` in order to a copy of `order`. All or nothing: the first rejected action rejects the request
 * and the stored order is untouched. `at` is the change time recorded in the fulfilment history.
 */
export function applyActions(order: SandboxOrder, actions: readonly OrderUpdateAction[], at: number): ActionOutcome {
  const draft = structuredClone(order);
  for (const [index, action] of actions.entries()) {
    try {
      applyAction(draft, action, at);
    } catch (error) {
      if (!(error instanceof ActionRejected)) throw error;
      return {
        ok: false,
        errorCode: error.errorCode,
        message: `actions[${index}]: ${error.message}`,
        actionIndex: index,
      };
    }
  }
  return { ok: true, order: draft };
}

function applyAction(order: SandboxOrder, action: OrderUpdateAction, at: number): void {
  if (TERMINAL_STATES.includes(order.orderState)) {
    throw new ActionRejected(
      "ACTION_NOT_ALLOWED",
      `order ${order.id} is ${order.orderState}, a terminal state; no further updates are allowed`,
    );
  }
  switch (action.type) {
    case "ORDER_STATE_UPDATE":
      setOrderState(order, action.orderState, action.reason, at);
      break;
    case "ORDER_FULFILMENT_STATE_UPDATE":
      setFulfilmentBySeller(order, action.fulfilmentId, action.fulfillmentState, at);
      break;
    case "ITEM_UNIT_UPDATE":
      setItemUnits(order, action.itemId, action.itemUnits);
      break;
    case "CLIENT_ORDER_INFO_UPDATE":
      order.clientOrderInfo = { sellerInvoiceId: action.clientOrderInfo.sellerInvoiceId };
      break;
  }
}

function setOrderState(order: SandboxOrder, target: string, reason: string | undefined, at: number): void {
  const allowed = ORDER_TRANSITIONS[order.orderState] ?? [];
  if (!allowed.includes(target)) {
    throw new ActionRejected(
      "ACTION_NOT_ALLOWED",
      `order ${order.id} cannot move from ${order.orderState} to ${target}; allowed: ${allowed.join(", ") || "none"}`,
    );
  }
  order.orderState = target;
  if (target === "CANCELLED") {
    // PINCODE-API §3.2: the view's `actions[]` carries CANCEL_ORDER from channel TSP; the reason is a sandbox extra.
    order.actions.push({ type: "CANCEL_ORDER", channel: "TSP", createdAt: at, ...(reason ? { reason } : {}) });
  }
}

function findLeg(order: SandboxOrder, fulfilmentId: string): SandboxFulfillment {
  const leg = order.fulfillments.find((f) => f.fulfillmentId === fulfilmentId);
  if (!leg) {
    throw new ActionRejected("ACTION_NOT_ALLOWED", `fulfilment ${fulfilmentId} is not part of order ${order.id}`);
  }
  return leg;
}

function setFulfilmentBySeller(order: SandboxOrder, fulfilmentId: string, target: string, at: number): void {
  const leg = findLeg(order, fulfilmentId);
  if (order.orderState !== "ACCEPTED" && order.orderState !== "IN_PROGRESS") {
    throw new ActionRejected(
      "ACTION_NOT_ALLOWED",
      `order ${order.id} is ${order.orderState}; fulfilments can change only once it is ACCEPTED or IN_PROGRESS`,
    );
  }
  const current = leg.fulfillmentState ?? "(not started)";
  const allowedFrom: Record<string, readonly (string | undefined)[]> =
    leg.type === "STORE"
      ? { PACKING: [undefined], PACKED: [undefined, "PACKING"] }
      : { OUT_FOR_DELIVERY: ["SEARCHING_FOR_AGENT", "AGENT_ASSIGNED"], DELIVERED: ["OUT_FOR_DELIVERY"] };
  const from = allowedFrom[target];
  if (!from) {
    throw new ActionRejected(
      "ACTION_NOT_ALLOWED",
      `${target} is not a state of the ${leg.type} fulfilment ${fulfilmentId}; allowed targets: ${Object.keys(allowedFrom).join(", ")}`,
    );
  }
  if (!from.includes(leg.fulfillmentState)) {
    throw new ActionRejected(
      "ACTION_NOT_ALLOWED",
      `fulfilment ${fulfilmentId} cannot move from ${current} to ${target}`,
    );
  }
  enterState(leg, target, at);
  if (leg.type === "STORE" && target === "PACKED") startDeliveryLeg(order, at);
}

function startDeliveryLeg(order: SandboxOrder, at: number): void {
  const delivery = order.fulfillments.find((f) => f.type === "DELIVERY");
  // PINCODE-API §4.2: the DELIVERY leg starts when PACKED completes, at the same timestamp.
  if (delivery && delivery.fulfillmentState === undefined) enterState(delivery, "SEARCHING_FOR_AGENT", at);
}

function setItemUnits(order: SandboxOrder, itemId: string, units: number): void {
  const item = order.items.find((i) => i.itemId === itemId);
  if (!item) throw new ActionRejected("ACTION_NOT_ALLOWED", `item ${itemId} is not part of order ${order.id}`);
  const current = item.quantity.count;
  // Units can only go down (a seller-side cancellation of units), to any count from 0 up to current - 1.
  if (!Number.isInteger(units) || units < 0 || units >= current) {
    throw new ActionRejected(
      "INVALID_ITEM_UNITS",
      `item ${itemId} has ${current} unit(s); itemUnits must be an integer from 0 to ${Math.max(0, current - 1)}, got ${units}`,
    );
  }
  item.quantity.count = units;
}

/** Records that `leg` reached `state` at `at`, and sets the expected/promised time of the state after it. */
function enterState(leg: SandboxFulfillment, state: string, at: number): void {
  leg.fulfillmentState = state;
  const history = leg.fulfilmentStatusHistory;
  history[state] = { ...history[state], actual: { endTime: at } };
  const sequence = leg.type === "STORE" ? ["PACKING", "PACKED"] : [...DELIVERY_SEQUENCE];
  const next = sequence[sequence.indexOf(state) + 1];
  const sla = next ? NEXT_STATE_SLA[next] : undefined;
  if (next && sla && !history[next]?.actual) {
    history[next] = { expected: { endTime: at + sla.expected }, promised: { endTime: at + sla.promised } };
  }
}

export type AdvanceOutcome =
  | { ok: true; order: SandboxOrder; from: string; to: string }
  | { ok: false; message: string };

/**
 * The logistics actor: moves the DELIVERY leg one step along SEARCHING_FOR_AGENT -> AGENT_ASSIGNED ->
 * OUT_FOR_DELIVERY -> DELIVERED, the way Pincode's side does (PINCODE-API §3.3, A11).
 */
export function advanceLogistics(order: SandboxOrder, at: number): AdvanceOutcome {
  if (order.orderState === "CANCELLED") return { ok: false, message: `order ${order.id} is CANCELLED` };
  const draft = structuredClone(order);
  const leg = draft.fulfillments.find((f) => f.type === "DELIVERY");
  if (!leg) return { ok: false, message: `order ${order.id} has no DELIVERY fulfilment` };
  if (leg.fulfillmentState === undefined) {
    return {
      ok: false,
      message: `order ${order.id}: delivery starts when the STORE fulfilment is PACKED (the seller's step)`,
    };
  }
  const index = DELIVERY_SEQUENCE.indexOf(leg.fulfillmentState as (typeof DELIVERY_SEQUENCE)[number]);
  const next = DELIVERY_SEQUENCE[index + 1];
  if (index < 0 || !next) {
    return { ok: false, message: `order ${order.id}: the DELIVERY fulfilment is already ${leg.fulfillmentState}` };
  }
  const from = leg.fulfillmentState;
  enterState(leg, next, at);
  return { ok: true, order: draft, from, to: next };
}

/** What the seller would do next on an open order, used by the demo generator to keep orders moving. */
export function nextSellerActions(order: SandboxOrder): OrderUpdateAction[] | undefined {
  const store = order.fulfillments.find((f) => f.type === "STORE");
  const delivery = order.fulfillments.find((f) => f.type === "DELIVERY");
  switch (order.orderState) {
    case "CREATED":
      return [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }];
    case "ACCEPTED":
      if (store && store.fulfillmentState === undefined) {
        return [
          { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: store.fulfillmentId, fulfillmentState: "PACKING" },
        ];
      }
      if (store && store.fulfillmentState === "PACKING") {
        return [
          { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: store.fulfillmentId, fulfillmentState: "PACKED" },
          { type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" },
        ];
      }
      return [{ type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" }];
    case "IN_PROGRESS":
      return delivery?.fulfillmentState === "DELIVERED"
        ? [{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }]
        : undefined;
    default:
      return undefined;
  }
}
