/**
 * Generates orders that look like Pincode's (PINCODE-API §3.2, §3.3), deterministic for a seed: the same seed and the
 * same sequence of calls give the same ids, items, buyers and prices.
 */
import { type CatalogProduct, PLACES, PRODUCTS } from "./catalog-data.ts";
import {
  INITIAL_ORDER_STATE,
  type SandboxAddress,
  type SandboxFulfillment,
  type SandboxItem,
  type SandboxOrder,
} from "./order-model.ts";
import { deriveSeed, mulberry32, type Prng } from "./prng.ts";

/** An item asked for through the admin API; a known catalogue SKU fills in the rest. Money in paise. */
export interface OrderItemInput {
  serviceProviderItemId?: string | undefined;
  name?: string | undefined;
  quantity?: number | undefined;
  mrp?: number | undefined;
  sellingPrice?: number | undefined;
  prescriptionRequired?: boolean | undefined;
  displayMeasurement?: string | undefined;
}

const MINUTE = 60_000;
/** SLA offsets from order creation used for expected/promised times (invented, realistic for quick commerce). */
export const SLA = {
  packingExpected: 5 * MINUTE,
  packingPromised: 10 * MINUTE,
  packedExpected: 15 * MINUTE,
  packedPromised: 20 * MINUTE,
  deliveredExpected: 40 * MINUTE,
  deliveredPromised: 45 * MINUTE,
} as const;

const FREE_DELIVERY_ABOVE = 19_900;
const DELIVERY_FEE = 2_500;

/** Ids are prefix + digits (PINCODE-API §1.4); a running counter keeps them unique, the PRNG makes them look real. */
export class IdFactory {
  private counter = 0;
  constructor(private readonly prng: Prng) {}

  next(prefix: "OD" | "OI" | "OF" | "C"): string {
    this.counter += 1;
    return `${prefix}${this.prng.digits(16)}${String(this.counter).padStart(6, "0")}`;
  }
}

export class OrderGenerator {
  private readonly prng: Prng;
  private readonly ids: IdFactory;

  constructor(private readonly seed: number) {
    this.prng = mulberry32(deriveSeed(seed, "orders"));
    this.ids = new IdFactory(mulberry32(deriveSeed(seed, "ids")));
  }

  /** Pincode's internal id for a store (sample "L1289313:FC08312"), stable per seed and store. */
  platformIdFor(storeId: string): string {
    const p = mulberry32(deriveSeed(this.seed, `store:${storeId}`));
    return `L${p.digits(7)}:FC${p.digits(5)}`;
  }

  generate(storeId: string, createdAt: number, itemInputs?: readonly OrderItemInput[]): SandboxOrder {
    const prng = this.prng;
    const id = this.ids.next("OD");
    const storeLegId = this.ids.next("OF");
    const deliveryLegId = this.ids.next("OF");

    const buyerNo = prng.int(1, 99);
    const buyerName = `Test Buyer ${buyerNo}`;
    const phone = `90000000${String(buyerNo).padStart(2, "0")}`;
    const address = this.address(buyerNo);

    const products = itemInputs && itemInputs.length > 0 ? itemInputs.map(fromInput) : this.randomProducts();
    const items: SandboxItem[] = products.map(({ product, quantity }) => ({
      itemId: this.ids.next("OI"),
      name: product.name,
      platformItemId: `L${prng.digits(4)}:FC${prng.digits(2)}`,
      serviceProviderItemId: product.sku,
      fulfillmentId: storeLegId,
      quantity: { count: quantity },
      price: { value: product.mrp },
      sellingPrice: { value: product.sellingPrice },
      images: [{ image: `https://cdn.example.com/pincode-sandbox/${product.sku.toLowerCase()}.jpg` }],
      prescriptionRequired: product.prescriptionRequired,
      displayMeasurement: product.displayMeasurement,
    }));
    const itemsTotal = items.reduce((sum, i) => sum + i.sellingPrice.value * i.quantity.count, 0);

    const end = { address, contact: { phone }, person: { name: buyerName } };
    const storeLeg: SandboxFulfillment = {
      fulfillmentId: storeLegId,
      type: "STORE",
      ownerType: "RETAIL_SERVICE_PROVIDER",
      end: structuredClone(end),
      fulfilmentStatusHistory: {
        PACKING: {
          expected: { endTime: createdAt + SLA.packingExpected },
          promised: { endTime: createdAt + SLA.packingPromised },
        },
      },
    };
    const deliveryLeg: SandboxFulfillment = {
      fulfillmentId: deliveryLegId,
      type: "DELIVERY",
      ownerType: "RETAIL_SERVICE_PROVIDER",
      end: structuredClone(end),
      fulfilmentStatusHistory: {
        DELIVERED: {
          expected: { endTime: createdAt + SLA.deliveredExpected },
          promised: { endTime: createdAt + SLA.deliveredPromised },
        },
      },
    };

    return {
      id,
      storeId,
      platformId: this.platformIdFor(storeId),
      orderState: INITIAL_ORDER_STATE,
      createdAt,
      updatedAt: createdAt,
      items,
      billing: { name: buyerName, address, email: `test.buyer.${buyerNo}@example.com`, phone },
      fulfillments: [storeLeg, deliveryLeg],
      packingCharge: prng.pick([0, 500, 900]),
      deliveryCharge: itemsTotal >= FREE_DELIVERY_ABOVE ? 0 : DELIVERY_FEE,
      taxReferenceId: this.ids.next("C"),
      actions: [],
    };
  }

  private randomProducts(): { product: CatalogProduct; quantity: number }[] {
    const count = this.prng.int(1, 4);
    const chosen = new Set<CatalogProduct>();
    while (chosen.size < count) chosen.add(this.prng.pick(PRODUCTS));
    return [...chosen].map((product) => ({ product, quantity: this.prng.int(1, 3) }));
  }

  private address(buyerNo: number): SandboxAddress {
    const place = this.prng.pick(PLACES);
    const locality = this.prng.pick(place.localities);
    const flat = this.prng.int(101, 1204);
    const tower = this.prng.pick(["A", "B", "C", "D"]);
    const building = `Flat ${flat}, Tower ${tower}, Sandbox Residency ${buyerNo}`;
    const jitter = () => (this.prng.next() - 0.5) / 50;
    return {
      building,
      locality,
      city: place.city,
      state: place.state,
      country: "IND",
      pincode: place.pincode,
      formattedAddress: `${building}, ${locality}, ${place.city}, ${place.state} ${place.pincode}`,
      lat: Number((place.lat + jitter()).toFixed(6)),
      lon: Number((place.lon + jitter()).toFixed(6)),
    };
  }
}

function fromInput(input: OrderItemInput): { product: CatalogProduct; quantity: number } {
  const known = PRODUCTS.find((p) => p.sku === input.serviceProviderItemId);
  const sellingPrice = input.sellingPrice ?? known?.sellingPrice;
  const name = input.name ?? known?.name;
  if (sellingPrice === undefined || name === undefined) {
    // The admin API validates this first; reaching here is a programming error.
    throw new Error("an item needs a known serviceProviderItemId or both name and sellingPrice");
  }
  return {
    product: {
      sku: input.serviceProviderItemId ?? known?.sku ?? `SKU-${name.toUpperCase().replace(/[^A-Z0-9]+/g, "-")}`,
      name,
      displayMeasurement: input.displayMeasurement ?? known?.displayMeasurement ?? "1 unit",
      mrp: input.mrp ?? known?.mrp ?? sellingPrice,
      sellingPrice,
      prescriptionRequired: input.prescriptionRequired ?? known?.prescriptionRequired ?? false,
    },
    quantity: input.quantity ?? 1,
  };
}

export function isKnownSku(sku: string): boolean {
  return PRODUCTS.some((p) => p.sku === sku);
}
