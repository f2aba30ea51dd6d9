/**
 * The sandbox's OWN reading of Pincode's doc pages: enum tables and request schemas, written from the pages
 * (order-update-api.txt, order-poll-api.txt, store-toggle-api.txt, listing-create-api.txt) and never imported from the
 * bridge (functions/pincode). Two readers of one contract: a misreading on the bridge's side is then refused here
 * instead of mirrored (STYLE.md). test/unit/enum-tables.test.ts holds both readings against the doc's dated tables.
 */
import { z } from "zod";

/** order-update-api.txt "ITEM_UNIT_UPDATE  Valid reasons" table: date added -> reason. */
export const SANDBOX_ITEM_UNIT_REASONS: readonly { added: string; reason: string }[] = [
  { added: "12/08/2024", reason: "SELLER_REFUND_ACCEPTED" },
  { added: "12/08/2024", reason: "RESOLUTION_SLA_BREACHED" },
  { added: "12/08/2024", reason: "SELLER_REJECTED_AGENT_VERIFIED" },
  { added: "12/08/2024", reason: "INCORRECT_DESCRIPTION" },
  { added: "12/08/2024", reason: "ITEM_NOT_IN_PRESCRIPTION" },
  { added: "12/08/2024", reason: "QUANTITY_EXCEED_PRESCRIPTION_LIMIT" },
  { added: "12/08/2024", reason: "QUANTITY_EXCEED_AVAILABLE_LIMIT" },
  { added: "12/08/2024", reason: "ITEM_UNAVAILABLE" },
  { added: "12/08/2024", reason: "ITEM_CANCEL_ON_CUSTOMER_REQUEST" },
  { added: "12/08/2024", reason: "REASON_NOT_LISTED" },
];

/** order-update-api.txt "ORDER_STATE_UPDATE  Valid reason" table (all with order state CANCELLED). */
export const SANDBOX_CANCEL_REASONS: readonly { added: string; reason: string }[] = [
  { added: "12/08/2024", reason: "BUYER_NO_CONTACT" },
  { added: "12/08/2024", reason: "BUYER_NOT_AVAILABLE" },
  { added: "12/08/2024", reason: "BUYER_REFUSED_DELIVERY" },
  { added: "12/08/2024", reason: "DELIVERY_PINCODE_UNSERVICEABLE" },
  { added: "12/08/2024", reason: "DELIVERY_VEHICLE_ISSUES" },
  { added: "12/08/2024", reason: "INCORRECT_PRICING" },
  { added: "12/08/2024", reason: "ITEM_UNAVAILABLE" },
  { added: "12/08/2024", reason: "SUSPICIOUS_ORDER_ACTIVITY" },
  { added: "12/08/2024", reason: "TRADER_ORDER" },
  { added: "12/08/2024", reason: "WEATHER_RELATED_ISSUES" },
  { added: "12/08/2024", reason: "BUYER_ITEM_QTY_UPDATE" },
  { added: "12/08/2024", reason: "LOCATION_NOT_FOUND" },
  { added: "12/08/2024", reason: "CUSTOMER_CANCEL_REQUEST" },
  { added: "12/08/2024", reason: "BUYER_ADDRESS_UPDATE" },
  { added: "12/08/2024", reason: "BUYER_ITEMS_UPDATE" },
  { added: "12/08/2024", reason: "EMPLOYEE_UNAVAILABILITY" },
  { added: "12/08/2024", reason: "DELIVERY_PERSONNEL_UNAVAILABLE" },
  { added: "27/09/2024", reason: "INVALID_PRESCRIPTION" },
  { added: "27/09/2024", reason: "FRAUD_PRESCRIPTION" },
];

/** order-update-api.txt: "Valid fulfillmentState: PACKING/PACKED/OUT_FOR_DELIVERY/DELIVERED". */
export const SANDBOX_SELLER_FULFILMENT_STATES = ["PACKING", "PACKED", "OUT_FOR_DELIVERY", "DELIVERED"] as const;
/** order-update-api.txt: "Valid orderState: ACCEPTED/IN_PROGRESS/COMPLETED/CANCELLED". */
export const SANDBOX_ORDER_STATES = ["ACCEPTED", "IN_PROGRESS", "COMPLETED", "CANCELLED"] as const;
/** order-poll-api.txt: "(ASC/DESC)". */
export const SANDBOX_SORT_ORDERS = ["ASC", "DESC"] as const;
/** store-toggle-api.txt field table: DISABLED and ENABLED. */
export const SANDBOX_ACCEPTANCE_STATUSES = ["ENABLED", "DISABLED"] as const;
/** listing-create-api.txt field table. */
export const SANDBOX_IDENTIFIER_TYPES = ["SELLER_CODE", "EAN"] as const;
export const SANDBOX_LISTING_STATUSES = ["ACTIVE", "INACTIVE", "DELETED"] as const;

const names = (table: readonly { reason: string }[]) => table.map((r) => r.reason) as unknown as [string, ...string[]];
const text = z.string({ error: "expected a string" }).trim().min(1, "must be a non-empty string");
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { error: () => `expected ${what}: one of ${values.join(", ")}` });
const epochMs = z.number({ error: "expected epoch milliseconds" }).int().nonnegative();

// --- Order Poll (order-poll-api.txt) -----------------------------------------------------------------------------

export const SandboxOrderPollRequestSchema = z.strictObject({
  requestContext: z.looseObject({ requestId: text }),
  serviceProviderId: text,
  fromTimestamp: epochMs,
  toTimestamp: epochMs,
  sortOrder: oneOf(SANDBOX_SORT_ORDERS, "a sort order").optional(),
  nextPage: z.string().optional(),
  // order-poll-api.txt: "It must be between 1-10".
  size: z.number().int().min(1, "must be between 1 and 10").max(10, "must be between 1 and 10"),
});

// --- Status Check (PINCODE-API §2.3) ------------------------------------------------------------------------------

export const SandboxStatusCheckRequestSchema = z.strictObject({
  requestContext: z.looseObject({ requestId: text, transactionId: text }),
  orderId: text,
});

// --- Order Update (order-update-api.txt) --------------------------------------------------------------------------

const SandboxOrderUpdateActionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("ORDER_FULFILMENT_STATE_UPDATE"),
    // A4 in the sample: `fulfilmentId` with one L, `fulfillmentState` with two.
    fulfilmentId: text,
    fulfillmentState: oneOf(SANDBOX_SELLER_FULFILMENT_STATES, "a seller fulfilment state"),
  }),
  z.strictObject({
    type: z.literal("ITEM_UNIT_UPDATE"),
    itemId: text,
    itemUnits: z.number({ error: "expected a whole number" }).int().nonnegative(),
    reason: oneOf(names(SANDBOX_ITEM_UNIT_REASONS), "an item unit reason"),
  }),
  z
    .strictObject({
      type: z.literal("ORDER_STATE_UPDATE"),
      orderState: oneOf(SANDBOX_ORDER_STATES, "an order state"),
      reason: oneOf(names(SANDBOX_CANCEL_REASONS), "a cancel reason").optional(),
    })
    .refine((a) => a.orderState !== "CANCELLED" || a.reason !== undefined, {
      message: "a cancel reason is required with CANCELLED",
      path: ["reason"],
    })
    .refine((a) => a.orderState === "CANCELLED" || a.reason === undefined, {
      message: "the reason table lists reasons for CANCELLED only",
      path: ["reason"],
    }),
  z.strictObject({
    type: z.literal("CLIENT_ORDER_INFO_UPDATE"),
    clientOrderInfo: z.strictObject({ sellerInvoiceId: text }),
  }),
]);
export type SandboxOrderUpdateAction = z.infer<typeof SandboxOrderUpdateActionSchema>;

export const SandboxOrderUpdateRequestSchema = z
  .strictObject({
    requestContext: z.looseObject({ requestId: text, transactionId: text, actionType: z.literal("UPDATE") }),
    orderId: text,
    actions: z.array(SandboxOrderUpdateActionSchema).min(1, "at least one action is required"),
  })
  .refine((r) => r.requestContext.transactionId === r.orderId, {
    message: "must be the order id",
    path: ["requestContext", "transactionId"],
  });

// --- Store Toggle (store-toggle-api.txt) ---------------------------------------------------------------------------

export const SandboxStoreToggleMessageSchema = z.strictObject({
  messageId: text,
  operationType: z.literal("PARTIAL_UPDATE"),
  serviceProviderId: text,
  data: z.strictObject({
    type: z.literal("STORE_TOGGLE"),
    orderAcceptance: z.strictObject({
      status: oneOf(SANDBOX_ACCEPTANCE_STATUSES, "an order acceptance status"),
      validTill: epochMs.optional(),
    }),
  }),
});

// --- Listing and stock writes (listing-create-api.txt, PINCODE-API §2.5 – §2.8) ----------------------------------

const rupees = z.number({ error: "expected a number" }).nonnegative();
// MRP is the legal maximum retail price in India: a selling price above it is refused.
const price = z
  .strictObject({ mrp: rupees, sellingPrice: rupees, currency: z.literal("INR") })
  .refine((p) => p.sellingPrice <= p.mrp, { message: "sellingPrice must not exceed mrp", path: ["sellingPrice"] });
const inventory = z.strictObject({ type: z.literal("COUNT"), count: z.number().int().nonnegative() });
const listingBase = {
  messageId: text,
  serviceProviderId: text,
  serviceProviderItemId: text,
};

export const SandboxListingCreateMessageSchema = z.strictObject({
  ...listingBase,
  operationType: z.literal("CREATE"),
  data: z.strictObject({
    psin: text,
    identifiers: z
      .array(z.strictObject({ identifierType: oneOf(SANDBOX_IDENTIFIER_TYPES, "an identifier type"), value: text }))
      .optional(),
    price,
    maxOrderQuantity: z.number().int().positive().optional(),
    inventory,
    // listing-create-api.txt: DELETED "is only valid for update api".
    status: oneOf(["ACTIVE", "INACTIVE"], "a listing status for create"),
  }),
});

export const SandboxListingUpdateMessageSchema = z.strictObject({
  ...listingBase,
  operationType: z.literal("PARTIAL_UPDATE"),
  data: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("PRICE"), price }),
    z.strictObject({ type: z.literal("STATUS"), status: oneOf(SANDBOX_LISTING_STATUSES, "a listing status") }),
    z.strictObject({ type: z.literal("QUANTITY_LIMIT"), maxOrderQuantity: z.number().int().positive() }),
    z.strictObject({ type: z.literal("INVENTORY"), inventory }),
  ]),
});

const fraction = z.number().min(0).max(1);
export const SandboxStockInwardMessageSchema = z.strictObject({
  ...listingBase,
  operationType: z.literal("INVENTORY_UPDATE"),
  serviceProviderTransactionId: text,
  data: z.looseObject({
    type: z.literal("INVENTORY_INWARD_CREATE"),
    serviceProviderInwardBatchId: text,
    mrp: rupees,
    sellingPrice: rupees,
    quantity: z.number().int().positive(),
    purchasePriceCGSTRate: fraction.optional(),
    purchasePriceSGSTRate: fraction.optional(),
    purchasePriceIGSTRate: fraction.optional(),
    purchasePriceCessRate: fraction.optional(),
  }),
});

export const SandboxStockAlterMessageSchema = z.strictObject({
  ...listingBase,
  operationType: z.literal("INVENTORY_UPDATE"),
  serviceProviderTransactionId: text,
  reasonType: oneOf(["AUDIT"], "a stock reason type"),
  subReason: z.string().max(500).optional(),
  data: z.strictObject({
    type: z.literal("INVENTORY_STOCK_ALTER"),
    quantityToBeAltered: z
      .number()
      .int()
      .refine((n) => n !== 0, "must not be 0"),
  }),
});

// --- Callback ACK (PINCODE-API §3.5) -------------------------------------------------------------------------------

export const SandboxCallbackAckSchema = z.looseObject({
  status: z.literal("ACK"),
  requestContext: z.looseObject({ requestId: z.string(), transactionId: z.string().optional() }),
});

/** `path: message` lines for a 400: the field path and the expected form, never the value. */
export function describeProblems(error: z.ZodError, limit = 5): string {
  const lines = error.issues.slice(0, limit).map((issue) => {
    const path = issue.path.reduce<string>(
      (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
      "",
    );
    return `${path || "(root)"}: ${issue.message}`;
  });
  const more = error.issues.length > limit ? `; and ${error.issues.length - limit} more` : "";
  return lines.join("; ") + more;
}
