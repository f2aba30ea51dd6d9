import { describe, expect, it } from "vitest";
import {
  fingerprint,
  outcomesCsv,
  outcomesFromSubmission,
  parseCsvListings,
  parseJsonListings,
  parseListingsFile,
  requestKey,
  summarise,
} from "../../bin/cli/listings.ts";

const HEADER = "type,storeId,sku,psin,mrp,sellingPrice,count,status,maxOrderQuantity";

describe("listing rows from CSV", () => {
  it("turns each row into the API's row: numbers parsed, empty cells absent, enums upper-cased", () => {
    const parsed = parseCsvListings(
      `${HEADER}\ncreate,S01,SKU-1,U123,202.32,189,10,,4\nprice,S01,SKU-2,,250,199,,,\nquantity-limit,S01,SKU-3,,,,,,2\nstatus,S01,SKU-4,,,,,inactive,\n`,
    );
    expect(parsed.ok && parsed.rows.map((r) => r.listing)).toEqual([
      {
        type: "CREATE",
        storeId: "S01",
        sku: "SKU-1",
        psin: "U123",
        mrp: 202.32,
        sellingPrice: 189,
        count: 10,
        maxOrderQuantity: 4,
      },
      { type: "PRICE", storeId: "S01", sku: "SKU-2", mrp: 250, sellingPrice: 199 },
      { type: "QUANTITY_LIMIT", storeId: "S01", sku: "SKU-3", maxOrderQuantity: 2 },
      { type: "STATUS", storeId: "S01", sku: "SKU-4", status: "INACTIVE" },
    ]);
    expect(parsed.ok && parsed.rows.map((r) => r.row)).toEqual([1, 2, 3, 4]);
  });

  it("fills the store from --store and names a bad cell by column, never by value", () => {
    const parsed = parseCsvListings("type,sku,mrp,sellingPrice,colour\nPRICE,A,12x,10,\nPRICE,B,12,10,red\n", {
      storeId: "S09",
    });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.rows[0]?.problem).toBe("mrp: expected a number like 189 or 202.32");
    expect(parsed.rows[0]?.problem).not.toContain("12x");
    expect(parsed.rows[1]?.problem).toMatch(/^column "colour": not a listing column; expected type, storeId/);
    const ok = parseCsvListings("type,sku,count\nINVENTORY,A,5\n", { storeId: "S09" });
    expect(ok.ok && ok.rows[0]?.listing).toEqual({ type: "INVENTORY", sku: "A", count: 5, storeId: "S09" });
  });

  it("refuses a CSV it cannot read with the line, and a file of another kind", () => {
    const broken = parseCsvListings(`${HEADER}\nCREATE,S01,"unterminated\n`);
    expect(broken.ok).toBe(false);
    expect(parseListingsFile("rows.txt", "x").ok).toBe(false);
  });

  it("reads JSON as an array or {listings: [...]}", () => {
    const rows = [{ type: "inventory", storeId: "S01", sku: "A", count: 3 }];
    const a = parseJsonListings(JSON.stringify(rows));
    const b = parseJsonListings(JSON.stringify({ listings: rows }));
    expect(a.ok && a.rows[0]?.listing).toEqual({ type: "INVENTORY", storeId: "S01", sku: "A", count: 3 });
    expect(b.ok && b.rows[0]?.fingerprint).toBe(a.ok && a.rows[0]?.fingerprint);
    expect(parseJsonListings('{"rows": []}').ok).toBe(false);
  });
});

describe("resuming", () => {
  it("gives a changed row a new fingerprint and a request the same key for the same rows", () => {
    expect(fingerprint({ sku: "A", count: 1 })).not.toBe(fingerprint({ sku: "A", count: 2 }));
    const parsed = parseCsvListings("type,storeId,sku,count\nINVENTORY,S01,A,1\nINVENTORY,S01,B,2\n");
    if (!parsed.ok) throw new Error(parsed.message);
    const key = requestKey(parsed.rows);
    expect(requestKey(parsed.rows)).toBe(key);
    expect(requestKey(parsed.rows.slice(0, 1))).not.toBe(key);
    // The seller API's command id form: 1-100 of A-Z a-z 0-9 _ . : -
    expect(key).toMatch(/^[A-Za-z0-9_.:-]{1,100}$/);
  });
});

describe("per-row outcomes", () => {
  it("maps a submission's messages back to file rows with Pincode's issues", () => {
    const outcomes = outcomesFromSubmission(
      {
        submissionId: "sub-1",
        status: "COMPLETED",
        messages: [
          { row: 0, outcome: "SUCCEEDED", issues: [] },
          { row: 1, outcome: "FAILED", issues: [{ code: "90221", message: "sellingPrice above mrp" }] },
          { row: 2, outcome: "PENDING" },
        ],
      },
      [7, 9, 12],
    );
    expect([...outcomes]).toEqual([
      [7, { status: "SUCCEEDED" }],
      [9, { status: "FAILED", message: "90221 sellingPrice above mrp" }],
      [12, { status: "PENDING" }],
    ]);
  });

  it("counts statuses and writes a CSV report that quotes what needs quoting", () => {
    const outcomes = [
      { row: 1, sku: "A", status: "SUCCEEDED" as const },
      { row: 2, sku: "B,2", status: "INVALID" as const, message: 'mrp: expected a "number"' },
    ];
    expect(summarise(outcomes)).toMatchObject({ SUCCEEDED: 1, INVALID: 1, REJECTED: 0 });
    expect(outcomesCsv(outcomes).split("\n")).toEqual([
      "row,type,storeId,sku,status,commandId,submissionId,message",
      "1,,,A,SUCCEEDED,,,",
      '2,,,"B,2",INVALID,,,"mrp: expected a ""number"""',
      "",
    ]);
  });
});
