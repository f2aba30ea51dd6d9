/**
 * Pincode's reason tables (PINCODE-API §2.2), as the console offers them. The tables grow over time ("Date Added"
 * column): a reason Pincode adds later is still shown in the timeline as sent; only the pickers need this list.
 * Kept in step with functions/pincode/schemas.ts by test/unit/console-order-actions.test.ts.
 */
export const CANCEL_REASONS = [
  "BUYER_NO_CONTACT",
  "BUYER_NOT_AVAILABLE",
  "BUYER_REFUSED_DELIVERY",
  "DELIVERY_PINCODE_UNSERVICEABLE",
  "DELIVERY_VEHICLE_ISSUES",
  "INCORRECT_PRICING",
  "ITEM_UNAVAILABLE",
  "SUSPICIOUS_ORDER_ACTIVITY",
  "TRADER_ORDER",
  "WEATHER_RELATED_ISSUES",
  "BUYER_ITEM_QTY_UPDATE",
  "LOCATION_NOT_FOUND",
  "CUSTOMER_CANCEL_REQUEST",
  "BUYER_ADDRESS_UPDATE",
  "BUYER_ITEMS_UPDATE",
  "EMPLOYEE_UNAVAILABILITY",
  "DELIVERY_PERSONNEL_UNAVAILABLE",
  "INVALID_PRESCRIPTION",
  "FRAUD_PRESCRIPTION",
] as const;

export const ITEM_UNIT_REASONS = [
  "SELLER_REFUND_ACCEPTED",
  "RESOLUTION_SLA_BREACHED",
  "SELLER_REJECTED_AGENT_VERIFIED",
  "INCORRECT_DESCRIPTION",
  "ITEM_NOT_IN_PRESCRIPTION",
  "QUANTITY_EXCEED_PRESCRIPTION_LIMIT",
  "QUANTITY_EXCEED_AVAILABLE_LIMIT",
  "ITEM_UNAVAILABLE",
  "ITEM_CANCEL_ON_CUSTOMER_REQUEST",
  "REASON_NOT_LISTED",
] as const;

/** `BUYER_NO_CONTACT` -> "Buyer no contact": what a person at the counter reads. */
export function reasonLabel(code: string): string {
  const words = code.toLowerCase().split("_").join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
