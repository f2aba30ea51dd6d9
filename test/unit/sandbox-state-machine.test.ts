import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderUpdateAction } from "#pincode/schemas.ts";
import { OrderGenerator } from "#sandbox/order-generator.ts";
import { computeQuote, type SandboxOrder } from "#sandbox/order-model.ts";
import { advanceLogistics, applyActions } from "#sandbox/state-machine.ts";

const T0 = 1_722_572_000_000;

function newOrder(seed = 5): SandboxOrder {
  return new OrderGenerator(seed).generate("S01", T0, [
    { serviceProviderItemId: "GRO-ATTA-5KG", quantity: 3 },
    { serviceProviderItemId: "PHA-AMOX-500-10", quantity: 2 },
  ]);
}

const legs = (order: SandboxOrder) => ({
  store: order.fulfillments.find((f) => f.type === "STORE")!,
  delivery: order.fulfillments.find((f) => f.type === "DELIVERY")!,
});

function must(outcome: ReturnType<typeof applyActions>): SandboxOrder {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.errorCode}: ${outcome.message}`);
  return outcome.order;
}

describe("order update state machine", () => {
  it("walks an order from CREATED to COMPLETED with the delivery leg starting when the store leg is PACKED", () => {
    // Prepare
    let order = newOrder();
    const { store, delivery } = legs(order);

    // Act
    order = must(applyActions(order, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }], T0 + 1));
    order = must(
      applyActions(
        order,
        [{ type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: store.fulfillmentId, fulfillmentState: "PACKING" }],
        T0 + 2,
      ),
    );
    order = must(
      applyActions(
        order,
        [
          { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: store.fulfillmentId, fulfillmentState: "PACKED" },
          { type: "ORDER_STATE_UPDATE", orderState: "IN_PROGRESS" },
        ],
        T0 + 3,
      ),
    );
    const afterPacked = legs(order);
    for (let i = 0; i < 3; i++) {
      const step = advanceLogistics(order, T0 + 10 + i);
      if (!step.ok) throw new Error(step.message);
      order = step.order;
    }
    order = must(applyActions(order, [{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }], T0 + 20));

    // Assess
    expect(afterPacked.delivery.fulfillmentState).toBe("SEARCHING_FOR_AGENT");
    // PINCODE-API §4.2: the delivery leg starts at the same timestamp as PACKED.
    expect(afterPacked.delivery.fulfilmentStatusHistory.SEARCHING_FOR_AGENT?.actual?.endTime).toBe(T0 + 3);
    expect(afterPacked.store.fulfilmentStatusHistory.PACKED?.actual?.endTime).toBe(T0 + 3);
    expect(afterPacked.delivery.fulfilmentStatusHistory.AGENT_ASSIGNED?.expected?.endTime).toBeGreaterThan(T0 + 3);
    expect(order.orderState).toBe("COMPLETED");
    const finalLegs = legs(order);
    expect(finalLegs.delivery.fulfillmentState).toBe("DELIVERED");
    expect(Object.keys(finalLegs.delivery.fulfilmentStatusHistory)).toEqual(
      expect.arrayContaining(["SEARCHING_FOR_AGENT", "AGENT_ASSIGNED", "OUT_FOR_DELIVERY", "DELIVERED"]),
    );
    expect(finalLegs.delivery.fulfilmentStatusHistory.DELIVERED?.actual?.endTime).toBe(T0 + 12);
    expect(delivery.fulfillmentState).toBeUndefined();
  });

  it.each([
    ["skipping ACCEPTED", [{ type: "ORDER_STATE_UPDATE", orderState: "COMPLETED" }]],
    [
      "going back",
      [
        { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
        { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
      ],
    ],
    ["packing before accepting", "PACK"],
  ] as const)("refuses %s with ACTION_NOT_ALLOWED", (_name, actions) => {
    const order = newOrder();
    const list: OrderUpdateAction[] =
      actions === "PACK"
        ? [
            {
              type: "ORDER_FULFILMENT_STATE_UPDATE",
              fulfilmentId: legs(order).store.fulfillmentId,
              fulfillmentState: "PACKED",
            },
          ]
        : [...actions];
    const outcome = applyActions(order, list, T0 + 1);
    expect(outcome).toMatchObject({ ok: false, errorCode: "ACTION_NOT_ALLOWED" });
  });

  it("refuses every action, even an invoice id, once the order is terminal", () => {
    const cancelled = must(
      applyActions(
        newOrder(),
        [{ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" }],
        T0 + 1,
      ),
    );
    const outcome = applyActions(
      cancelled,
      [{ type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV1" } }],
      T0 + 2,
    );
    expect(outcome).toMatchObject({
      ok: false,
      errorCode: "ACTION_NOT_ALLOWED",
      message: expect.stringMatching(/terminal/),
    });
    expect(cancelled.actions).toEqual([
      { type: "CANCEL_ORDER", channel: "TSP", createdAt: T0 + 1, reason: "ITEM_UNAVAILABLE" },
    ]);
  });

  it("applies actions all or nothing: a later failure leaves the order untouched", () => {
    const order = newOrder();
    const before = structuredClone(order);
    const outcome = applyActions(
      order,
      [
        { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
        { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: "INV-1" } },
        { type: "ITEM_UNIT_UPDATE", itemId: order.items[0]!.itemId, itemUnits: 9, reason: "ITEM_UNAVAILABLE" },
      ],
      T0 + 1,
    );
    expect(outcome).toMatchObject({ ok: false, errorCode: "INVALID_ITEM_UNITS", actionIndex: 2 });
    expect(order).toEqual(before);
  });

  it("lowers item units to any count below the current one and recomputes the quote", () => {
    const order = newOrder();
    const item = order.items[0]!;
    const updated = must(
      applyActions(
        order,
        [{ type: "ITEM_UNIT_UPDATE", itemId: item.itemId, itemUnits: 1, reason: "ITEM_UNAVAILABLE" }],
        T0 + 1,
      ),
    );
    const line = computeQuote(updated).breakUp.find((l) => l.referenceId === item.itemId)!;
    expect(line.quantity?.count).toBe(1);
    expect(line.price.value).toBe(item.sellingPrice.value);
    expect(computeQuote(updated).price.value).toBe(computeQuote(order).price.value - 2 * item.sellingPrice.value);
  });

  it.each([
    [3, "the current count"],
    [4, "more than the current count"],
  ])("refuses itemUnits %i (%s) with INVALID_ITEM_UNITS", (units) => {
    const order = newOrder();
    const outcome = applyActions(
      order,
      [{ type: "ITEM_UNIT_UPDATE", itemId: order.items[0]!.itemId, itemUnits: units, reason: "ITEM_UNAVAILABLE" }],
      T0 + 1,
    );
    expect(outcome).toMatchObject({ ok: false, errorCode: "INVALID_ITEM_UNITS" });
  });

  it("refuses an unknown item or fulfilment id with ACTION_NOT_ALLOWED naming it", () => {
    const order = must(applyActions(newOrder(), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }], T0 + 1));
    expect(
      applyActions(
        order,
        [{ type: "ITEM_UNIT_UPDATE", itemId: "OI404", itemUnits: 0, reason: "ITEM_UNAVAILABLE" }],
        T0 + 2,
      ),
    ).toMatchObject({ ok: false, errorCode: "ACTION_NOT_ALLOWED", message: expect.stringContaining("OI404") });
    expect(
      applyActions(
        order,
        [{ type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: "OF404", fulfillmentState: "PACKED" }],
        T0 + 2,
      ),
    ).toMatchObject({ ok: false, errorCode: "ACTION_NOT_ALLOWED", message: expect.stringContaining("OF404") });
  });

  it("lets logistics move only a started delivery leg, one step at a time", () => {
    const order = newOrder();
    expect(advanceLogistics(order, T0 + 1)).toMatchObject({ ok: false, message: expect.stringMatching(/PACKED/) });
  });

  it("keeps the quote consistent and states legal under any sequence of actions", () => {
    const arbitraryAction = (order: SandboxOrder) =>
      fc.oneof(
        fc
          .constantFrom("ACCEPTED", "IN_PROGRESS", "COMPLETED")
          .map((orderState) => ({ type: "ORDER_STATE_UPDATE", orderState }) as OrderUpdateAction),
        fc.constant({
          type: "ORDER_STATE_UPDATE",
          orderState: "CANCELLED",
          reason: "BUYER_NO_CONTACT",
        } as OrderUpdateAction),
        fc
          .tuple(
            fc.constantFrom(...order.fulfillments.map((f) => f.fulfillmentId)),
            fc.constantFrom("PACKING", "PACKED", "OUT_FOR_DELIVERY", "DELIVERED"),
          )
          .map(
            ([fulfilmentId, fulfillmentState]) =>
              ({ type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId, fulfillmentState }) as OrderUpdateAction,
          ),
        fc
          .tuple(fc.constantFrom(...order.items.map((i) => i.itemId)), fc.integer({ min: 0, max: 4 }))
          .map(
            ([itemId, itemUnits]) =>
              ({ type: "ITEM_UNIT_UPDATE", itemId, itemUnits, reason: "ITEM_UNAVAILABLE" }) as OrderUpdateAction,
          ),
        fc.constant("ADVANCE" as const),
      );
    const start = newOrder();
    fc.assert(
      fc.property(
        fc.array(fc.array(arbitraryAction(start), { minLength: 1, maxLength: 3 }), { maxLength: 12 }),
        (requests) => {
          let order = start;
          let at = T0;
          for (const request of requests) {
            at += 1;
            const logistics = request.includes("ADVANCE");
            const outcome = logistics
              ? advanceLogistics(order, at)
              : applyActions(
                  order,
                  request.filter((a): a is OrderUpdateAction => a !== "ADVANCE"),
                  at,
                );
            if (outcome.ok) order = outcome.order;
            const quote = computeQuote(order);
            expect(quote.price.value).toBe(quote.breakUp.reduce((s, l) => s + l.price.value, 0));
            for (const item of order.items) {
              const original = start.items.find((i) => i.itemId === item.itemId)!;
              expect(item.quantity.count).toBeLessThanOrEqual(original.quantity.count);
            }
            const { store, delivery } = legs(order);
            if (delivery.fulfillmentState !== undefined) expect(store.fulfillmentState).toBe("PACKED");
            expect(["CREATED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "CANCELLED"]).toContain(order.orderState);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
