/**
 * A listings file (CSV or JSON) read in the browser into the rows the seller API's `POST /v1/listings` takes, and
 * split into requests of Pincode's batch size. Pure.
 */
import { CsvError, chunk, parseCsv } from "./csv.ts";

/** PINCODE-API §2.4: at most 100 messages per catalog request. */
export const LISTINGS_BATCH = 100;

export interface ListingFile {
  rows: Array<Record<string, unknown>>;
  /** Where each row came from, for the outcome table ("line 7", "item 3"). */
  origins: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** CSV cells are text; numbers and booleans become JSON values, so a CSV row and a JSON row read the same. */
export function cellValue(cell: string): unknown {
  const t = cell.trim();
  if (t === "") return undefined;
  if (/^-?\d+(\.\d+)?$/.test(t) && !/^0\d/.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  return t;
}

/** Dotted headers (`price.mrp`) build nested objects. */
function nest(row: Record<string, string>): Json {
  const out: Json = {};
  for (const [header, cell] of Object.entries(row)) {
    const value = cellValue(cell);
    if (value === undefined) continue;
    const path = header.split(".");
    let target = out;
    path.slice(0, -1).forEach((part) => {
      if (!isObject(target[part])) target[part] = {};
      target = target[part] as Json;
    });
    target[path[path.length - 1] ?? header] = value;
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
  return { rows: table.rows.map(nest), origins: table.lines.map((l) => `line ${l}`) };
}

export const batches = <T>(rows: readonly T[]) => chunk(rows, LISTINGS_BATCH);
