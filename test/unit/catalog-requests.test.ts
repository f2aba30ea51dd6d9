import { describe, expect, it } from "vitest";
import {
  LISTING_BATCH_SIZE,
  type ListingRow,
  parseListingsRequest,
  parseStoreToggleRequest,
  planListingBatches,
  storeToggleMessage,
} from "../../functions/core/catalog-requests.ts";
import {
  ListingCreateRequestSchema,
  ListingUpdateRequestSchema,
  StoreToggleRequestSchema,
} from "../../functions/pincode/schemas.ts";

const price = (i: number): ListingRow => ({
  type: "PRICE",
  storeId: "S01",
  sku: `SKU-${i}`,
  mrp: 100,
  sellingPrice: 90,
});

describe("parseListingsRequest", () => {
  it("validates every row and names each bad row's field, never its value", () => {
    const parsed = parseListingsRequest({
      listings: [
        price(1),
        { type: "PRICE", storeId: "S01", sku: "A", mrp: 10, sellingPrice: 12.5 },
        { type: "STATUS", storeId: "S01", sku: "B", status: "SECRET-VALUE" },
        { type: "NOPE" },
        { type: "INVENTORY", storeId: "S01", sku: "C", count: 1.5 },
      ],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.rows.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(parsed.message).toContain("listings[1].sellingPrice: expected at most mrp");
    expect(parsed.message).toContain("listings[2].status: expected one of ACTIVE, INACTIVE, DELETED");
    expect(parsed.message).toContain(
      "listings[3].type: expected one of CREATE, PRICE, STATUS, QUANTITY_LIMIT, INVENTORY",
    );
    expect(parsed.message).toContain("listings[4].count: expected a whole number");
    expect(parsed.message).not.toContain("SECRET-VALUE");
  });

  it("produces messages that pass the strict outbound schemas", () => {
    const rows: ListingRow[] = [
      {
        type: "CREATE",
        storeId: "S01",
        sku: "N1",
        psin: "U1",
        mrp: 202.32,
        sellingPrice: 189,
        count: 10,
        status: "ACTIVE",
        ean: "890",
      },
      price(2),
      { type: "STATUS", storeId: "S01", sku: "N3", status: "DELETED" },
      { type: "QUANTITY_LIMIT", storeId: "S01", sku: "N4", maxOrderQuantity: 4 },
      { type: "INVENTORY", storeId: "S01", sku: "N5", count: 0 },
    ];
    const parsed = parseListingsRequest({ listings: rows });
    expect(parsed.ok).toBe(true);
    const batches = planListingBatches(rows, (b, p) => `M-${b}-${p}`);
    expect(batches.map((b) => [b.operation, b.rows])).toEqual([
      ["CREATE", [0]],
      ["PARTIAL_UPDATE", [1, 2, 3, 4]],
    ]);
    const [create, update] = batches;
    const ctx = { requestId: "R1", transactionId: "R1" };
    expect(ListingCreateRequestSchema.safeParse({ requestContext: ctx, messages: create?.messages }).success).toBe(
      true,
    );
    expect(ListingUpdateRequestSchema.safeParse({ requestContext: ctx, messages: update?.messages }).success).toBe(
      true,
    );
  });

  it("splits by store and into batches of the chosen size, keeping row order", () => {
    const rows = Array.from({ length: 2 * LISTING_BATCH_SIZE + 3 }, (_, i) => ({
      ...price(i),
      storeId: i % 2 ? "S02" : "S01",
    }));
    const batches = planListingBatches(rows, (b, p) => `M-${b}-${p}`);
    expect(batches.every((b) => b.messages.length <= LISTING_BATCH_SIZE)).toBe(true);
    expect(batches.flatMap((b) => b.rows).sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
    for (const batch of batches) {
      expect(new Set(batch.messages.map((m) => m.serviceProviderId))).toEqual(new Set([batch.storeId]));
      expect(batch.rows).toEqual([...batch.rows].sort((a, b) => a - b));
    }
  });
});

describe("parseStoreToggleRequest", () => {
  const now = 1_700_000_000_000;
  it("allows validTill only with DISABLED and only in the future", () => {
    expect(parseStoreToggleRequest({ status: "DISABLED", validTill: now + 60_000 }, now).ok).toBe(true);
    expect(parseStoreToggleRequest({ status: "ENABLED" }, now).ok).toBe(true);
    const enabled = parseStoreToggleRequest({ status: "ENABLED", validTill: now + 1 }, now);
    expect(enabled.ok || enabled.message).toBe("validTill: only allowed with status DISABLED");
    const past = parseStoreToggleRequest({ status: "DISABLED", validTill: now - 1 }, now);
    expect(past.ok || past.message).toContain("validTill: expected a future time in epoch milliseconds");
    const bad = parseStoreToggleRequest({ status: "OPEN" }, now);
    expect(bad.ok || bad.message).toBe("status: expected one of ENABLED, DISABLED");
  });

  it("builds exactly one message per request that passes the strict schema", () => {
    const message = storeToggleMessage("S01", { status: "DISABLED", validTill: now + 1 }, "M1");
    expect(
      StoreToggleRequestSchema.safeParse({ requestContext: { requestId: "R1" }, messages: [message] }).success,
    ).toBe(true);
  });
});
