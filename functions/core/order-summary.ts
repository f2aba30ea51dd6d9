/**
 * The PII-free summary of an order: ids, states, counts and money. It is what `OrderChanged` events carry and what the
 * order view stores as normalised fields. Buyer data (billing, fulfilment `end`) never enters it.
 */
import { type Order, toEpochMs } from "#pincode/schemas.ts";
import { orderUpdatedAt } from "./freshness.ts";

export interface FulfillmentSummary {
  fulfillmentId: string;
  type: string | null;
  /** A11: stored as Pincode says, never derived from the order state. */
  fulfillmentState: string | null;
}

/** An order line without buyer data: ids, product, units (issue 9: OrderChanged carries items). */
export interface ItemSummary {
  itemId: string;
  /** The seller's SKU. */
  serviceProviderItemId: string | null;
  name: string | null;
  units: number | null;
  fulfillmentId: string | null;
}

export interface OrderSummary {
  orderId: string;
  /** `serviceProvider.id`: the Pincode store (serviceProviderId). */
  storeId: string | null;
  orderState: string | null;
  fulfillments: FulfillmentSummary[];
  createdAt: number | null;
  /** Normalised epoch ms (see freshness.orderUpdatedAt). */
  updatedAt: number;
  /** Number of item lines. */
  itemCount: number;
  /** Sum of `quantity.count` over the lines. */
  unitCount: number;
  /** `quote.price.value`. A3: order money is most likely paise (unstated). */
  totalPaise: number | null;
  /** The order lines (absent in summaries stored before issue 9). */
  items?: ItemSummary[];
}

export function summarise(order: Order): OrderSummary {
  const items = order.items ?? [];
  return {
    orderId: order.id,
    storeId: order.serviceProvider?.id || null,
    orderState: order.orderState ?? null,
    fulfillments: (order.fulfillments ?? []).map((f) => ({
      fulfillmentId: f.fulfillmentId,
      type: f.type ?? null,
      fulfillmentState: f.fulfillmentState ?? null,
    })),
    createdAt: toEpochMs(order.createdAt) ?? toEpochMs(order.billing?.createdAt) ?? null,
    updatedAt: orderUpdatedAt(order),
    itemCount: items.length,
    unitCount: items.reduce((sum, item) => sum + (item.quantity?.count ?? 0), 0),
    totalPaise: order.quote?.price?.value ?? null,
    items: items.map((item) => ({
      itemId: item.itemId,
      serviceProviderItemId: item.serviceProviderItemId ?? null,
      name: item.name ?? null,
      units: item.quantity?.count ?? null,
      fulfillmentId: item.fulfillmentId ?? null,
    })),
  };
}
