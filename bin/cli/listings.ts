/**
 * `listings push` input: a CSV (header row) or JSON file of listing rows -> the seller API's `POST /v1/listings` rows
 * (`{type, storeId, sku, ...}`, functions/core/catalog-requests.ts), each with its row number and a fingerprint so a
 * re-run can tell a done row from a changed one. Pure: the caller reads the file.
 *
 * CSV columns (header names, any order, case-insensitive): type, storeId, sku, psin, mrp, sellingPrice, count,
 * status, maxOrderQuantity, ean, sellerCode. An empty cell is an absent field. `type` is CREATE, PRICE, STATUS,
 * QUANTITY_LIMIT or INVENTORY (any case, `-` or `_`). Numbers are plain decimals (rupees for prices).
 */
import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";

export const LISTING_COLUMNS = [
  "type",
  "storeId",
  "sku",
  "psin",
  "mrp",
  "sellingPrice",
  "count",
  "status",
  "maxOrderQuantity",
  "ean",
  "sellerCode",
] as const;
const NUMBER_COLUMNS = new Set(["mrp", "sellingPrice", "count", "maxOrderQuantity"]);
const UPPER_COLUMNS = new Set(["type", "status"]);

export interface InputRow {
  /** 1-based data row (the CSV line is row + 1 when no field spans lines). */
  row: number;
  /** The API row, or undefined when the row could not be read. */
  listing?: Record<string, unknown>;
  /** Why the row could not be read (field and expected form, never the value). */
  problem?: string;
  /** sha256 of the API row: a changed row is pushed again. */
  fingerprint: string;
}

export type ParsedInput = { ok: true; rows: InputRow[] } | { ok: false; message: string };

const canonicalColumn = new Map(LISTING_COLUMNS.map((c) => [c.toLowerCase(), c]));

export function fingerprint(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 32);
}

function normaliseType(value: string): string {
  return value.trim().replace(/[-\s]/g, "_").toUpperCase();
}

/** One CSV record (header -> cell) -> an API row; numbers parsed, empty cells dropped. */
export function listingFromCells(
  cells: Record<string, string>,
  defaults: { storeId?: string } = {},
): { listing?: Record<string, unknown>; problem?: string } {
  const listing: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(cells)) {
    const column = canonicalColumn.get(name.trim().toLowerCase());
    const value = raw.trim();
    if (value === "") continue;
    if (!column)
      return { problem: `column "${name.slice(0, 40)}": not a listing column; expected ${LISTING_COLUMNS.join(", ")}` };
    if (NUMBER_COLUMNS.has(column)) {
      if (!/^-?\d+(\.\d+)?$/.test(value)) return { problem: `${column}: expected a number like 189 or 202.32` };
      listing[column] = Number(value);
    } else if (column === "type") {
      listing.type = normaliseType(value);
    } else {
      listing[column] = UPPER_COLUMNS.has(column) ? value.toUpperCase() : value;
    }
  }
  if (listing.storeId === undefined && defaults.storeId) listing.storeId = defaults.storeId;
  if (listing.type === undefined)
    return { problem: "type: expected CREATE, PRICE, STATUS, QUANTITY_LIMIT or INVENTORY" };
  return { listing };
}

export function parseCsvListings(text: string, defaults: { storeId?: string } = {}): ParsedInput {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, bom: true, trim: false, relax_column_count: false });
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    return {
      ok: false,
      message: `the CSV cannot be read${line ? ` at line ${line}` : ""}: ${(error as { code?: string }).code ?? "syntax error"}`,
    };
  }
  return { ok: true, rows: records.map((cells, i) => toInputRow(i + 1, listingFromCells(cells, defaults))) };
}

export function parseJsonListings(text: string, defaults: { storeId?: string } = {}): ParsedInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "the JSON file is not valid JSON" };
  }
  const list = Array.isArray(value)
    ? value
    : typeof value === "object" && value !== null && Array.isArray((value as { listings?: unknown }).listings)
      ? (value as { listings: unknown[] }).listings
      : undefined;
  if (!list) return { ok: false, message: 'the JSON file must hold an array of listing rows, or {"listings": [...]}' };
  return {
    ok: true,
    rows: list.map((raw, i) => {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        return toInputRow(i + 1, { problem: "expected an object with type, storeId, sku, ..." });
      }
      const listing = { ...(raw as Record<string, unknown>) };
      if (typeof listing.type === "string") listing.type = normaliseType(listing.type);
      if (listing.storeId === undefined && defaults.storeId) listing.storeId = defaults.storeId;
      return toInputRow(i + 1, { listing });
    }),
  };
}

function toInputRow(row: number, parsed: { listing?: Record<string, unknown>; problem?: string }): InputRow {
  return {
    row,
    ...(parsed.listing ? { listing: parsed.listing } : {}),
    ...(parsed.problem ? { problem: parsed.problem } : {}),
    fingerprint: fingerprint(parsed.listing ?? { problem: parsed.problem, row }),
  };
}

export function parseListingsFile(name: string, text: string, defaults: { storeId?: string } = {}): ParsedInput {
  if (/\.json$/i.test(name)) return parseJsonListings(text, defaults);
  if (/\.csv$/i.test(name)) return parseCsvListings(text, defaults);
  return { ok: false, message: "the file must end in .csv or .json" };
}

/** Splits rows into requests of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The idempotency key of one request: derived from its rows' fingerprints, so a re-run after a crash sends the same
 * key with the same body and gets the same command back instead of a second one (COMMAND_ID_FORM: [A-Za-z0-9_.:-]).
 */
export function requestKey(rows: readonly InputRow[]): string {
  return `push-${fingerprint(rows.map((r) => [r.row, r.fingerprint]))}`;
}

/** Where a row stands after a push. */
export type RowStatus = "SUBMITTED" | "SUCCEEDED" | "WARNING" | "REJECTED" | "FAILED" | "INVALID" | "PENDING";

export interface RowOutcome {
  row: number;
  type?: string;
  storeId?: string;
  sku?: string;
  status: RowStatus;
  commandId?: string;
  submissionId?: string;
  message?: string;
}

/** The rows a submission view reports, mapped back from request positions to file rows. */
export function outcomesFromSubmission(
  submission: {
    submissionId?: string;
    status?: string;
    messages?: { row?: number; outcome?: string; issues?: { code?: string | null; message?: string | null }[] }[];
    error?: { errorCode?: string | null; message?: string | null; reason?: string } | null;
  },
  requestRows: readonly number[],
): Map<number, { status: RowStatus; message?: string }> {
  const out = new Map<number, { status: RowStatus; message?: string }>();
  for (const message of submission.messages ?? []) {
    const fileRow = message.row === undefined ? undefined : requestRows[message.row];
    if (fileRow === undefined) continue;
    const outcome = (message.outcome ?? "PENDING").toUpperCase();
    const status: RowStatus = ["SUCCEEDED", "WARNING", "REJECTED", "FAILED", "PENDING"].includes(outcome)
      ? (outcome as RowStatus)
      : "PENDING";
    const issues = (message.issues ?? [])
      .map((i) => [i.code, i.message].filter(Boolean).join(" "))
      .filter(Boolean)
      .join("; ");
    const error =
      submission.status === "REJECTED" || submission.status === "FAILED"
        ? [submission.error?.errorCode, submission.error?.message ?? submission.error?.reason].filter(Boolean).join(" ")
        : "";
    const text = issues || error;
    out.set(fileRow, { status, ...(text ? { message: text } : {}) });
  }
  return out;
}

export function summarise(outcomes: readonly RowOutcome[]): Record<RowStatus, number> {
  const counts: Record<RowStatus, number> = {
    SUCCEEDED: 0,
    WARNING: 0,
    SUBMITTED: 0,
    PENDING: 0,
    REJECTED: 0,
    FAILED: 0,
    INVALID: 0,
  };
  for (const o of outcomes) counts[o.status]++;
  return counts;
}

/** CSV of the per-row outcome report. */
export function outcomesCsv(outcomes: readonly RowOutcome[]): string {
  const columns = ["row", "type", "storeId", "sku", "status", "commandId", "submissionId", "message"] as const;
  const quote = (v: unknown) => {
    const s = v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[columns.join(","), ...outcomes.map((o) => columns.map((c) => quote(o[c])).join(","))].join("\n")}\n`;
}
