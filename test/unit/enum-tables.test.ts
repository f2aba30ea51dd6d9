/**
 * Two readers of one contract (STYLE.md): the bridge's outbound schemas (functions/pincode/schemas.ts) and the sandbox's
 * own reading (sandbox/contract.ts) are each held against the doc pages' own dated tables, copied verbatim into
 * test/fixtures/pincode/*.txt. A reason Pincode adds by date is added to the fixture, and both sides must follow.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CANCEL_REASONS,
  describeIssues,
  EXTRA_REASON_ENV,
  extendReasonTables,
  extendReasonTablesFromEnv,
  ITEM_UNIT_REASONS,
  ORDER_ACCEPTANCE_STATUSES,
  ORDER_STATES,
  OrderUpdateRequestSchema,
  reasonTables,
  SELLER_FULFILLMENT_STATES,
  SORT_ORDERS,
} from "../../functions/pincode/schemas.ts";
import {
  SANDBOX_ACCEPTANCE_STATUSES,
  SANDBOX_CANCEL_REASONS,
  SANDBOX_ITEM_UNIT_REASONS,
  SANDBOX_ORDER_STATES,
  SANDBOX_SELLER_FULFILMENT_STATES,
  SANDBOX_SORT_ORDERS,
  SandboxOrderUpdateRequestSchema,
} from "../../sandbox/contract.ts";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "pincode");
const lines = (name: string) => readFileSync(join(FIXTURES, name), "utf8").split("\n");

/** The doc's tables, read from the verbatim excerpt. */
function docTables() {
  const update = lines("order-update-reason-tables.txt");
  const cancelStart = update.findIndex((l) => l.includes("ORDER_STATE_UPDATE"));
  const itemRows = update
    .slice(0, cancelStart)
    .map((l) => /^(\d{2}\/\d{2}\/\d{4}) ([A-Z_]+)$/.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => ({ added: m[1] as string, reason: m[2] as string }));
  const cancelRows = update
    .slice(cancelStart)
    .map((l) => /^(\d{2}\/\d{2}\/\d{4}) CANCELLED ([A-Z_]+)$/.exec(l.trim()))
    .filter((m) => m !== null)
    .map((m) => ({ added: m[1] as string, reason: m[2] as string }));
  const valid = (label: string) =>
    (update.find((l) => l.includes(`Valid ${label}:`)) ?? "").split(":")[1]?.trim().split("/") ?? [];
  const store = lines("store-toggle-and-poll-enums.txt");
  const statusAt = store.findIndex((l) => l.startsWith("messages[0].data.orderAcceptance.status Enum"));
  const acceptance = [store[statusAt] ?? "", store[statusAt + 1] ?? ""].map(
    (l) => (/(DISABLED|ENABLED):/.exec(l) ?? [])[1],
  );
  const sort = /\(([A-Z]+)\/([A-Z]+)\)/.exec(store.find((l) => l.startsWith("sortOrder Enum")) ?? "");
  return {
    itemRows,
    cancelRows,
    fulfilmentStates: valid("fulfillmentState"),
    orderStates: valid("orderState"),
    acceptance,
    sortOrders: sort ? [sort[1], sort[2]] : [],
  };
}

const update = (action: Record<string, unknown>) => ({
  requestContext: { requestId: "R1", transactionId: "OD1", actionType: "UPDATE" },
  orderId: "OD1",
  actions: [action],
});

describe("enum tables against the doc's dated tables", () => {
  const doc = docTables();

  it("reads the fixture's tables (a guard against a silently empty parse)", () => {
    expect(doc.itemRows).toHaveLength(10);
    expect(doc.cancelRows).toHaveLength(19);
    expect(doc.cancelRows.filter((r) => r.added === "27/09/2024").map((r) => r.reason)).toEqual([
      "INVALID_PRESCRIPTION",
      "FRAUD_PRESCRIPTION",
    ]);
  });

  it("the bridge's tables are exactly the doc's", () => {
    expect([...ITEM_UNIT_REASONS]).toEqual(doc.itemRows.map((r) => r.reason));
    expect([...CANCEL_REASONS]).toEqual(doc.cancelRows.map((r) => r.reason));
    expect([...SELLER_FULFILLMENT_STATES]).toEqual(doc.fulfilmentStates);
    expect([...ORDER_STATES]).toEqual(doc.orderStates);
    expect([...ORDER_ACCEPTANCE_STATUSES].sort()).toEqual([...doc.acceptance].sort());
    expect([...SORT_ORDERS]).toEqual(doc.sortOrders);
  });

  it("the sandbox's own tables are exactly the doc's, dates included", () => {
    expect(SANDBOX_ITEM_UNIT_REASONS).toEqual(doc.itemRows);
    expect(SANDBOX_CANCEL_REASONS).toEqual(doc.cancelRows);
    expect([...SANDBOX_SELLER_FULFILMENT_STATES]).toEqual(doc.fulfilmentStates);
    expect([...SANDBOX_ORDER_STATES]).toEqual(doc.orderStates);
    expect([...SANDBOX_ACCEPTANCE_STATUSES].sort()).toEqual([...doc.acceptance].sort());
    expect([...SANDBOX_SORT_ORDERS]).toEqual(doc.sortOrders);
  });

  it("both sides accept every documented reason and refuse one the doc does not list", () => {
    for (const { reason } of doc.cancelRows) {
      const body = update({ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason });
      expect(OrderUpdateRequestSchema.safeParse(body).success, reason).toBe(true);
      expect(SandboxOrderUpdateRequestSchema.safeParse(body).success, reason).toBe(true);
    }
    for (const { reason } of doc.itemRows) {
      const body = update({ type: "ITEM_UNIT_UPDATE", itemId: "I1", itemUnits: 1, reason });
      expect(OrderUpdateRequestSchema.safeParse(body).success, reason).toBe(true);
      expect(SandboxOrderUpdateRequestSchema.safeParse(body).success, reason).toBe(true);
    }
    const undocumented = update({ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "MERCHANT_REJECTED" });
    expect(OrderUpdateRequestSchema.safeParse(undocumented).success).toBe(false);
    expect(SandboxOrderUpdateRequestSchema.safeParse(undocumented).success).toBe(false);
  });
});

describe("reason tables extended per stage", () => {
  it("accepts a stage's extra reasons on the bridge side only, and refuses a malformed list naming the variable", () => {
    const body = update({ type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "PHARMACIST_UNAVAILABLE" });
    expect(OrderUpdateRequestSchema.safeParse(body).success).toBe(false);

    extendReasonTablesFromEnv({ [EXTRA_REASON_ENV.cancel]: "PHARMACIST_UNAVAILABLE", [EXTRA_REASON_ENV.item]: "" });

    expect(OrderUpdateRequestSchema.safeParse(body).success).toBe(true);
    expect(reasonTables().cancelReasons.at(-1)).toBe("PHARMACIST_UNAVAILABLE");
    // The sandbox keeps its own reading: a stage addition is the bridge's bet, not the doc's.
    expect(SandboxOrderUpdateRequestSchema.safeParse(body).success).toBe(false);
    const bad = update({ type: "ITEM_UNIT_UPDATE", itemId: "I1", itemUnits: 1, reason: "PHARMACIST_UNAVAILABLE" });
    expect(describeIssues(OrderUpdateRequestSchema.safeParse(bad).error!)).toMatch(/^actions\[0\]\.reason: expected/);

    expect(() => extendReasonTablesFromEnv({ [EXTRA_REASON_ENV.item]: "lower case" })).toThrow(
      /^PINCODE_EXTRA_ITEM_REASONS: expected a comma-separated list of UPPER_SNAKE_CASE reasons$/,
    );
    expect(() => extendReasonTables({ itemReasons: ["bad reason"] })).toThrow(/UPPER_SNAKE_CASE/);
  });
});
