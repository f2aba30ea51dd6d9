/**
 * Which fields of a Pincode order are buyer data, and the order without them (optional buyer-data retention,
 * docs/buyer-data.md). Pure: no I/O.
 *
 * Buyer data: `billing.name`, `billing.phone`, `billing.email`, `billing.address` and, in every fulfilment,
 * `end.person`, `end.contact`, `end.address` and `end.location` (PINCODE-API §3.2: the delivery end is the buyer).
 * Everything else stays, `billing.createdAt` / `billing.updatedAt` included: the freshness key reads them
 * (functions/core/freshness.ts), so a purged order judges later snapshots exactly as before.
 */
import { z } from "zod";

/** `BUYER_DATA_RETENTION_DAYS`: days after an order is final that its buyer fields are kept (1 to 3650). */
export const BuyerDataRetentionDaysSchema = z.coerce.number().int().min(1).max(3650);

export const BILLING_BUYER_FIELDS = ["name", "phone", "email", "address"] as const;
export const FULFILMENT_END_BUYER_FIELDS = ["person", "contact", "address", "location"] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A copy of the order without its buyer fields; the input is not changed. */
export function withoutBuyerData<T extends Record<string, unknown>>(order: T): T {
  const copy: Record<string, unknown> = { ...order };
  if (isObject(copy.billing)) {
    const billing = { ...copy.billing };
    for (const field of BILLING_BUYER_FIELDS) delete billing[field];
    copy.billing = billing;
  }
  if (Array.isArray(copy.fulfillments)) {
    copy.fulfillments = copy.fulfillments.map((fulfillment: unknown) => {
      if (!isObject(fulfillment) || !isObject(fulfillment.end)) return fulfillment;
      const end = { ...fulfillment.end };
      for (const field of FULFILMENT_END_BUYER_FIELDS) delete end[field];
      return { ...fulfillment, end };
    });
  }
  return copy as T;
}

const DAY_MS = 24 * 3_600_000;

export const daysToMs = (days: number) => days * DAY_MS;

/** The UTC day (`YYYY-MM-DD`) a time falls on: the retention index's partition. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The UTC days from `fromDay` to `toDay`, both included, at most `max` of them (oldest first). */
export function daysBetween(fromDay: string, toDay: string, max = 400): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${fromDay}T00:00:00Z`); days.length < max; t += DAY_MS) {
    const day = utcDay(t);
    if (day > toDay) break;
    days.push(day);
  }
  return days;
}
