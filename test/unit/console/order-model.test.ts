/**
 * The console's action model against the sandbox's state machine (the project's reading of Pincode's rules): every
 * button the console shows is one the sandbox accepts, and every seller move it hides is one the sandbox refuses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderUpdateAction } from "#pincode/schemas.ts";
import { OrderGenerator } from "#sandbox/order-generator.ts";
import { DEFAULT_QUIRKS, renderOrder, type SandboxOrder } from "#sandbox/order-model.ts";
import { advanceLogistics, applyActions } from "#sandbox/state-machine.ts";
import {
  type ActionType,
  actionRequest,
  allowedActions,
  isNew,
  nextStep,
  type OrderModel,
  readOrder,
} from "../../../console/web/src/order-model.ts";

const T0 = 1_722_572_000_000;
const newOrder = (seed = 5): SandboxOrder =>
  new OrderGenerator(seed).generate("S01", T0, [
    { serviceProviderItemId: "GRO-ATTA-5KG", quantity: 3 },
    { serviceProviderItemId: "PHA-AMOX-500-10", quantity: 2 },
  ]);
const view = (order: SandboxOrder) => readOrder(renderOrder(order, "view", DEFAULT_QUIRKS));

/** Issue 9's action model in Pincode's words (defaults: STORE leg for packing/packed, DELIVERY for the others). */
function toPincode(order: SandboxOrder, body: Record<string, unknown>): OrderUpdateAction {
  const leg = (type: string) => order.fulfillments.find((f) => f.type === type)!.fulfillmentId;
  const fulfilment = (type: string, state: "PACKING" | "PACKED" | "OUT_FOR_DELIVERY" | "DELIVERED") =>
    ({ type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: leg(type), fulfillmentState: state }) as const;
  switch (body.type) {
    case "accept":
      return { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" };
    case "start":
      return { type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" };
    case "complete":
      return { type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" };
    case "cancel":
      return { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: body.reason as "BUYER_NO_CONTACT" };
    case "packing":
      return fulfilment("STORE", "PACKING");
    case "packed":
      return fulfilment("STORE", "PACKED");
    case "outForDelivery":
      return fulfilment("DELIVERY", "OUT_FOR_DELIVERY");
    case "delivered":
      return fulfilment("DELIVERY", "DELIVERED");
    case "itemUnits":
      return {
        type: "ITEM_UNIT_UPDATE",
        itemId: body.itemId as string,
        itemUnits: body.units as number,
        reason: body.reason as "ITEM_UNAVAILABLE",
      };
    case "invoice":
      return { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: body.sellerInvoiceId as string } };
    default:
      throw new Error(`unknown action ${String(body.type)}`);
  }
}

function request(order: SandboxOrder, model: OrderModel, action: ActionType) {
  // The detail offers a cut on lines that still have units.
  const item = model.items.find((i) => i.quantity > 0) ?? model.items[0]!;
  const bodies = actionRequest(model, action, {
    reason: action === "cancel" ? "ITEM_UNAVAILABLE" : "ITEM_UNAVAILABLE",
    itemId: item.id,
    units: Math.max(0, item.quantity - 1),
    sellerInvoiceId: "INV-1001",
  });
  return applyActions(
    order,
    bodies.map((b) => toPincode(order, b)),
    T0 + 60_000,
  );
}

const STATE_MOVES: ActionType[] = ["accept", "start", "packing", "packed", "outForDelivery", "delivered", "complete"];

describe("console order model", () => {
  it("reads a sandbox order view: items, total, legs and the promised time of the first step", () => {
    // Prepare
    const order = newOrder();

    // Act
    const model = view(order);

    // Assess
    expect(model.id).toBe(order.id);
    expect(model.storeId).toBe("S01");
    expect(isNew(model)).toBe(true);
    expect(model.items.map((i) => i.quantity)).toEqual([3, 2]);
    expect(model.items.every((i) => i.id.startsWith("OI"))).toBe(true);
    expect(model.totalPaise).toBe(
      (renderOrder(order, "view", DEFAULT_QUIRKS).quote as { price: { value: number } }).price.value,
    );
    expect(model.fulfilments.map((f) => [f.type, f.state])).toEqual([
      ["STORE", null],
      ["DELIVERY", null],
    ]);
    const step = nextStep(model);
    expect(step?.action).toBe("accept");
    const store = order.fulfillments.find((f) => f.type === "STORE")!;
    expect(step?.promised).toBe(store.fulfilmentStatusHistory.PACKING?.promised?.endTime);
  });

  it("walks accept, pack, ship, deliver, complete with the next step always one the sandbox accepts", () => {
    // Prepare
    let order = newOrder();
    const seen: string[] = [];

    // Act
    for (let i = 0; i < 10; i++) {
      const model = view(order);
      const step = nextStep(model);
      if (!step) {
        if (model.state === "COMPLETED") break;
        const moved = advanceLogistics(order, T0 + i * 1000);
        if (!moved.ok) throw new Error(moved.message);
        order = moved.order;
        seen.push("logistics");
        continue;
      }
      const outcome = request(order, model, step.action);
      if (!outcome.ok) throw new Error(`${step.action}: ${outcome.message}`);
      order = outcome.order;
      seen.push(step.action);
    }

    // Assess
    // The delivery leg starts (SEARCHING_FOR_AGENT) the moment the store leg is PACKED: no wait for logistics.
    expect(seen).toEqual(["accept", "packed", "outForDelivery", "delivered", "complete"]);
    expect(order.orderState).toBe("COMPLETED");
    expect(allowedActions(view(order))).toEqual([]);
  });

  it("shows exactly the moves the sandbox allows, in every state a random walk reaches", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 50 }),
        (picks, seed) => {
          let order = newOrder(seed);
          for (const pick of picks) {
            const model = view(order);
            const allowed = allowedActions(model);
            for (const action of STATE_MOVES) {
              const outcome = request(order, model, action);
              // Assess: shown <=> accepted by the sandbox
              expect({ action, state: model.state, accepted: outcome.ok }).toEqual({
                action,
                state: model.state,
                accepted: allowed.includes(action),
              });
            }
            for (const action of ["cancel", "itemUnits", "invoice"] as const) {
              if (allowed.includes(action)) expect(request(order, model, action).ok).toBe(true);
            }
            // Move on: a shown action, or logistics
            const choices = [...allowed, "logistics" as const];
            const choice = choices[pick % choices.length]!;
            if (choice === "logistics") {
              const moved = advanceLogistics(order, T0 + pick);
              if (moved.ok) order = moved.order;
            } else {
              const outcome = request(order, model, choice);
              if (outcome.ok) order = outcome.order;
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads a summary-only list entry and treats an unknown initial state as new", () => {
    const model = readOrder({
      orderId: "OD1",
      orderState: "pending",
      storeId: "S02",
      totalPaise: 12_500,
      itemCount: 2,
      unitCount: 5,
      createdAt: "1722572000000",
    });
    expect(model).toMatchObject({
      id: "OD1",
      state: "PENDING",
      storeId: "S02",
      totalPaise: 12_500,
      itemCount: 2,
      unitCount: 5,
      createdAt: 1_722_572_000_000,
    });
    expect(isNew(model)).toBe(true);
    expect(nextStep(model)?.action).toBe("accept");
  });

  it("sends start and complete together for an ACCEPTED order, complete alone once IN_PROGRESS", () => {
    expect(actionRequest({ state: "ACCEPTED" }, "complete")).toEqual([{ type: "start" }, { type: "complete" }]);
    expect(actionRequest({ state: "IN_PROGRESS" }, "complete")).toEqual([{ type: "complete" }]);
    expect(actionRequest({ state: "CREATED" }, "cancel", { reason: "BUYER_NO_CONTACT" })).toEqual([
      { type: "cancel", reason: "BUYER_NO_CONTACT" },
    ]);
  });
});
