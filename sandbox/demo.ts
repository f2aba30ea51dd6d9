/**
 * The demo generator: creates orders at a gentle rate across the stores and moves them along, so local mode shows
 * live traffic (callbacks, polls) without anyone clicking. Deterministic for the sandbox seed.
 */
import type { SandboxEngine } from "./engine.ts";
import { SandboxError } from "./http.ts";
import { deriveSeed, mulberry32, type Prng } from "./prng.ts";
import { nextSellerActions } from "./state-machine.ts";

export interface DemoOptions {
  /** Time between demo steps. Default 3000 ms. */
  intervalMs?: number | undefined;
  /**
   * Also play the seller (accept, pack, complete) so orders finish on their own. Default true; turn it off when
   * the seller's own system (e.g. the bridge's seller API) should make those moves.
   */
  sellerActions?: boolean | undefined;
  /** No new orders while this many are still open. Default 12. */
  maxOpenOrders?: number | undefined;
}

export class DemoDriver {
  private timer: NodeJS.Timeout | undefined;
  private prng: Prng;
  private options: Required<{ [K in keyof DemoOptions]: NonNullable<DemoOptions[K]> }> = {
    intervalMs: 3_000,
    sellerActions: true,
    maxOpenOrders: 12,
  };

  constructor(
    private readonly engine: SandboxEngine,
    private readonly log: (line: string) => void,
  ) {
    this.prng = mulberry32(deriveSeed(engine.seed, "demo"));
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(options: DemoOptions = {}): void {
    this.stop();
    this.options = {
      intervalMs: options.intervalMs ?? 3_000,
      sellerActions: options.sellerActions ?? true,
      maxOpenOrders: options.maxOpenOrders ?? 12,
    };
    this.timer = setInterval(() => this.step(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One demo step: a new order, or one order moved on by logistics or the seller. */
  step(): void {
    try {
      const open = this.engine.openOrders();
      const wantsNew = open.length === 0 || (open.length < this.options.maxOpenOrders && this.prng.chance(0.35));
      if (wantsNew) {
        this.engine.createOrder({ storeId: this.prng.pick(this.engine.stores) });
        return;
      }
      const order = this.prng.pick(open);
      const delivery = order.fulfillments.find((f) => f.type === "DELIVERY");
      const logisticsCanMove = delivery?.fulfillmentState !== undefined && delivery.fulfillmentState !== "DELIVERED";
      if (logisticsCanMove && (!this.options.sellerActions || this.prng.chance(0.7))) {
        this.engine.advanceOrder(order.id);
        return;
      }
      if (!this.options.sellerActions) return;
      if (order.orderState === "CREATED" && this.prng.chance(0.05)) {
        this.engine.applyAsSeller(order.id, [
          { type: "ORDER_STATE_UPDATE", orderState: "CANCELLED", reason: "ITEM_UNAVAILABLE" },
        ]);
        return;
      }
      const actions = nextSellerActions(order);
      if (actions) this.engine.applyAsSeller(order.id, actions);
      else if (logisticsCanMove) this.engine.advanceOrder(order.id);
    } catch (error) {
      // A store disabled by a store toggle refuses new orders; that is the demo working, not failing.
      if (error instanceof SandboxError && error.status < 500) return;
      this.log(`demo step failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
