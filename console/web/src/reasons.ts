/**
 * Pincode's reason tables (PINCODE-API §2.2) for the pickers. They come from the bridge's own contract
 * (functions/pincode/schemas.ts), put into the bundle when the console is served (esbuild `define`), so the page
 * never offers a reason the seller API would refuse, and a reason added to the contract reaches the page with it.
 */
declare const __PINCODE_REASONS__: { cancel: string[]; itemUnits: string[] } | undefined;

const tables = typeof __PINCODE_REASONS__ !== "undefined" ? __PINCODE_REASONS__ : { cancel: [], itemUnits: [] };

export const CANCEL_REASONS: readonly string[] = tables.cancel;
export const ITEM_UNIT_REASONS: readonly string[] = tables.itemUnits;

/** `BUYER_NO_CONTACT` -> "Buyer no contact": what a person at the counter reads. */
export function reasonLabel(code: string): string {
  const words = code.toLowerCase().split("_").join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
