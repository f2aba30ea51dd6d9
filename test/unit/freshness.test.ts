import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareFreshness,
  decodeFreshness,
  encodeFreshness,
  type FreshnessParts,
  freshnessOf,
  freshnessParts,
  judgeSnapshot,
  orderStateRank,
  orderUpdatedAt,
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

const fresher = (a: Order, b: Order) => compareFreshness(freshnessOf(a), freshnessOf(b));

describe("freshness key", () => {
  it("ranks a later updatedAt above an earlier one", () => {
    // Prepare
    const older = order({ state: "IN_PROGRESS", updatedAt: 1_000 });
    const newer = order({ state: "ACCEPTED", updatedAt: 2_000 });
    // Act / Assess
    expect(fresher(newer, older)).toBeGreaterThan(0);
    expect(judgeSnapshot(freshnessOf(older), freshnessOf(newer))).toBe("stale");
  });

  it("never lets a non-terminal snapshot overtake a terminal one, however late its updatedAt", () => {
    const completed = order({ state: "COMPLETED", updatedAt: 1_000 });
    const cancelled = order({ state: "CANCELLED", updatedAt: 1_000 });
    const laterButOpen = order({ state: "IN_PROGRESS", updatedAt: 9_999_999 });
    expect(fresher(completed, laterButOpen)).toBeGreaterThan(0);
    expect(fresher(cancelled, laterButOpen)).toBeGreaterThan(0);
  });

  it("breaks an updatedAt tie by order-state rank, unknown states counting as new", () => {
    const created = order({ state: "CREATED", updatedAt: 5 });
    const accepted = order({ state: "ACCEPTED", updatedAt: 5 });
    const inProgress = order({ state: "IN_PROGRESS", updatedAt: 5 });
    expect(orderStateRank("SOMETHING_NEW")).toBe(0);
    expect(fresher(accepted, created)).toBeGreaterThan(0);
    expect(fresher(inProgress, accepted)).toBeGreaterThan(0);
  });

  it("breaks a state tie by fulfilment progress: more actual entries, then a later actual endTime", () => {
    const packing = order({ state: "IN_PROGRESS", updatedAt: 5, history: [{ PACKING: 100, PACKED: undefined }] });
    const packed = order({ state: "IN_PROGRESS", updatedAt: 5, history: [{ PACKING: 100, PACKED: 200 }] });
    const packedLater = order({ state: "IN_PROGRESS", updatedAt: 5, history: [{ PACKING: 100, PACKED: 300 }] });
    expect(fresher(packed, packing)).toBeGreaterThan(0);
    expect(fresher(packedLater, packed)).toBeGreaterThan(0);
  });

  it("gives the same key to the same content however Pincode spelled its timestamps and enum case", () => {
    // §2.2 / §3.2: epoch-ms strings in callbacks, ISO strings and "Completed" in the Order Update response.
    const asNumber = order({ state: "COMPLETED", updatedAt: 1_713_773_187_000 });
    const asString = order({ state: "Completed", updatedAt: "1713773187000" });
    const asIso = order({ state: "COMPLETED", updatedAt: new Date(1_713_773_187_000).toISOString() });
    expect(freshnessOf(asString)).toBe(freshnessOf(asNumber));
    expect(freshnessOf(asIso)).toBe(freshnessOf(asNumber));
    expect(judgeSnapshot(freshnessOf(asIso), freshnessOf(asNumber))).toBe("duplicate");
  });

  it("tells apart two different snapshots that tie on every progress signal", () => {
    const a = order({ state: "ACCEPTED", updatedAt: 5, extra: { clientOrderInfo: { sellerInvoiceId: "INV-1" } } });
    const b = order({ state: "ACCEPTED", updatedAt: 5 });
    expect(freshnessOf(a)).not.toBe(freshnessOf(b));
    expect(fresher(a, b)).toBe(-fresher(b, a));
  });

  it("falls back to billing.updatedAt, then fulfilment progress, when the order-level updatedAt is missing", () => {
    expect(orderUpdatedAt(order({ extra: { billing: { updatedAt: "77" } } }))).toBe(77);
    expect(orderUpdatedAt(order({ history: [{ PACKING: 40, PACKED: 90 }] }))).toBe(90);
    expect(orderUpdatedAt(order({ extra: { createdAt: 12 } }))).toBe(12);
  });

  it("reads the documented ORDER_VIEW and Order Update samples", () => {
    const callback = OrderSchema.parse(fixture("order_view_callback").response);
    const update = OrderSchema.parse(fixture("order_update_response").response);
    const parts = freshnessParts(callback);
    expect(parts).toMatchObject({ terminal: true, updatedAt: 1_713_773_187_000, stateRank: 3, actualCount: 5 });
    expect(parts.latestActualAt).toBe(1_722_578_383_000);
    expect(freshnessParts(update).terminal).toBe(true);
  });
});

const partsArb: fc.Arbitrary<FreshnessParts> = fc.record({
  terminal: fc.boolean(),
  updatedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  stateRank: fc.integer({ min: 0, max: 3 }),
  actualCount: fc.integer({ min: 0, max: 999 }),
  latestActualAt: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  digest: fc.stringMatching(/^[0-9a-f]{12}$/),
});

const tupleCompare = (a: FreshnessParts, b: FreshnessParts): number => {
  const ta = [Number(a.terminal), a.updatedAt, a.stateRank, a.actualCount, a.latestActualAt] as const;
  const tb = [Number(b.terminal), b.updatedAt, b.stateRank, b.actualCount, b.latestActualAt] as const;
  for (let i = 0; i < ta.length; i++) {
    const d = (ta[i] ?? 0) - (tb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
};

describe("freshness encoding (properties)", () => {
  it("sorts lexicographically exactly as the tuple (terminal, updatedAt, rank, progress, digest) sorts", () => {
    fc.assert(
      fc.property(partsArb, partsArb, (a, b) => {
        expect(Math.sign(compareFreshness(encodeFreshness(a), encodeFreshness(b)))).toBe(tupleCompare(a, b));
      }),
    );
  });

  it("decodes back to its parts and has a fixed width", () => {
    fc.assert(
      fc.property(partsArb, (parts) => {
        const key = encodeFreshness(parts);
        expect(decodeFreshness(key)).toEqual(parts);
        expect(key).toHaveLength(encodeFreshness({ ...parts, updatedAt: 0, latestActualAt: 0 }).length);
      }),
    );
  });

  it("picks the same freshest snapshot whatever the delivery order", () => {
    const snapshotArb = fc.record({
      state: fc.constantFrom("CREATED", "ACCEPTED", "IN_PROGRESS", "COMPLETED", "CANCELLED"),
      updatedAt: fc.integer({ min: 1, max: 50 }),
      packedAt: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(snapshotArb, { minLength: 1, maxLength: 8 }), fc.integer(), (drafts, seed) => {
        const snapshots = drafts.map((d) =>
          order({ state: d.state, updatedAt: d.updatedAt, history: [{ PACKING: 1, PACKED: d.packedAt }] }),
        );
        const shuffled = fc.sample(fc.shuffledSubarray(snapshots, { minLength: snapshots.length }), {
          seed,
          numRuns: 1,
        })[0]!;
        // the stored view after applying "write if fresher" in arrival order
        const apply = (arrivals: Order[]) =>
          arrivals.reduce<string | undefined>((stored, o) => {
            const f = freshnessOf(o);
            return judgeSnapshot(f, stored) === "newer" ? f : stored;
          }, undefined);
        expect(apply(shuffled)).toBe(apply(snapshots));
        const anyTerminal = snapshots.some((o) => o.orderState === "COMPLETED" || o.orderState === "CANCELLED");
        if (anyTerminal) expect(decodeFreshness(apply(shuffled)!)?.terminal).toBe(true);
      }),
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
