/**
 * The seller's catalog and store requests (issue 9): validation of `POST /v1/listings` rows and
 * `POST /v1/stores/{storeId}/availability`, and their translation into Pincode messages (PINCODE-API §2.4–§2.6),
 * split into requests of at most LISTING_BATCH_SIZE messages. Pure: no I/O; messages never carry values.
 */
import { LISTING_STATUSES } from "#pincode/schemas.ts";
import { checkCommandId, type Validation } from "./order-actions.ts";

/**
 * Messages per Listing request. Pincode documents no maximum (PINCODE-API §2.5: "maximum number of messages per
 * request not documented"); its sample sends 4. 50 is a conservative pick: small enough that one refused request
 * costs little, large enough that a 500-row push is 10 calls at the catalog family's 1 call/s.
 */
export const LISTING_BATCH_SIZE = 50;
/** Rows per seller API request (the CLI splits larger files). */
export const MAX_LISTING_ROWS = 500;

export const LISTING_ROW_TYPES = ["CREATE", "PRICE", "STATUS", "QUANTITY_LIMIT", "INVENTORY"] as const;
export type ListingRowType = (typeof LISTING_ROW_TYPES)[number];

export type ListingRow =
  | {
      type: "CREATE";
      storeId: string;
      sku: string;
      psin: string;
      mrp: number;
      sellingPrice: number;
      count: number;
      status: "ACTIVE" | "INACTIVE";
      maxOrderQuantity?: number;
      ean?: string;
      sellerCode?: string;
    }
  | { type: "PRICE"; storeId: string; sku: string; mrp: number; sellingPrice: number }
  | { type: "STATUS"; storeId: string; sku: string; status: (typeof LISTING_STATUSES)[number] }
  | { type: "QUANTITY_LIMIT"; storeId: string; sku: string; maxOrderQuantity: number }
  | { type: "INVENTORY"; storeId: string; sku: string; count: number };

export interface ListingsRequest {
  commandId?: string;
  listings: ListingRow[];
}

export interface RowProblem {
  index: number;
  message: string;
}

export type ListingsValidation =
  | { ok: true; value: ListingsRequest }
  | { ok: false; message: string; rows: RowProblem[] };

const FIELDS: Record<ListingRowType, { required: readonly string[]; optional: readonly string[] }> = {
  CREATE: {
    required: ["type", "storeId", "sku", "psin", "mrp", "sellingPrice", "count"],
    optional: ["status", "maxOrderQuantity", "ean", "sellerCode"],
  },
  PRICE: { required: ["type", "storeId", "sku", "mrp", "sellingPrice"], optional: [] },
  STATUS: { required: ["type", "storeId", "sku", "status"], optional: [] },
  QUANTITY_LIMIT: { required: ["type", "storeId", "sku", "maxOrderQuantity"], optional: [] },
  INVENTORY: { required: ["type", "storeId", "sku", "count"], optional: [] },
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is string =>
  typeof value === "string" && value.trim().length > 0 && value.length <= 100;
const isRupees = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 10_000_000;
const isCount = (value: unknown, min: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= 1_000_000;

function checkRow(raw: unknown, path: string): { row?: ListingRow; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(raw)) return { problems: [`${path}: expected an object with a type`] };
  const type = raw.type;
  if (typeof type !== "string" || !(LISTING_ROW_TYPES as readonly string[]).includes(type)) {
    return { problems: [`${path}.type: expected one of ${LISTING_ROW_TYPES.join(", ")}`] };
  }
  const rowType = type as ListingRowType;
  const { required, optional } = FIELDS[rowType];
  for (const key of Object.keys(raw)) {
    if (!required.includes(key) && !optional.includes(key)) {
      problems.push(
        `${path}.${key}: not a field of a ${rowType} row; expected ${[...required, ...optional].join(", ")}`,
      );
    }
  }
  const need = (field: string, ok: boolean, form: string) => {
    if (!ok) problems.push(`${path}.${field}: expected ${form}`);
  };
  const ID_FORM = "a non-empty string of at most 100 characters";
  const RUPEES = "a number of rupees from 0 to 10000000 (PINCODE-API A3: catalog money is decimal rupees)";
  need("storeId", isId(raw.storeId), `the store's serviceProviderId, ${ID_FORM}`);
  need("sku", isId(raw.sku), `your serviceProviderItemId, ${ID_FORM}`);
  if (rowType === "CREATE" || rowType === "PRICE") {
    need("mrp", isRupees(raw.mrp), RUPEES);
    need("sellingPrice", isRupees(raw.sellingPrice), RUPEES);
    if (isRupees(raw.mrp) && isRupees(raw.sellingPrice) && raw.sellingPrice > raw.mrp) {
      problems.push(`${path}.sellingPrice: expected at most mrp`);
    }
  }
  if (rowType === "CREATE") {
    need("psin", isId(raw.psin), `Pincode's catalog product id (psin), ${ID_FORM}`);
    need("count", isCount(raw.count, 0), "a whole number of units from 0 to 1000000");
    if (raw.status !== undefined)
      need("status", raw.status === "ACTIVE" || raw.status === "INACTIVE", "one of ACTIVE, INACTIVE");
    if (raw.maxOrderQuantity !== undefined)
      need("maxOrderQuantity", isCount(raw.maxOrderQuantity, 1), "a whole number from 1 to 1000000");
    if (raw.ean !== undefined) need("ean", isId(raw.ean), ID_FORM);
    if (raw.sellerCode !== undefined) need("sellerCode", isId(raw.sellerCode), ID_FORM);
  }
  if (rowType === "STATUS") {
    need(
      "status",
      (LISTING_STATUSES as readonly unknown[]).includes(raw.status),
      `one of ${LISTING_STATUSES.join(", ")}`,
    );
  }
  if (rowType === "QUANTITY_LIMIT")
    need("maxOrderQuantity", isCount(raw.maxOrderQuantity, 1), "a whole number from 1 to 1000000");
  if (rowType === "INVENTORY")
    need("count", isCount(raw.count, 0), "a whole number of units from 0 to 1000000 (an absolute count, A14)");
  if (problems.length > 0) return { problems };
  const row = (rowType === "CREATE" && raw.status === undefined ? { ...raw, status: "ACTIVE" } : raw) as ListingRow;
  return { row, problems };
}

/** Validates the body of `POST /v1/listings`: every row is checked, and any bad row refuses the whole request. */
export function parseListingsRequest(body: unknown): ListingsValidation {
  if (!isRecord(body)) return { ok: false, message: "(root): expected a JSON object with listings", rows: [] };
  const top: string[] = [];
  for (const key of Object.keys(body)) {
    if (key !== "commandId" && key !== "listings") top.push(`${key}: unknown field; expected commandId, listings`);
  }
  const commandId = checkCommandId(body.commandId, "commandId");
  if (!commandId.ok) top.push(commandId.message);
  if (!Array.isArray(body.listings) || body.listings.length === 0 || body.listings.length > MAX_LISTING_ROWS) {
    top.push(`listings: expected an array of 1 to ${MAX_LISTING_ROWS} rows`);
    return { ok: false, message: top.join("; "), rows: [] };
  }
  const rows: ListingRow[] = [];
  const bad: RowProblem[] = [];
  body.listings.forEach((raw, index) => {
    const checked = checkRow(raw, `listings[${index}]`);
    if (checked.row) rows.push(checked.row);
    else bad.push({ index, message: checked.problems.join("; ") });
  });
  if (top.length > 0 || bad.length > 0) {
    const lines = [...top, ...bad.slice(0, 5).map((b) => b.message)];
    const more = bad.length > 5 ? `; and ${bad.length - 5} more row(s)` : "";
    return { ok: false, message: lines.join("; ") + more, rows: bad };
  }
  return {
    ok: true,
    value: { ...(commandId.ok && commandId.value ? { commandId: commandId.value } : {}), listings: rows },
  };
}

/** One Pincode Listing request to be: a store, an operation, its messages and the rows they came from. */
export interface ListingBatch {
  storeId: string;
  operation: "CREATE" | "PARTIAL_UPDATE";
  messages: Record<string, unknown>[];
  rows: number[];
}

/** The Pincode message for a row (PINCODE-API §2.5, §2.6); `messageId` correlates the result callback's issues. */
export function listingMessage(row: ListingRow, messageId: string): Record<string, unknown> {
  const base = { messageId, serviceProviderId: row.storeId, serviceProviderItemId: row.sku };
  switch (row.type) {
    case "CREATE": {
      const identifiers = [
        ...(row.sellerCode ? [{ identifierType: "SELLER_CODE", value: row.sellerCode }] : []),
        ...(row.ean ? [{ identifierType: "EAN", value: row.ean }] : []),
      ];
      return {
        ...base,
        operationType: "CREATE",
        data: {
          psin: row.psin,
          ...(identifiers.length > 0 ? { identifiers } : {}),
          price: { mrp: row.mrp, sellingPrice: row.sellingPrice, currency: "INR" },
          ...(row.maxOrderQuantity !== undefined ? { maxOrderQuantity: row.maxOrderQuantity } : {}),
          inventory: { type: "COUNT", count: row.count },
          status: row.status,
        },
      };
    }
    case "PRICE":
      return {
        ...base,
        operationType: "PARTIAL_UPDATE",
        data: { type: "PRICE", price: { mrp: row.mrp, sellingPrice: row.sellingPrice, currency: "INR" } },
      };
    case "STATUS":
      return { ...base, operationType: "PARTIAL_UPDATE", data: { type: "STATUS", status: row.status } };
    case "QUANTITY_LIMIT":
      return {
        ...base,
        operationType: "PARTIAL_UPDATE",
        data: { type: "QUANTITY_LIMIT", maxOrderQuantity: row.maxOrderQuantity },
      };
    case "INVENTORY":
      return {
        ...base,
        operationType: "PARTIAL_UPDATE",
        data: { type: "INVENTORY", inventory: { type: "COUNT", count: row.count } },
      };
  }
}

/**
 * Groups rows by store and operation (create and partial updates are separate requests: PINCODE-API §2.5/§2.6) and
 * splits each group into batches of `batchSize`, keeping row order. `messageIdOf(batchIndex, position)` names the
 * messages.
 */
export function planListingBatches(
  rows: readonly ListingRow[],
  messageIdOf: (batchIndex: number, position: number) => string,
  batchSize = LISTING_BATCH_SIZE,
): ListingBatch[] {
  const groups = new Map<string, { storeId: string; operation: "CREATE" | "PARTIAL_UPDATE"; rows: number[] }>();
  rows.forEach((row, index) => {
    const operation = row.type === "CREATE" ? "CREATE" : "PARTIAL_UPDATE";
    const key = `${row.storeId}\u0000${operation}`;
    const group = groups.get(key) ?? { storeId: row.storeId, operation, rows: [] };
    group.rows.push(index);
    groups.set(key, group);
  });
  const batches: ListingBatch[] = [];
  for (const group of groups.values()) {
    for (let start = 0; start < group.rows.length; start += batchSize) {
      const indexes = group.rows.slice(start, start + batchSize);
      const batchIndex = batches.length;
      batches.push({
        storeId: group.storeId,
        operation: group.operation,
        rows: indexes,
        messages: indexes.map((rowIndex, position) =>
          listingMessage(rows[rowIndex] as ListingRow, messageIdOf(batchIndex, position)),
        ),
      });
    }
  }
  return batches;
}

export interface StoreToggleRequest {
  commandId?: string;
  status: "ENABLED" | "DISABLED";
  validTill?: number;
}

/** How far ahead a store may be disabled with `validTill`; longer: disable without it, enable when back. */
export const MAX_VALID_TILL_AHEAD_MS = 366 * 24 * 3_600_000;

/** Validates the body of `POST /v1/stores/{storeId}/availability`. */
export function parseStoreToggleRequest(body: unknown, now: number): Validation<StoreToggleRequest> {
  if (!isRecord(body)) return { ok: false, message: "(root): expected a JSON object with status" };
  const problems: string[] = [];
  for (const key of Object.keys(body)) {
    if (!["commandId", "status", "validTill"].includes(key)) {
      problems.push(`${key}: unknown field; expected commandId, status, validTill`);
    }
  }
  const commandId = checkCommandId(body.commandId, "commandId");
  if (!commandId.ok) problems.push(commandId.message);
  if (body.status !== "ENABLED" && body.status !== "DISABLED")
    problems.push("status: expected one of ENABLED, DISABLED");
  if (body.validTill !== undefined) {
    if (body.status === "ENABLED") {
      // PINCODE-API §2.4: validTill is when a disable lapses; it means nothing on ENABLED.
      problems.push("validTill: only allowed with status DISABLED");
    } else if (
      typeof body.validTill !== "number" ||
      !Number.isInteger(body.validTill) ||
      body.validTill <= now ||
      // Bounded: 2^53 and beyond could not even be stored (found by test/fuzz: a 500); a year is plenty for a pause.
      body.validTill > now + MAX_VALID_TILL_AHEAD_MS
    ) {
      problems.push(
        "validTill: expected a future time in epoch milliseconds (PINCODE-API §1.4), at most 366 days ahead",
      );
    }
  }
  if (problems.length > 0) return { ok: false, message: problems.join("; ") };
  return {
    ok: true,
    value: {
      ...(commandId.ok && commandId.value ? { commandId: commandId.value } : {}),
      status: body.status as "ENABLED" | "DISABLED",
      ...(body.validTill !== undefined ? { validTill: body.validTill as number } : {}),
    },
  };
}

/** The one Store Toggle message (store-toggle-api.txt: only a single store per request in the current API). */
export function storeToggleMessage(storeId: string, request: StoreToggleRequest, messageId: string) {
  return {
    messageId,
    serviceProviderId: storeId,
    operationType: "PARTIAL_UPDATE",
    data: {
      type: "STORE_TOGGLE",
      orderAcceptance: {
        status: request.status,
        ...(request.validTill !== undefined ? { validTill: request.validTill } : {}),
      },
    },
  };
}
