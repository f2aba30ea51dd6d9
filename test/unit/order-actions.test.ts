import { describe, expect, it } from "vitest";
import {
  actionInEffect,
  type OrderStateView,
  parseOrderActionsRequest,
  planOrderActions,
  projectPincodeActions,
} from "../../functions/core/order-actions.ts";
import { CANCEL_REASONS, type Order } from "../../functions/pincode/schemas.ts";

const newOrder = (): OrderStateView => ({
  orderState: "CREATED",
  fulfillments: [
    { fulfillmentId: "OF-S", type: "STORE", fulfillmentState: null },
    { fulfillmentId: "OF-D", type: "DELIVERY", fulfillmentState: null },
  ],
  items: [{ itemId: "OI-1", units: 3 }],
});

describe("parseOrderActionsRequest", () => {
  it("accepts every documented action and keeps the commandId", () => {
    const parsed = parseOrderActionsRequest({
      commandId: "cmd-1",
      actions: [
        { type: "accept" },
        { type: "start" },
        { type: "packing" },
        { type: "packed", fulfilmentId: "OF-S" },
        { type: "outForDelivery" },
        { type: "delivered" },
        { type: "complete" },
        { type: "cancel", reason: "ITEM_UNAVAILABLE" },
        { type: "itemUnits", itemId: "OI-1", units: 1, reason: "ITEM_UNAVAILABLE" },
        { type: "invoice", sellerInvoiceId: "INV-1" },
      ],
    });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.commandId).toBe("cmd-1");
      expect(parsed.value.actions).toHaveLength(10);
    }
  });

  it("names the field path and the allowed values, never the value", () => {
    const secret = "BUYER_SAID_SOMETHING_PRIVATE";
    const parsed = parseOrderActionsRequest({
      actions: [{ type: "cancel", reason: secret }, { type: secret }, { type: "itemUnits", itemId: "x", units: -1 }],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain(`actions[0].reason: expected one of ${CANCEL_REASONS.join(", ")}`);
    expect(parsed.message).toContain("actions[1].type: expected one of accept, start, packing");
    expect(parsed.message).toContain("actions[2].units: expected");
    expect(parsed.message).toContain("actions[2].reason: expected one of SELLER_REFUND_ACCEPTED");
    expect(parsed.message).not.toContain(secret);
  });

  it("refuses unknown fields, empty action lists and malformed command ids", () => {
    const cases: [unknown, string][] = [
      [{ actions: [] }, "actions: expected an array of 1 to 20 actions"],
      [{ actions: [{ type: "accept", reason: "x" }] }, "actions[0].reason: not a field of a accept action"],
      [{ actions: [{ type: "accept" }], extra: 1 }, "extra: unknown field"],
      [{ commandId: "has space", actions: [{ type: "accept" }] }, "commandId: expected 1 to 100 characters"],
      [{ actions: [{ type: "invoice" }] }, "actions[0].sellerInvoiceId: expected"],
    ];
    for (const [body, message] of cases) {
      const parsed = parseOrderActionsRequest(body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toContain(message);
    }
  });
});

describe("planOrderActions", () => {
  it("maps actions to Pincode's spellings, defaulting the fulfilment by leg (A4)", () => {
    const plan = planOrderActions(
      [{ type: "accept" }, { type: "packing" }, { type: "packed" }, { type: "start" }],
      newOrder(),
    );
    expect(plan).toMatchObject({
      ok: true,
      pincodeActions: [
        { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: "OF-S", fulfillmentState: "PACKING" },
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: "OF-S", fulfillmentState: "PACKED" },
        { type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" },
      ],
    });
    const delivery = planOrderActions([{ type: "outForDelivery" }, { type: "delivered" }], {
      ...newOrder(),
      orderState: "IN_PROGRESS",
    });
    expect(delivery.ok && delivery.pincodeActions.map((a) => "fulfilmentId" in a && a.fulfilmentId)).toEqual([
      "OF-D",
      "OF-D",
    ]);
  });

  it("maps cancel, item units and invoice", () => {
    const plan = planOrderActions(
      [
        { type: "itemUnits", itemId: "OI-1", units: 1, reason: "ITEM_UNAVAILABLE" },
        { type: "invoice", sellerInvoiceId: "INV-9" },
        { type: "cancel", reason: "ITEM_UNAVAILABLE" },
      ],
      newOrder(),
    );
    expect(plan).toMatchObject({
      ok: true,
      pincodeActions: [
        { type: "ITEM_UNIT_UPDATE", itemId: "OI-1", itemUnits: 1, reason: "ITEM_UNAVAILABLE" },
        { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV-9" } },
        { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" },
      ],
    });
  });

  it("refuses transitions the state forbids with 409 and names the action", () => {
    const cases: [Parameters<typeof planOrderActions>[0], OrderStateView, string][] = [
      [
        [{ type: "packing" }],
        newOrder(),
        "actions[0]: packing needs an ACCEPTED or IN_PROGRESS order; the order is new",
      ],
      [[{ type: "complete" }], { ...newOrder(), orderState: "ACCEPTED" }, "actions[0]: complete needs an IN_PROGRESS"],
      [
        [{ type: "accept" }, { type: "accept" }],
        newOrder(),
        "actions[1]: accept needs a new order; the order is ACCEPTED",
      ],
      [
        [{ type: "cancel", reason: "ITEM_UNAVAILABLE" }],
        { ...newOrder(), orderState: "CANCELLED" },
        "cancel needs an open order",
      ],
      [
        [{ type: "accept" }, { type: "packed" }, { type: "packing" }],
        newOrder(),
        "actions[2]: packing needs the fulfilment before PACKING; it is PACKED",
      ],
      [[{ type: "accept" }, { type: "packing", fulfilmentId: "OF-X" }], newOrder(), "fulfilmentId: not a fulfilment"],
      [
        [{ type: "itemUnits", itemId: "OI-X", units: 0, reason: "ITEM_UNAVAILABLE" }],
        newOrder(),
        "itemId: not an item",
      ],
    ];
    for (const [actions, state, message] of cases) {
      const plan = planOrderActions(actions, state);
      expect(plan.ok).toBe(false);
      if (!plan.ok) {
        expect(plan.status).toBe(409);
        expect(plan.message).toContain(message);
      }
    }
  });

  it("projects in-flight commands forward only", () => {
    const accepted = projectPincodeActions(newOrder(), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);
    expect(planOrderActions([{ type: "packing" }], accepted).ok).toBe(true);
    const inProgress = { ...newOrder(), orderState: "IN_PROGRESS" };
    expect(projectPincodeActions(inProgress, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]).orderState).toBe(
      "IN_PROGRESS",
    );
  });
});

describe("actionInEffect", () => {
  const order = (patch: Partial<Order>): Order =>
    ({ id: "OD1", orderState: "ACCEPTED", items: [], fulfillments: [], ...patch }) as Order;

  it("sees an order state at or past the target, and only CANCELLED for a cancel", () => {
    const accept = { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" } as const;
    expect(actionInEffect(accept, order({ orderState: "IN_PROGRESS" }))).toBe(true);
    expect(actionInEffect(accept, order({ orderState: "CREATED" }))).toBe(false);
    const cancel = { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" } as const;
    expect(actionInEffect(cancel, order({ orderState: "ACCEPTED" }))).toBe(false);
    expect(actionInEffect(cancel, order({ orderState: "CANCELLED" }))).toBe(true);
  });

  it("sees fulfilment progress and item units", () => {
    const packing = {
      type: "ORDER_FULFILMENT_STATE_UPDATE",
      fulfilmentId: "OF-S",
      fulfillmentState: "PACKING",
    } as const;
    expect(
      actionInEffect(packing, order({ fulfillments: [{ fulfillmentId: "OF-S", fulfillmentState: "PACKED" }] })),
    ).toBe(true);
    expect(actionInEffect(packing, order({ fulfillments: [{ fulfillmentId: "OF-S" }] }))).toBe(false);
    const units = { type: "ITEM_UNIT_UPDATE", itemId: "OI-1", itemUnits: 1, reason: "ITEM_UNAVAILABLE" } as const;
    expect(actionInEffect(units, order({ items: [{ itemId: "OI-1", quantity: { count: 1 } }] }))).toBe(true);
    expect(actionInEffect(units, order({ items: [{ itemId: "OI-1", quantity: { count: 3 } }] }))).toBe(false);
  });
});
