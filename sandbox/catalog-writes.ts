/**
 * Catalog and store writes (PINCODE-API §2.4 – §2.8): the envelope is checked synchronously, each message later,
 * and the outcome goes back as a submission-result callback with per-message issues (§3.4). Issue codes are the
 * sandbox's own (Pincode documents only 90221); see docs/sandbox.md.
 */
import type { z } from "zod";
import type { Clock } from "./clock.ts";
import {
  SandboxListingCreateMessageSchema as ListingCreateMessageSchema,
  SandboxListingUpdateMessageSchema as ListingUpdateMessageSchema,
  SandboxStockAlterMessageSchema as StockAlterMessageSchema,
  SandboxStockInwardMessageSchema as StockInwardMessageSchema,
  SandboxStoreToggleMessageSchema as StoreToggleMessageSchema,
} from "./contract.ts";

export interface SubmissionIssue {
  messageId: string;
  code: string;
  severity: "ERROR" | "WARNING";
  message: string;
  attribute_errors?: Record<string, string>[];
}

export interface SubmissionSummary {
  errors: number;
  warnings: number;
  success: number;
  total: number;
}

export interface SubmissionOutcome {
  issues: SubmissionIssue[];
  summary: SubmissionSummary;
}

export interface Listing {
  storeId: string;
  serviceProviderItemId: string;
  psin: string;
  /** Rupees, as the catalog APIs send them (PINCODE-API A3). */
  mrp: number;
  sellingPrice: number;
  maxOrderQuantity?: number;
  inventoryCount: number;
  status: string;
  updatedAt: number;
}

export interface StoreAcceptance {
  status: "ENABLED" | "DISABLED";
  validTill?: number;
}

/** A psin in the sample is "U" + 22 digits; anything else is "not in the global catalog" here. */
const PSIN_PATTERN = /^U\d{22}$/;
/** Below this a timestamp is seconds, not milliseconds (PINCODE-API §2.4 sample issue 90221). */
const EPOCH_MS_FLOOR = 1_000_000_000_000;

export const ISSUE_CODES = {
  invalidMessage: "90001",
  unknownStore: "90002",
  unsupportedOperation: "90003",
  duplicateMessageId: "90004",
  unknownPsin: "90101",
  listingExists: "90102",
  listingNotFound: "90103",
  negativeStock: "90104",
  listingDeleted: "90105",
  activeWithoutStock: "90201",
  maxOrderAboveStock: "90202",
  validTillNotEpochMs: "90221",
  validTillInPast: "90222",
  validTillIgnored: "90223",
} as const;

class MessageIssues {
  readonly issues: SubmissionIssue[] = [];
  constructor(private readonly messageId: string) {}

  error(code: string, message: string, attributeErrors?: Record<string, string>[]): this {
    this.issues.push({ messageId: this.messageId, code, severity: "ERROR", message, ...attrs(attributeErrors) });
    return this;
  }

  warning(code: string, message: string, attributeErrors?: Record<string, string>[]): this {
    this.issues.push({ messageId: this.messageId, code, severity: "WARNING", message, ...attrs(attributeErrors) });
    return this;
  }

  get hasErrors(): boolean {
    return this.issues.some((i) => i.severity === "ERROR");
  }
}

function attrs(attributeErrors: Record<string, string>[] | undefined) {
  return attributeErrors && attributeErrors.length > 0 ? { attribute_errors: attributeErrors } : {};
}

function zodAttributeErrors(error: z.ZodError): Record<string, string>[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".") || "(message)";
    return { [path]: issue.message };
  });
}

export class CatalogState {
  readonly listings = new Map<string, Listing>();
  readonly stores = new Map<string, StoreAcceptance>();

  constructor(
    private readonly knownStores: () => ReadonlySet<string>,
    private readonly clock: Clock,
  ) {}

  reset(): void {
    this.listings.clear();
    this.stores.clear();
  }

  /** Whether Pincode would place new orders with this store now (a DISABLED store re-opens at validTill). */
  isAcceptingOrders(storeId: string): boolean {
    const acceptance = this.stores.get(storeId);
    if (!acceptance || acceptance.status === "ENABLED") return true;
    return acceptance.validTill !== undefined && this.clock.now() >= acceptance.validTill;
  }

  processStoreMessages(messages: readonly Record<string, unknown>[]): SubmissionOutcome {
    return this.process(messages, (message, issues) => this.storeToggle(message, issues));
  }

  processListingMessages(messages: readonly Record<string, unknown>[]): SubmissionOutcome {
    return this.process(messages, (message, issues) => this.listingMessage(message, issues));
  }

  private process(
    messages: readonly Record<string, unknown>[],
    handle: (message: Record<string, unknown>, issues: MessageIssues) => void,
  ): SubmissionOutcome {
    const all: SubmissionIssue[] = [];
    const seen = new Set<string>();
    let success = 0;
    for (const message of messages) {
      const messageId = String(message.messageId);
      const issues = new MessageIssues(messageId);
      if (seen.has(messageId)) {
        issues.error(ISSUE_CODES.duplicateMessageId, `messageId ${messageId} appears more than once in the request`);
      } else {
        seen.add(messageId);
        handle(message, issues);
      }
      if (!issues.hasErrors) success += 1;
      all.push(...issues.issues);
    }
    return {
      issues: all,
      summary: {
        errors: all.filter((i) => i.severity === "ERROR").length,
        warnings: all.filter((i) => i.severity === "WARNING").length,
        success,
        total: messages.length,
      },
    };
  }

  private checkStore(storeId: string, issues: MessageIssues): boolean {
    if (this.knownStores().has(storeId)) return true;
    issues.error(ISSUE_CODES.unknownStore, `serviceProviderId ${storeId} is not a store of this seller`, [
      { serviceProviderId: "unknown store" },
    ]);
    return false;
  }

  private storeToggle(raw: Record<string, unknown>, issues: MessageIssues): void {
    // PINCODE-API §3.4 sample: a validTill that is not epoch ms is reported as 90221 with attribute_errors.
    const validTill = (raw.data as { orderAcceptance?: { validTill?: unknown } } | undefined)?.orderAcceptance
      ?.validTill;
    if (typeof validTill === "number" && validTill > 0 && validTill < EPOCH_MS_FLOOR) {
      issues.error(ISSUE_CODES.validTillNotEpochMs, "Valid Till Timing is Incorrect", [
        { validTill: "validTill should be in epoch milliSec" },
      ]);
      return;
    }
    const parsed = StoreToggleMessageSchema.safeParse(raw);
    if (!parsed.success) {
      issues.error(ISSUE_CODES.invalidMessage, "message is invalid", zodAttributeErrors(parsed.error));
      return;
    }
    const message = parsed.data;
    if (!this.checkStore(message.serviceProviderId, issues)) return;
    const { status, validTill: till } = message.data.orderAcceptance;
    if (status === "DISABLED" && till !== undefined && till <= this.clock.now()) {
      issues.error(ISSUE_CODES.validTillInPast, "Valid Till is in the past", [{ validTill: "must be in the future" }]);
      return;
    }
    if (status === "ENABLED" && till !== undefined) {
      issues.warning(ISSUE_CODES.validTillIgnored, "validTill is only applicable when the status is DISABLED", [
        { validTill: "ignored for ENABLED" },
      ]);
    }
    this.stores.set(
      message.serviceProviderId,
      status === "DISABLED" && till !== undefined ? { status, validTill: till } : { status },
    );
  }

  private listingMessage(raw: Record<string, unknown>, issues: MessageIssues): void {
    const operationType = raw.operationType;
    const dataType = (raw.data as { type?: unknown } | undefined)?.type;
    if (operationType === "CREATE") this.create(raw, issues);
    else if (operationType === "PARTIAL_UPDATE") this.partialUpdate(raw, issues);
    else if (operationType === "INVENTORY_UPDATE" && dataType === "INVENTORY_INWARD_CREATE") this.inward(raw, issues);
    else if (operationType === "INVENTORY_UPDATE" && dataType === "INVENTORY_STOCK_ALTER") this.alter(raw, issues);
    else
      issues.error(
        ISSUE_CODES.unsupportedOperation,
        // The field paths and the expected forms, never the values (they come from the caller and could be anything).
        "operationType with data.type is not a supported combination on /tsp/catalog/v1/listing",
        [{ operationType: "expected CREATE, PARTIAL_UPDATE or INVENTORY_UPDATE" }],
      );
  }

  private parse<T>(schema: z.ZodType<T>, raw: Record<string, unknown>, issues: MessageIssues): T | undefined {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    issues.error(ISSUE_CODES.invalidMessage, "message is invalid", zodAttributeErrors(parsed.error));
    return undefined;
  }

  private existing(storeId: string, sku: string, issues: MessageIssues): Listing | undefined {
    const listing = this.listings.get(listingKey(storeId, sku));
    if (!listing) {
      issues.error(ISSUE_CODES.listingNotFound, `no listing for serviceProviderItemId ${sku} in store ${storeId}`, [
        { serviceProviderItemId: "listing not found; create it first" },
      ]);
      return undefined;
    }
    if (listing.status === "DELETED") {
      issues.error(ISSUE_CODES.listingDeleted, `listing ${sku} in store ${storeId} is DELETED`);
      return undefined;
    }
    return listing;
  }

  private create(raw: Record<string, unknown>, issues: MessageIssues): void {
    const message = this.parse(ListingCreateMessageSchema, raw, issues);
    if (!message || !this.checkStore(message.serviceProviderId, issues)) return;
    const key = listingKey(message.serviceProviderId, message.serviceProviderItemId);
    const current = this.listings.get(key);
    if (current && current.status !== "DELETED") {
      issues.error(
        ISSUE_CODES.listingExists,
        `a listing for ${message.serviceProviderItemId} already exists; use PARTIAL_UPDATE`,
      );
      return;
    }
    if (!PSIN_PATTERN.test(message.data.psin)) {
      issues.error(ISSUE_CODES.unknownPsin, `psin ${message.data.psin} is not in Pincode's global catalog`, [
        { psin: "unknown psin" },
      ]);
      return;
    }
    const listing: Listing = {
      storeId: message.serviceProviderId,
      serviceProviderItemId: message.serviceProviderItemId,
      psin: message.data.psin,
      mrp: message.data.price.mrp,
      sellingPrice: message.data.price.sellingPrice,
      inventoryCount: message.data.inventory.count,
      status: message.data.status,
      updatedAt: this.clock.now(),
      ...(message.data.maxOrderQuantity !== undefined ? { maxOrderQuantity: message.data.maxOrderQuantity } : {}),
    };
    this.listings.set(key, listing);
    this.stockWarnings(listing, issues);
  }

  private partialUpdate(raw: Record<string, unknown>, issues: MessageIssues): void {
    const message = this.parse(ListingUpdateMessageSchema, raw, issues);
    if (!message || !this.checkStore(message.serviceProviderId, issues)) return;
    const current = this.existing(message.serviceProviderId, message.serviceProviderItemId, issues);
    if (!current) return;
    const next = { ...current, updatedAt: this.clock.now() };
    const data = message.data;
    switch (data.type) {
      case "PRICE":
        next.mrp = data.price.mrp;
        next.sellingPrice = data.price.sellingPrice;
        break;
      case "STATUS":
        next.status = data.status;
        break;
      case "QUANTITY_LIMIT":
        next.maxOrderQuantity = data.maxOrderQuantity;
        break;
      case "INVENTORY":
        // A14: INVENTORY sets an absolute count.
        next.inventoryCount = data.inventory.count;
        break;
    }
    this.listings.set(listingKey(next.storeId, next.serviceProviderItemId), next);
    this.stockWarnings(next, issues);
  }

  private inward(raw: Record<string, unknown>, issues: MessageIssues): void {
    const message = this.parse(StockInwardMessageSchema, raw, issues);
    if (!message || !this.checkStore(message.serviceProviderId, issues)) return;
    const current = this.existing(message.serviceProviderId, message.serviceProviderItemId, issues);
    if (!current) return;
    this.listings.set(listingKey(current.storeId, current.serviceProviderItemId), {
      ...current,
      mrp: message.data.mrp,
      sellingPrice: message.data.sellingPrice,
      inventoryCount: current.inventoryCount + message.data.quantity,
      updatedAt: this.clock.now(),
    });
  }

  private alter(raw: Record<string, unknown>, issues: MessageIssues): void {
    const message = this.parse(StockAlterMessageSchema, raw, issues);
    if (!message || !this.checkStore(message.serviceProviderId, issues)) return;
    const current = this.existing(message.serviceProviderId, message.serviceProviderItemId, issues);
    if (!current) return;
    // A14: stock alter is a signed delta on the current count.
    const count = current.inventoryCount + message.data.quantityToBeAltered;
    if (count < 0) {
      issues.error(
        ISSUE_CODES.negativeStock,
        `stock of ${current.serviceProviderItemId} is ${current.inventoryCount}; altering by ${message.data.quantityToBeAltered} would make it negative`,
        [{ "data.quantityToBeAltered": `must be at least ${-current.inventoryCount}` }],
      );
      return;
    }
    const next = { ...current, inventoryCount: count, updatedAt: this.clock.now() };
    this.listings.set(listingKey(current.storeId, current.serviceProviderItemId), next);
    this.stockWarnings(next, issues);
  }

  private stockWarnings(listing: Listing, issues: MessageIssues): void {
    if (listing.status === "ACTIVE" && listing.inventoryCount === 0) {
      issues.warning(ISSUE_CODES.activeWithoutStock, "listing is ACTIVE but has no stock; buyers cannot order it");
    } else if (listing.maxOrderQuantity !== undefined && listing.maxOrderQuantity > listing.inventoryCount) {
      issues.warning(ISSUE_CODES.maxOrderAboveStock, "maxOrderQuantity is above the stock count", [
        { maxOrderQuantity: `stock is ${listing.inventoryCount}` },
      ]);
    }
  }
}

function listingKey(storeId: string, sku: string): string {
  return `${storeId}/${sku}`;
}
