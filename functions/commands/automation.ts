/**
 * Per-store automation (issue 9), off by default, switched in the store config item (`automation.autoAccept`,
 * `automation.packOnAccept`): a new order of an auto-accepting store gets an accept command, submitted like a
 * seller's own with the idempotency key `auto-accept-<orderId>`, so every redelivery or repeated snapshot of the
 * order maps to that one command. "Pack on accept" is applied by submitOrderActions to every accept.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { isNewOrderState } from "#core/order-actions.ts";
import { type SubmitDeps, submitOrderActions } from "./submit.ts";

export interface OrderAutomation {
  /** Called by the processor with the order's stored state after each snapshot. */
  onOrderView(view: { orderId: string; storeId: string | null; orderState: string | null }): Promise<void>;
}

export const autoAcceptKey = (orderId: string) => `auto-accept-${orderId}`;

export function createOrderAutomation(deps: SubmitDeps, logger: Logger): OrderAutomation {
  return {
    async onOrderView(view) {
      if (!view.storeId || !isNewOrderState(view.orderState)) return;
      const store = await deps.stores.get(view.storeId);
      if (store?.status !== "ACTIVE" || !store.automation.autoAccept) return;
      const result = await submitOrderActions(deps, {
        orderId: view.orderId,
        idempotencyKey: autoAcceptKey(view.orderId),
        body: { actions: [{ type: "accept" }] },
        origin: "automation",
      });
      // 409: accepted meanwhile by someone else; 422 cannot happen (same key, same body). Neither is an error.
      logger.info("auto-accept", { orderId: view.orderId, storeId: view.storeId, status: result.status });
    },
  };
}
