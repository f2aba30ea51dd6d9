import { describe, expect, it } from "vitest";
import { findUnknownEnumValues, OrderSchema, OrderViewCallbackSchema } from "#pincode/schemas.ts";
import { OrderGenerator } from "#sandbox/order-generator.ts";
import { computeQuote, DEFAULT_QUIRKS, renderOrder } from "#sandbox/order-model.ts";

const T0 = 1_722_572_000_000;

function generateMany(seed: number, count: number) {
  const generator = new OrderGenerator(seed);
  return Array.from({ length: count }, (_, i) => generator.generate(["S01", "S02", "S03"][i % 3]!, T0 + i));
}

describe("order generator", () => {
  it("gives the same orders for the same seed and different ones for another seed", () => {
    expect(generateMany(42, 12)).toEqual(generateMany(42, 12));
    expect(generateMany(43, 12).map((o) => o.id)).not.toEqual(generateMany(42, 12).map((o) => o.id));
  });

  it("makes orders that look like Pincode's: prefixed ids, paise prices, a quote that adds up, two legs", () => {
    for (const order of generateMany(7, 30)) {
      expect(order.id).toMatch(/^OD\d+$/);
      expect(order.items.length).toBeGreaterThan(0);
      for (const item of order.items) {
        expect(item.itemId).toMatch(/^OI\d+$/);
        expect(Number.isInteger(item.price.value) && Number.isInteger(item.sellingPrice.value)).toBe(true);
        expect(item.sellingPrice.value).toBeLessThanOrEqual(item.price.value);
        expect(item.quantity.count).toBeGreaterThan(0);
      }
      expect(order.fulfillments.map((f) => f.type)).toEqual(["STORE", "DELIVERY"]);
      for (const f of order.fulfillments) expect(f.fulfillmentId).toMatch(/^OF\d+$/);
      const quote = computeQuote(order);
      expect(quote.breakUp.map((l) => l.type)).toEqual([
        ...order.items.map(() => "ITEM"),
        "PACKING",
        "DELIVERY",
        "TAX",
      ]);
      expect(quote.price.value).toBe(quote.breakUp.reduce((sum, line) => sum + line.price.value, 0));
    }
  });

  it("invents obviously fake buyers, never real contact data", () => {
    for (const order of generateMany(9, 30)) {
      expect(order.billing.name).toMatch(/^Test Buyer \d+$/);
      expect(order.billing.phone).toMatch(/^90000000\d\d$/);
      expect(order.billing.email).toMatch(/@example\.com$/);
      expect(order.billing.address.building).toContain("Sandbox Residency");
      expect(order.billing.address.country).toBe("IND");
    }
  });

  it("uses the requested items, filling a known SKU from the catalogue", () => {
    const order = new OrderGenerator(1).generate("S02", T0, [
      { serviceProviderItemId: "BEV-COLA-2L", quantity: 3 },
      { name: "House Special Pickle", sellingPrice: 12_000, quantity: 1 },
    ]);
    expect(order.items.map((i) => [i.name, i.quantity.count, i.sellingPrice.value])).toEqual([
      ["Cold Drink", 3, 9500],
      ["House Special Pickle", 1, 12_000],
    ]);
    expect(order.items[1]!.price.value).toBe(12_000);
  });
});

describe("rendering an order on the wire", () => {
  const order = new OrderGenerator(3).generate("S01", T0);

  it("renders the ORDER_VIEW form the contract's tolerant schema accepts, with epoch-ms string times", () => {
    const view = renderOrder(order, "view", DEFAULT_QUIRKS);
    const callback = OrderViewCallbackSchema.parse({
      type: "ORDER_VIEW",
      requestContext: { requestId: "R1" },
      response: view,
    });
    expect(view.createdAt).toBe(String(T0));
    expect(view.updatedAt).toBe(String(T0));
    expect((view.billing as { createdAt: unknown }).createdAt).toBe(T0);
    expect(callback.response.updatedAt).toBe(T0);
    // Only the undocumented initial state is unknown to the contract (PINCODE-API §4.1).
    expect(findUnknownEnumValues(callback.response)).toEqual([{ path: "orderState", value: "CREATED" }]);
  });

  it("renders the Order Update form with ISO times and mixed-case state, as in Pincode's sample", () => {
    const completed = { ...order, orderState: "COMPLETED", updatedAt: T0 + 5 };
    const view = renderOrder(completed, "update", DEFAULT_QUIRKS);
    expect(view.orderState).toBe("Completed");
    expect(view.updatedAt).toBe(new Date(T0 + 5).toISOString());
    expect((view.billing as { createdAt: unknown }).createdAt).toBe(new Date(T0).toISOString());
    expect(OrderSchema.parse(view)).toMatchObject({ orderState: "COMPLETED", updatedAt: T0 + 5 });
  });

  it("drops the quirks when they are turned off", () => {
    const quirks = {
      ...DEFAULT_QUIRKS,
      epochStringOrderTimes: false,
      isoTimesInUpdateResponse: false,
      mixedCaseStateInUpdateResponse: false,
    };
    const view = renderOrder({ ...order, orderState: "COMPLETED" }, "update", quirks);
    expect(view.orderState).toBe("COMPLETED");
    expect(view.createdAt).toBe(T0);
  });
});
