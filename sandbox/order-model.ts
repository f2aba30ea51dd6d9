/**
 * The sandbox's internal order and how it is rendered on the wire. Internally every time is an epoch-ms number;
 * the wire forms reproduce Pincode's inconsistencies (PINCODE-API §3.2, §2.2) when the quirks are on.
 */

/** The initial state of a new order is undocumented (PINCODE-API §4.1); consumers treat unknown states as "new". */
export const INITIAL_ORDER_STATE = "CREATED";

export interface StatusTime {
  endTime: number;
}

/** PINCODE-API §3.3: past states carry `actual`, future states `expected` and `promised`. */
export interface StatusHistoryEntry {
  actual?: StatusTime;
  expected?: StatusTime;
  promised?: StatusTime;
}

export interface SandboxAddress {
  building: string;
  locality: string;
  city: string;
  state: string;
  country: string;
  pincode: string;
  formattedAddress: string;
  lat: number;
  lon: number;
}

export interface SandboxFulfillment {
  fulfillmentId: string;
  type: "STORE" | "DELIVERY";
  ownerType: string;
  end: { address: SandboxAddress; contact: { phone: string }; person: { name: string } };
  /** Absent until the leg has started (sandbox choice: no undocumented placeholder state). */
  fulfillmentState?: string;
  fulfilmentStatusHistory: Record<string, StatusHistoryEntry>;
}

export interface SandboxItem {
  itemId: string;
  name: string;
  platformItemId: string;
  serviceProviderItemId: string;
  fulfillmentId: string;
  quantity: { count: number };
  /** MRP per unit, paise. */
  price: { value: number };
  /** Selling price per unit, paise. */
  sellingPrice: { value: number };
  images: { image: string }[];
  prescriptionRequired: boolean;
  displayMeasurement: string;
}

export interface SandboxOrderAction {
  type: "CANCEL_ORDER";
  channel: string;
  createdAt: number;
  reason?: string;
}

export interface SandboxOrder {
  id: string;
  storeId: string;
  platformId: string;
  orderState: string;
  createdAt: number;
  updatedAt: number;
  items: SandboxItem[];
  billing: { name: string; address: SandboxAddress; email: string; phone: string };
  fulfillments: SandboxFulfillment[];
  packingCharge: number;
  deliveryCharge: number;
  taxReferenceId: string;
  actions: SandboxOrderAction[];
  clientOrderInfo?: { sellerInvoiceId: string };
}

/** GST on packing and delivery fees; item prices are MRP-inclusive of tax, as in Indian retail. */
const SERVICE_GST_RATE = 0.18;

export interface QuoteLine {
  referenceId: string;
  type: "ITEM" | "PACKING" | "DELIVERY" | "TAX";
  quotationLevel: "ITEM" | "FULFILLMENT" | "ORDER";
  quantity?: { count: number };
  title: string;
  price: { value: number };
}

export function computeQuote(order: SandboxOrder): { price: { value: number }; breakUp: QuoteLine[] } {
  const storeLeg = order.fulfillments.find((f) => f.type === "STORE");
  const deliveryLeg = order.fulfillments.find((f) => f.type === "DELIVERY");
  const breakUp: QuoteLine[] = order.items.map((item) => ({
    referenceId: item.itemId,
    type: "ITEM",
    quotationLevel: "ITEM",
    quantity: { count: item.quantity.count },
    title: `${item.name} ${item.displayMeasurement}`,
    price: { value: item.sellingPrice.value * item.quantity.count },
  }));
  breakUp.push(
    {
      referenceId: storeLeg?.fulfillmentId ?? order.id,
      type: "PACKING",
      quotationLevel: "FULFILLMENT",
      title: "Packing charges",
      price: { value: order.packingCharge },
    },
    {
      referenceId: deliveryLeg?.fulfillmentId ?? order.id,
      type: "DELIVERY",
      quotationLevel: "FULFILLMENT",
      title: "Delivery charges",
      price: { value: order.deliveryCharge },
    },
    {
      referenceId: order.taxReferenceId,
      type: "TAX",
      quotationLevel: "ORDER",
      title: "Total Tax",
      price: { value: Math.round((order.packingCharge + order.deliveryCharge) * SERVICE_GST_RATE) },
    },
  );
  const total = breakUp.reduce((sum, line) => sum + line.price.value, 0);
  return { price: { value: total }, breakUp };
}

/** Which of Pincode's documented inconsistencies the sandbox reproduces (all on by default). */
export interface Quirks {
  /** ORDER_VIEW / Status Check: order `createdAt`/`updatedAt` as epoch-ms strings (PINCODE-API §3.2 sample). */
  epochStringOrderTimes: boolean;
  /** Order Update response: order and billing times as ISO-8601 strings (PINCODE-API §2.2 sample). */
  isoTimesInUpdateResponse: boolean;
  /** Order Update response: `orderState` in mixed case, e.g. "Completed" (PINCODE-API §2.2 sample). */
  mixedCaseStateInUpdateResponse: boolean;
  /** Status Check answers with the `type: "ORDER_VIEW"` wrapper (PINCODE-API §2.3 leaves it open). */
  statusCheckTypeWrapper: boolean;
  /** How the last Order Poll page says "no more": `omit` drops `nextPage`, `null` sends `nextPage: null` (A9). */
  lastPageNextPage: "omit" | "null";
  /** Content-Type header on callbacks; the docs say form-encoded while the bodies are JSON (A1). */
  callbackContentType: "application/json" | "application/x-www-form-urlencoded";
}

export const DEFAULT_QUIRKS: Quirks = {
  epochStringOrderTimes: true,
  isoTimesInUpdateResponse: true,
  mixedCaseStateInUpdateResponse: true,
  statusCheckTypeWrapper: true,
  lastPageNextPage: "omit",
  callbackContentType: "application/json",
};

export type RenderStyle = "view" | "update";

/** "COMPLETED" -> "Completed", "IN_PROGRESS" -> "In_progress": the Order Update sample's casing. */
export function mixedCase(state: string): string {
  return state.charAt(0).toUpperCase() + state.slice(1).toLowerCase();
}

/**
 * The order as Pincode shows it: `view` is the ORDER_VIEW callback / Status Check form, `update` the Order Update
 * response form. Key order follows the samples so the JSON reads like Pincode's.
 */
/** Fidelity knobs that change how every order renders (sandbox faults `frozenUpdatedAt`, `nullOptionalFields`). */
export interface RenderFidelity {
  frozenUpdatedAt: boolean;
  nullOptionalFields: boolean;
}

export const DEFAULT_FIDELITY: RenderFidelity = { frozenUpdatedAt: false, nullOptionalFields: false };

export function renderOrder(
  order: SandboxOrder,
  style: RenderStyle,
  quirks: Quirks,
  fidelity: RenderFidelity = DEFAULT_FIDELITY,
): Record<string, unknown> {
  const iso = style === "update" && quirks.isoTimesInUpdateResponse;
  const orderTime = (ms: number): string | number =>
    iso ? new Date(ms).toISOString() : quirks.epochStringOrderTimes ? String(ms) : ms;
  // The callback sample has billing times as numbers; the update sample as ISO strings.
  const billingTime = (ms: number): string | number => (iso ? new Date(ms).toISOString() : ms);
  const orderState =
    style === "update" && quirks.mixedCaseStateInUpdateResponse ? mixedCase(order.orderState) : order.orderState;
  const view: Record<string, unknown> = {
    id: order.id,
    items: order.items.map((item) => structuredClone(item)),
    orderState,
    serviceProvider: { id: order.storeId, platformId: order.platformId },
    billing: {
      ...structuredClone(order.billing),
      createdAt: billingTime(order.createdAt),
      updatedAt: billingTime(order.createdAt),
    },
    fulfillments: order.fulfillments.map((f) => (fidelity.nullOptionalFields ? withNulls(f) : structuredClone(f))),
    quote: computeQuote(order),
    // PINCODE-API §3.2: action createdAt is an epoch-ms string in both samples.
    actions:
      fidelity.nullOptionalFields && order.actions.length === 0
        ? null
        : order.actions.map((a) => ({ ...a, createdAt: String(a.createdAt) })),
  };
  if (order.clientOrderInfo) view.clientOrderInfo = { ...order.clientOrderInfo };
  else if (fidelity.nullOptionalFields) view.clientOrderInfo = null;
  view.createdAt = orderTime(order.createdAt);
  // The documented ORDER_VIEW sample: updatedAt equals createdAt although fulfilments and actions moved on.
  view.updatedAt = orderTime(fidelity.frozenUpdatedAt ? order.createdAt : order.updatedAt);
  return view;
}

/** A fulfilment with its absent optional fields as explicit nulls (fulfillmentState, history actual/expected/promised). */
function withNulls(leg: SandboxFulfillment): Record<string, unknown> {
  const history = Object.fromEntries(
    Object.entries(leg.fulfilmentStatusHistory).map(([state, entry]) => [
      state,
      { actual: entry.actual ?? null, expected: entry.expected ?? null, promised: entry.promised ?? null },
    ]),
  );
  return { ...structuredClone(leg), fulfillmentState: leg.fulfillmentState ?? null, fulfilmentStatusHistory: history };
}
