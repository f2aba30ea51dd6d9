import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareFreshness,
  contentTimeBound,
  decodeFreshness,
  encodeFreshness,
  type FreshnessParts,
  freshnessOf,
  freshnessParts,
  judgeSnapshot,
  legacyKeyTimes,
  orderStateRank,
  orderUpdatedAt,
  resolveTie,
} from "#core/freshness.ts";
import { summarise } from "#core/order-summary.ts";
import { type Order, OrderSchema } from "#pincode/schemas.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/pincode/${name}.json`, import.meta.url), "utf8")) as {
    response: Record<string, unknown>;
  };

interface Draft {
  state?: string;
  updatedAt?: number | string;
  /** Per fulfilment: state name -> actual endTime (or undefined for expected-only). */
  history?: Record<string, number | undefined>[];
  extra?: Record<string, unknown>;
}

function order({ state, updatedAt, history = [], extra = {} }: Draft): Order {
  return OrderSchema.parse({
    id: "OD1",
    serviceProvider: { id: "S01" },
    ...(state ? { orderState: state } : {}),
    ...(updatedAt !== undefined ? { updatedAt } : {}),
    fulfillments: history.map((entries, i) => ({
      fulfillmentId: `OF${i}`,
      fulfilmentStatusHistory: Object.fromEntries(
        Object.entries(entries).map(([name, at]) => [
          name,
          at === undefined ? { expected: { endTime: 1 } } : { actual: { endTime: at } },
        ]),
      ),
    })),
    ...extra,
  });
}

const NOW = 1_800_000_000_000;
const keyOf = (o: Order) => freshnessOf(o, NOW);
const fresher = (a: Order, b: Order) => compareFreshness(keyOf(a), keyOf(b));

describe("freshness from evidence", () => {
  it("ranks state above updatedAt, so a frozen or odd updatedAt never moves an order back", () => {
    const accepted = order({ state: "ACCEPTED", updatedAt: 2_000 });
    const inProgress = order({ state: "IN_PROGRESS", updatedAt: 1_000 });
    expect(fresher(inProgress, accepted)).toBeGreaterThan(0);
    expect(judgeSnapshot(keyOf(accepted), keyOf(inProgress))).toBe("stale");
  });

  it("never lets a non-terminal snapshot overtake a terminal one, and ranks a cancel after completion highest", () => {
    const completed = order({ state: "COMPLETED", updatedAt: 1_000 });
    const cancelled = order({ state: "CANCELLED", updatedAt: 1_000 });
    const laterButOpen = order({ state: "IN_PROGRESS", updatedAt: 9_999_999 });
    expect(fresher(completed, laterButOpen)).toBeGreaterThan(0);
    expect(fresher(cancelled, completed)).toBeGreaterThan(0);
    expect(orderStateRank("SOMETHING_NEW")).toBe(0);
  });

  it("reads progress when updatedAt is frozen: actual entries, their times, actions, unit cuts, an invoice id", () => {
    const base = { state: "IN_PROGRESS", updatedAt: 5 };
    const packing = order({ ...base, history: [{ PACKING: 100, PACKED: undefined }] });
    const packed = order({ ...base, history: [{ PACKING: 100, PACKED: 200 }] });
    const packedLater = order({ ...base, history: [{ PACKING: 100, PACKED: 300 }] });
    expect(fresher(packed, packing)).toBeGreaterThan(0);
    expect(fresher(packedLater, packed)).toBeGreaterThan(0);

    const items = (count: number) => [{ itemId: "I1", quantity: { count } }];
    const three = order({ ...base, extra: { items: items(3) } });
    const two = order({ ...base, extra: { items: items(2) } });
    expect(judgeSnapshot(keyOf(two), keyOf(three))).toBe("newer");

    const invoiced = order({ ...base, extra: { items: items(3), clientOrderInfo: { sellerInvoiceId: "INV-1" } } });
    expect(judgeSnapshot(keyOf(invoiced), keyOf(three))).toBe("newer");

    const cancelAction = (at: string) => ({ actions: [{ type: "CANCEL_ORDER", channel: "TSP", createdAt: at }] });
    const withAction = order({ ...base, extra: cancelAction("1000") });
    const withLaterAction = order({ ...base, extra: cancelAction("2000") });
    expect(judgeSnapshot(keyOf(withAction), keyOf(order(base)))).toBe("newer");
    expect(judgeSnapshot(keyOf(withLaterAction), keyOf(withAction))).toBe("newer");
  });

  it("does not let a timestamp more than a day ahead pin an order", () => {
    const bogus = order({ state: "ACCEPTED", updatedAt: NOW + 2 * 86_400_000 });
    const later = order({ state: "ACCEPTED", updatedAt: NOW - 1_000 });
    expect(judgeSnapshot(keyOf(later), keyOf(bogus))).toBe("newer");
    expect(freshnessParts(bogus, NOW).updatedAt).toBe(0);
    expect(freshnessParts(order({ state: "ACCEPTED", updatedAt: NOW + 3_600_000 }), NOW).updatedAt).toBe(
      NOW + 3_600_000,
    );
  });

  it("gives the same key to the same content however Pincode spelled its timestamps and enum case", () => {
    // §2.2 / §3.2: epoch-ms strings in callbacks, ISO strings and "Completed" in the Order Update response.
    const asNumber = order({ state: "COMPLETED", updatedAt: 1_713_773_187_000 });
    const asString = order({ state: "Completed", updatedAt: "1713773187000" });
    const asIso = order({ state: "COMPLETED", updatedAt: new Date(1_713_773_187_000).toISOString() });
    const asSeconds = order({ state: "COMPLETED", updatedAt: 1_713_773_187 });
    const asMicros = order({ state: "COMPLETED", updatedAt: "1713773187000000" });
    for (const same of [asString, asIso, asSeconds, asMicros]) expect(keyOf(same)).toBe(keyOf(asNumber));
    expect(judgeSnapshot(keyOf(asIso), keyOf(asNumber))).toBe("duplicate");
  });

  it("calls equal evidence with different content a tie, and settles a tie only from when each was true", () => {
    const a = order({ state: "ACCEPTED", updatedAt: 5, extra: { clientOrderInfo: { sellerInvoiceId: "INV-1" } } });
    const b = order({ state: "ACCEPTED", updatedAt: 5, extra: { clientOrderInfo: { sellerInvoiceId: "INV-2" } } });
    expect(judgeSnapshot(keyOf(a), keyOf(b))).toBe("tie");
    // A Status Check started at 100 beats a callback received at 90, and the other way round.
    expect(resolveTie({ syncedAt: 0, receivedAt: 90 }, { syncedAt: 100, receivedAt: 120 })).toBe("stale");
    expect(resolveTie({ syncedAt: 100, receivedAt: 120 }, { syncedAt: 0, receivedAt: 90 })).toBe("newer");
    // Overlapping windows: nobody can tell.
    expect(resolveTie({ syncedAt: 0, receivedAt: 110 }, { syncedAt: 100, receivedAt: 120 })).toBe("unknown");
  });

  it("bounds when a snapshot was true by the times inside it, ignoring any after its arrival", () => {
    const t = 1_700_000_000_000;
    const o = order({ state: "IN_PROGRESS", updatedAt: t - 50_000, history: [{ PACKING: t, PACKED: t + 400_000 }] });
    expect(contentTimeBound(o, t + 1_000_000)).toBe(t + 400_000);
    expect(contentTimeBound(o, t + 300_000)).toBe(t);
  });

  it("falls back to billing.updatedAt, then fulfilment progress, for the summary's updatedAt", () => {
    expect(orderUpdatedAt(order({ extra: { billing: { updatedAt: "1700000000000" } } }))).toBe(1_700_000_000_000);
    expect(orderUpdatedAt(order({ history: [{ PACKING: 40_000_000_000_000, PACKED: 90_000_000_000_000 }] }))).toBe(
      90_000_000_000_000,
    );
  });

  it("reads the documented ORDER_VIEW sample: frozen updatedAt, five actual entries, a cancel action", () => {
    const callback = OrderSchema.parse(fixture("order_view_callback").response);
    const update = OrderSchema.parse(fixture("order_update_response").response);
    const parts = freshnessParts(callback, NOW);
    expect(parts).toMatchObject({ terminal: true, updatedAt: 1_713_773_187_000, stateRank: 3, actualCount: 5 });
    expect(parts.latestActualAt).toBe(1_722_578_383_000);
    expect(parts.actionCount).toBe(1);
    expect(freshnessParts(update, NOW).terminal).toBe(true);
  });

  it("reads a previous-release key's times for the sync bound", () => {
    expect(legacyKeyTimes("f1|1|001713773187000|3|005|001722578383000|3c0e5b1f9a2d")).toEqual({
      updatedAt: 1_713_773_187_000,
      latestActualAt: 1_722_578_383_000,
    });
    expect(legacyKeyTimes(keyOf(order({})))).toBeUndefined();
  });
});

const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const count = fc.integer({ min: 0, max: 999 });
const partsArb: fc.Arbitrary<FreshnessParts> = fc.record({
  terminal: fc.boolean(),
  stateRank: fc.integer({ min: 0, max: 4 }),
  actualCount: count,
  latestActualAt: time,
  actionCount: count,
  latestActionAt: time,
  updatedAt: time,
  unitsCut: fc.integer({ min: 0, max: 9_999_999 }),
  invoiced: fc.boolean(),
  digest: fc.stringMatching(/^[0-9a-f]{12}$/),
});

const tupleCompare = (a: FreshnessParts, b: FreshnessParts): number => {
  const tuple = (p: FreshnessParts) => [
    Number(p.terminal),
    p.stateRank,
    p.actualCount,
    p.latestActualAt,
    p.actionCount,
    p.latestActionAt,
    p.updatedAt,
    p.unitsCut,
    Number(p.invoiced),
  ];
  const ta = tuple(a);
  const tb = tuple(b);
  for (let i = 0; i < ta.length; i++) {
    const d = (ta[i] ?? 0) - (tb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
};

describe("freshness encoding (properties)", () => {
  it("compares keys exactly as the evidence tuple compares, the digest left out", () => {
    fc.assert(
      fc.property(partsArb, partsArb, (a, b) => {
        expect(Math.sign(compareFreshness(encodeFreshness(a), encodeFreshness(b)))).toBe(tupleCompare(a, b));
      }),
      { numRuns: 200 },
    );
  });

  it("decodes back to its parts and has a fixed width", () => {
    fc.assert(
      fc.property(partsArb, (parts) => {
        const key = encodeFreshness(parts);
        expect(decodeFreshness(key)).toEqual(parts);
        expect(key).toHaveLength(
          encodeFreshness({ ...parts, updatedAt: 0, latestActualAt: 0, latestActionAt: 0, unitsCut: 0 }).length,
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe("summarise", () => {
  it("keeps states, counts and money and drops every piece of buyer data", () => {
    const raw = fixture("order_view_callback").response;
    const summary = summarise(OrderSchema.parse(raw));
    expect(summary).toMatchObject({
      orderId: "OD2401121901140533863584",
      storeId: "P1",
      orderState: "COMPLETED",
      updatedAt: 1_713_773_187_000,
      fulfillments: [
        { fulfillmentId: "OF2405200539030657485731", type: "STORE", fulfillmentState: "PACKED" },
        { fulfillmentId: "OF2405200539030657485732", type: "DELIVERY", fulfillmentState: "OUT_FOR_DELIVERY" },
      ],
    });
    expect(summary.itemCount).toBe((raw.items as unknown[]).length);
    const text = JSON.stringify(summary);
    const billing = raw.billing as { name: string; phone: string; email: string; address: { city: string } };
    for (const pii of [billing.name, billing.phone, billing.email, billing.address.city, "8686868686"]) {
      expect(text).not.toContain(pii);
    }
  });
});
