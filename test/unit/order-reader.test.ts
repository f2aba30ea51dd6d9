/**
 * Issue 11: the hand-written tolerant order reader (functions/pincode/order-reader.ts) behind `parseInboundOrder`
 * must read every order exactly as the previous release's zod parse (`parseInboundOrderBySchema`: OrderSchema plus
 * its repair loop) did: same refusal and reason, same order (values, `undefined` for null, key order at every level),
 * same odd field paths in the same order. Held by fast-check over random orders and over the documented samples
 * with random damage.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_ODD_FIELDS, readInboundOrder } from "../../functions/pincode/order-reader.ts";
import { oddFieldsOf, parseInboundOrder, parseInboundOrderBySchema } from "../../functions/pincode/schemas.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "pincode");
const sample = (file: string) =>
  (JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as { response: Record<string, unknown> }).response;
const SAMPLES = {
  orderView: sample("order_view_callback.json"),
  orderUpdate: sample("order_update_response.json"),
};

/** Text that shows what toEqual hides: key order, `undefined` members, -0. */
function exact(value: unknown): string {
  if (value === undefined) return "<undefined>";
  if (Object.is(value, -0)) return "-0";
  if (Array.isArray(value)) return `[${value.map(exact).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .map((k) => `${JSON.stringify(k)}:${exact((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

function expectSameAsSchema(raw: unknown): void {
  // Orders arrive as JSON text: a round trip gives each side its own tree, without the shared sub-objects a
  // generator may produce (the reference's repair would splice a shared array in two places at once).
  const text = JSON.stringify(raw);
  const expected = parseInboundOrderBySchema(JSON.parse(text));
  const actual = parseInboundOrder(JSON.parse(text));
  expect(actual.ok).toBe(expected.ok);
  if (!actual.ok || !expected.ok) {
    expect(actual).toEqual(expected);
    return;
  }
  // (not toStrictEqual: an unknown key named `constructor` defeats its type check; `exact` shows everything else)
  expect(exact(actual.order)).toBe(exact(expected.order));
  expect(actual.order).toEqual(expected.order);
  expect(actual.oddFields).toEqual(expected.oddFields);
  expect(oddFieldsOf(actual.order)).toEqual(expected.oddFields);
}

// ---------------------------------------------------------------------------------------------------------------
// Values that sit on the edges of the tolerance rules
// ---------------------------------------------------------------------------------------------------------------

const TRICKY: unknown[] = [
  null,
  "",
  " ",
  "abc",
  "123",
  " 42 ",
  "-7",
  "1.5",
  "1e3",
  "0x1F",
  "12,000",
  "999999999999999999999",
  0,
  -0,
  -1,
  1.5,
  1e20,
  2 ** 53,
  2 ** 53 - 1,
  1_713_773_187,
  1_713_773_187_000,
  1_713_773_187_000_000,
  1e17,
  "1713773187000",
  "2024-04-22",
  "2024-04-22 13:36:27",
  "2024-04-22T13:36:27",
  "2024-04-22T13:36:27Z",
  "2024-04-22T13:36:27+0530",
  "2024-13-45T99:99:99",
  true,
  false,
  "true",
  "false",
  "TRUE",
  [],
  [null],
  [1, "a"],
  {},
  { value: 1 },
  { count: "2" },
  { endTime: "1713773187000" },
  "COMPLETED",
  "completed",
  "Cancelled",
  "SOMETHING_NEW",
  "delivery",
  "PACKED",
  "ITEM",
  "cancel_order",
];

const json = fc.jsonValue({ maxDepth: 3 });
const value = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TRICKY) }, { weight: 1, arbitrary: json });

/** A field of the schema: absent, or a value (well-formed or not). */
const field = <T>(good: fc.Arbitrary<T>) =>
  fc.option(fc.oneof({ weight: 3, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: value }), {
    nil: undefined,
    freq: 3,
  });

/** An object with the given fields (absent ones left out) plus some unknown keys, in a random key order. */
function loose(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const extraKey = fc.oneof(
    fc.constantFrom("extra", "__proto__", "constructor", "0", "10", "id", "toString", "value", "count"),
    fc.string({ maxLength: 6 }),
  );
  return fc
    .tuple(fc.record(shape), fc.dictionary(extraKey, value, { maxKeys: 2 }), fc.boolean())
    .map(([known, extra, extraFirst]) => {
      const out: Record<string, unknown> = {};
      const put = (source: Record<string, unknown>) => {
        for (const [k, v] of Object.entries(source)) {
          if (v === undefined) continue;
          // __proto__ as an own key, as JSON.parse makes it.
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
        }
      };
      if (extraFirst) put(extra);
      put(known);
      if (!extraFirst) put(extra);
      return out;
    });
}

const list = <T>(element: fc.Arbitrary<T>) =>
  fc.array(fc.oneof({ weight: 4, arbitrary: element as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: value }), {
    maxLength: 3,
  });
const str = fc.oneof(fc.string({ maxLength: 8 }), fc.integer());
const num = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant("700"));
const time = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000_000_000 }),
  fc.constantFrom("1713773187000", "2024-04-22T13:36:27.000Z", "2024-04-22 13:36:27", 1_713_773_187),
);
const enumOf = (...values: string[]) => fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 6 }));

const money = loose({ value: field(num) });
const count = loose({ count: field(fc.oneof(fc.nat(9), fc.constant("2"))) });
const address = loose({
  building: field(str),
  city: field(str),
  pincode: field(fc.oneof(fc.constant("560001"), fc.integer())),
  lat: field(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant("12.9"))),
});
const item = loose({
  itemId: field(str),
  name: field(str),
  quantity: field(count),
  price: field(money),
  sellingPrice: field(money),
  images: field(list(loose({ image: field(str) }))),
  prescriptionRequired: field(fc.oneof(fc.boolean(), fc.constantFrom("true", "false"))),
});
const statusTime = loose({ endTime: field(time) });
const historyEntry = loose({ actual: field(statusTime), expected: field(statusTime), promised: field(statusTime) });
const history = fc.dictionary(
  fc.oneof(fc.constantFrom("PACKING", "PACKED", "DELIVERED", "__proto__", "0"), fc.string({ maxLength: 5 })),
  fc.oneof({ weight: 4, arbitrary: historyEntry as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: value }),
  { maxKeys: 3 },
);
const fulfillment = loose({
  fulfillmentId: field(str),
  type: field(enumOf("DELIVERY", "STORE", "delivery")),
  end: field(
    loose({
      address: field(address),
      contact: field(loose({ phone: field(str) })),
      person: field(loose({ name: field(str) })),
    }),
  ),
  fulfillmentState: field(enumOf("PACKED", "packing", "AGENT_ASSIGNED")),
  fulfilmentStatusHistory: field(history),
});
const quoteLine = loose({
  referenceId: field(str),
  type: field(enumOf("ITEM", "tax")),
  quotationLevel: field(enumOf("ORDER", "item")),
  title: field(str),
  quantity: field(count),
  price: field(money),
});
const randomOrder = loose({
  id: fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 25 }) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: value },
  ),
  items: field(list(item)),
  orderState: field(enumOf("ACCEPTED", "completed", "IN_PROGRESS")),
  serviceProvider: field(loose({ id: field(str), platformId: field(str) })),
  billing: field(
    loose({
      name: field(str),
      address: field(address),
      email: field(str),
      createdAt: field(time),
      updatedAt: field(time),
    }),
  ),
  fulfillments: field(list(fulfillment)),
  quote: field(loose({ price: field(money), breakUp: field(list(quoteLine)) })),
  actions: field(list(loose({ type: field(enumOf("CANCEL_ORDER")), channel: field(str), createdAt: field(time) }))),
  clientOrderInfo: field(loose({ sellerInvoiceId: field(str) })),
  createdAt: field(time),
  updatedAt: field(time),
});

// ---------------------------------------------------------------------------------------------------------------
// The documented samples, damaged at random places
// ---------------------------------------------------------------------------------------------------------------

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...pathsOf(value[i], [...prefix, i]));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Damage = { at: number; kind: "set" | "delete" | "add"; value: unknown; key: string };

function damage(base: Record<string, unknown>, damages: Damage[]): unknown {
  const order = structuredClone(base);
  for (const d of damages) {
    const paths = pathsOf(order).filter((p) => p.length > 0);
    const path = paths[d.at % paths.length] as Path;
    let parent: unknown = order;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
    const leaf = path[path.length - 1] as string | number;
    const target = parent as Record<string | number, unknown>;
    if (d.kind === "set") target[leaf] = structuredClone(d.value);
    else if (d.kind === "delete") {
      if (Array.isArray(target) && typeof leaf === "number") target.splice(leaf, 1);
      else delete target[leaf];
    } else {
      const host = target[leaf];
      if (host !== null && typeof host === "object" && !Array.isArray(host)) {
        (host as Record<string, unknown>)[d.key] = structuredClone(d.value);
      }
    }
  }
  return order;
}

const damages = fc.array(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom("set", "set", "delete", "add") as fc.Arbitrary<Damage["kind"]>,
    value,
    key: fc.constantFrom("extra", "value", "count", "endTime", "actual", "PACKED", "__proto__"),
  }),
  { maxLength: 6 },
);

describe("order reader = the previous release's zod parse (issue 11)", () => {
  it("reads the documented samples exactly as the zod parse did", () => {
    for (const order of Object.values(SAMPLES)) {
      expectSameAsSchema(order);
      const read = readInboundOrder(order);
      expect(read.ok && read.oddFields).toEqual([]);
    }
  });

  it("random orders: same outcome, same order, same odd fields (fast-check)", () => {
    fc.assert(
      fc.property(randomOrder, (order) => expectSameAsSchema(order)),
      { numRuns: 1_000 },
    );
  });

  it("the documented samples with random damage: same outcome (fast-check)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(SAMPLES)), damages, (base, list) =>
        expectSameAsSchema(damage(base, list)),
      ),
      { numRuns: 1_000 },
    );
  });

  it("any JSON at all: same outcome (fast-check)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (raw) => expectSameAsSchema(raw)),
      { numRuns: 500 },
    );
  });

  it(`refuses an order with ${MAX_ODD_FIELDS} odd values, as the repair loop's bound did; reads one with fewer`, () => {
    const withOdd = (n: number) => ({
      ...SAMPLES.orderView,
      items: Array.from({ length: n }, () => ({ price: { value: "not a number" } })),
    });
    for (const n of [MAX_ODD_FIELDS - 1, MAX_ODD_FIELDS]) expectSameAsSchema(withOdd(n));
    expect(parseInboundOrder(withOdd(MAX_ODD_FIELDS - 1)).ok).toBe(true);
    expect(parseInboundOrder(withOdd(MAX_ODD_FIELDS))).toEqual({
      ok: false,
      reason: "order: could not be read even after dropping odd fields",
    });
  });

  it("names each odd field by its path and the expected form, never the value", () => {
    const secret = "buyer-9876543210";
    const read = readInboundOrder({
      ...SAMPLES.orderView,
      createdAt: secret,
      billing: { phone: { number: secret } },
      items: [{ quantity: { count: secret } }, secret],
      fulfillments: [{ fulfilmentStatusHistory: { [secret]: secret } }],
    });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.oddFields).toEqual([
      { path: "items[].quantity.count", expected: "expected a whole number or a numeric string" },
      { path: "items[]", expected: "expected an object" },
      { path: "billing.phone", expected: "expected a string" },
      { path: "fulfillments[].fulfilmentStatusHistory.{}", expected: "expected an object" },
      {
        path: "createdAt",
        expected: "expected epoch seconds, milliseconds or microseconds (number or digit string) or an ISO-8601 date",
      },
    ]);
    expect(JSON.stringify(read.oddFields)).not.toContain(secret);
    expect(readInboundOrder({ id: { value: secret } })).toEqual({
      ok: false,
      reason: "id: expected a non-empty order id (string)",
    });
  });

  it("does not change its input", () => {
    const raw = { ...structuredClone(SAMPLES.orderView), createdAt: "garbage", items: [null] };
    const before = structuredClone(raw);
    parseInboundOrder(raw);
    expect(raw).toStrictEqual(before);
  });
});
