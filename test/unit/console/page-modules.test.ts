/** The console's other pure modules: countdowns, money, CSV and listing files, command outcomes, the chart. */
import { describe, expect, it } from "vitest";
import { stackedBars } from "../../../console/web/src/chart.ts";
import { CsvError, parseCsv } from "../../../console/web/src/csv.ts";
import { age, countdown, duration, rupees } from "../../../console/web/src/format.ts";
import { batches, LISTINGS_BATCH, readListingFile } from "../../../console/web/src/listings.ts";
import { describeCommand } from "../../../console/web/src/outcome.ts";
import { isSettled, readSubmission, submissionIds } from "../../../console/web/src/submission-view.ts";

const NOW = 1_722_572_000_000;

describe("countdown to Pincode's promised time", () => {
  it("counts down, then turns late once the promised time has passed", () => {
    expect(countdown(NOW + 12 * 60_000, NOW)).toEqual({ text: "12 min left", late: false });
    expect(countdown(NOW, NOW)).toEqual({ text: "0 s left", late: false });
    expect(countdown(NOW - 5 * 60_000 - 1, NOW)).toEqual({ text: "5 min late", late: true });
    expect(countdown(NOW - (2 * 3_600_000 + 5 * 60_000), NOW)).toEqual({ text: "2 h 5 min late", late: true });
    expect(countdown(null, NOW)).toBeNull();
  });

  it("formats ages and rupees from paise", () => {
    expect(age(NOW - 45_000, NOW)).toBe("45 s");
    expect(age(null, NOW)).toBe("—");
    expect(duration(26 * 3_600_000)).toBe("1 d 2 h");
    expect(rupees(123_456)).toBe("₹1,234.56");
    expect(rupees(null)).toBe("—");
  });
});

describe("CSV in the browser", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, CRLF and a BOM", () => {
    const table = parseCsv(
      '\uFEFFsku,title,price.mrp\r\nA-1,"Atta, 5 kg",30000\r\nB-2,"He said ""fresh""\nand new",12000\r\n',
    );
    expect(table.header).toEqual(["sku", "title", "price.mrp"]);
    expect(table.rows).toEqual([
      { sku: "A-1", title: "Atta, 5 kg", "price.mrp": "30000" },
      { sku: "B-2", title: 'He said "fresh"\nand new', "price.mrp": "12000" },
    ]);
    expect(table.lines).toEqual([2, 3]);
  });

  it("names the line of a bad row, never its values", () => {
    const bad = () => parseCsv("sku,title\nA-1,secret-value,extra\n");
    expect(bad).toThrow(CsvError);
    expect(bad).toThrow("line 2: 3 fields; expected 2");
    expect(() => parseCsv("sku,title\nA-1,secret-value,extra\n")).not.toThrow(/secret-value/);
    expect(() => parseCsv('sku\n"open')).toThrow("line 2: a quoted field is not closed");
    expect(() => parseCsv("")).toThrow("empty");
    expect(() => parseCsv("sku,sku\nA,B")).toThrow('column "sku" appears twice');
  });

  it("turns a CSV into the seller API's listing rows, the same as the equivalent JSON", () => {
    const csv = readListingFile(
      "l.csv",
      "type,storeId,sku,psin,mrp,sellingPrice,count,status,ean\nCREATE,S01,00123,U0000000000000000000001,30000,28000,5,ACTIVE,\n",
    );
    const json = readListingFile(
      "l.json",
      JSON.stringify({
        listings: [
          {
            type: "CREATE",
            storeId: "S01",
            sku: "00123",
            psin: "U0000000000000000000001",
            mrp: 30000,
            sellingPrice: 28000,
            count: 5,
            status: "ACTIVE",
          },
        ],
      }),
    );
    expect(csv.rows).toEqual(json.rows); // sku stays text (leading zeros), the empty ean is left out
    expect(csv.origins).toEqual(["line 2"]);
    expect(json.origins).toEqual(["item 1"]);
    expect(() => readListingFile("l.json", "{")).toThrow("not valid JSON");
    expect(() => readListingFile("l.json", '{"x":1}')).toThrow('expected an array of listings or {"listings": [...]}');
  });

  it("splits 250 rows into Pincode batches of 100", () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ i }));
    expect(batches(rows).map((b) => b.length)).toEqual([LISTINGS_BATCH, LISTINGS_BATCH, 50]);
  });
});

describe("command outcomes in words", () => {
  it("says what Pincode said when it refused", () => {
    // The seller API's command view (functions/adapters/command-repository.ts CommandView).
    const outcome = describeCommand({
      commandId: "c-1",
      status: "REJECTED",
      outcome: {
        errorCode: "ACTION_NOT_ALLOWED",
        message: "order cannot move from CREATED to COMPLETED",
        httpStatus: 400,
      },
      lastError: null,
    });
    expect(outcome).toMatchObject({ tone: "refused", done: true });
    expect(outcome.text).toContain("ACTION_NOT_ALLOWED");
    expect(outcome.text).toContain("not allowed in the order's current state");
    expect(outcome.text).toContain("order cannot move from CREATED to COMPLETED");
  });

  it("tells success, failure and waiting apart", () => {
    expect(describeCommand({ status: "SUCCEEDED" })).toMatchObject({ tone: "ok", done: true });
    expect(describeCommand({ status: "FAILED", outcome: { reason: "Pincode kept answering 500" } })).toMatchObject({
      tone: "failed",
      text: "Failed: Pincode kept answering 500. Try again.",
    });
    expect(describeCommand({ status: "QUEUED" })).toMatchObject({ tone: "pending", done: false });
    expect(describeCommand({ status: "SENT" })).toMatchObject({ tone: "pending", done: false });
    expect(describeCommand(undefined)).toMatchObject({ done: false });
  });

  it("reads a submission's per-row outcome and Pincode's issues", () => {
    // The seller API's submission view (functions/adapters/submission-repository.ts SubmissionView).
    const s = readSubmission({
      submissionId: "c-1.1",
      status: "COMPLETED",
      messages: [
        { messageId: "c-1.1.1", row: 0, outcome: "SUCCEEDED", issues: [] },
        {
          messageId: "c-1.1.2",
          row: 1,
          outcome: "FAILED",
          issues: [{ code: "90101", severity: "ERROR", message: "psin not found" }],
        },
      ],
      error: null,
    });
    expect(isSettled(s)).toBe(true);
    expect(s.messages.map((m) => [m.row, m.outcome, m.issues.map((i) => i.code)])).toEqual([
      [0, "SUCCEEDED", []],
      [1, "FAILED", ["90101"]],
    ]);
    expect(isSettled(readSubmission({ submissionId: "x", status: "PENDING", messages: [] }))).toBe(false);
    expect(submissionIds({ submissions: [{ submissionId: "a" }, { submissionId: "b" }] })).toEqual(["a", "b"]);
    expect(submissionIds({ submissionId: "c", status: "PENDING" })).toEqual(["c"]);
  });
});

describe("orders-per-minute chart", () => {
  it("stacks callback and poll bars per minute, scaled to the busiest minute", () => {
    const { bars, max, buckets } = stackedBars(
      { from: NOW, bucketMs: 60_000, series: { callback: [2, 0, 1], poll: [2, 1, 0] } },
      { width: 300, height: 100 },
      ["callback", "poll", "command"],
    );
    expect(buckets).toBe(3);
    expect(max).toBe(4);
    expect(bars.map((b) => [b.channel, b.bucket, b.height])).toEqual([
      ["callback", 0, 50],
      ["poll", 0, 50],
      ["poll", 1, 25],
      ["callback", 2, 25],
    ]);
    expect(bars[1]?.y).toBe(0); // the top of the busiest minute's stack reaches the top
  });
});
