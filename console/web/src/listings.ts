/**
 * A listings file (CSV or JSON) read in the browser into the rows the seller API's `POST /v1/listings` takes, and
 * split into requests of Pincode's batch size. Pure.
 */
import { CsvError, chunk, parseCsv } from "./csv.ts";

/**
 * Rows per seller-API request: the API takes up to 500 (and splits them into Pincode requests itself); 100 keeps
 * the progress bar moving and one refused request small.
 */
export const LISTINGS_BATCH = 100;

export interface ListingFile {
  rows: Array<Record<string, unknown>>;
  /** Where each row came from, for the outcome table ("line 7", "item 3"). */
  origins: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The seller API's numeric listing fields (functions/core/catalog-requests.ts); every other cell stays text. */
const NUMERIC_FIELDS = new Set(["mrp", "sellingPrice", "count", "maxOrderQuantity"]);

/**
 * A CSV row as the seller API's listing row (`{type, storeId, sku, ...}`, one header per field): empty cells are
 * left out, numeric fields become numbers (a cell that is not a number is sent as text, so the API names the field).
 */
export function csvRow(row: Record<string, string>): Json {
  const out: Json = {};
  for (const [header, cell] of Object.entries(row)) {
    const value = cell.trim();
    if (value === "") continue;
    out[header] = NUMERIC_FIELDS.has(header) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }
  return out;
}

export function readListingFile(name: string, text: string): ListingFile {
  if (/\.json$/i.test(name) || text.trimStart().startsWith("[") || text.trimStart().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CsvError('the file is not valid JSON; expected an array of listings or {"listings": [...]}');
    }
    const list = Array.isArray(parsed)
      ? parsed
      : isObject(parsed) && Array.isArray(parsed.listings)
        ? parsed.listings
        : isObject(parsed) && Array.isArray(parsed.rows)
          ? parsed.rows
          : null;
    if (!list) throw new CsvError('expected an array of listings or {"listings": [...]}');
    const bad = list.findIndex((r) => !isObject(r));
    if (bad >= 0) throw new CsvError(`item ${bad + 1}: expected an object`);
    if (list.length === 0) throw new CsvError("the file has no listings");
    return { rows: list as Json[], origins: list.map((_, i) => `item ${i + 1}`) };
  }
  const table = parseCsv(text);
  return { rows: table.rows.map(csvRow), origins: table.lines.map((l) => `line ${l}`) };
}

export const batches = <T>(rows: readonly T[]) => chunk(rows, LISTINGS_BATCH);
