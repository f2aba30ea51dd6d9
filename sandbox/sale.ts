/**
 * A sale: `count` new orders for one store at a steady `perSecond`, created by the sandbox itself (as Pincode creates
 * orders on its own), each with the wall-clock time it was created. The end-to-end bench starts one and afterwards
 * reads the creation times, so the load generator is not in the measured pipeline's process, whichever process that
 * is (issue 11: creating 10,000 orders over HTTP from a busy parent ran at 18/s instead of 100/s).
 *
 *   POST /_sandbox/sale {storeId, count, perSecond}   202; 409 while one runs
 *   GET  /_sandbox/sale[?orders=1]                    {running, created, count, perSecond, error?, orders?}
 */
import { z } from "zod";
import type { CreateOrderInput, OrderView } from "./engine.ts";

export const SaleInputSchema = z.strictObject({
  storeId: z.string().min(1),
  count: z.number().int().min(1).max(100_000),
  /** Orders per second; 0: all at once (in slices of 100, yielding between them). */
  perSecond: z.number().min(0).max(10_000),
});
export type SaleInput = z.infer<typeof SaleInputSchema>;

export interface SaleStatus {
  running: boolean;
  created: number;
  count: number;
  perSecond: number;
  /** Why the sale stopped early (e.g. the store was disabled). */
  error?: string;
  /** Every order created, with its creation time (epoch ms); only when asked for. */
  orders?: Array<{ id: string; createdAt: number }>;
}

const TICK_MS = 100;

export class Sale {
  private readonly orders: Array<{ id: string; createdAt: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  private error: string | undefined;
  private startedAt = 0;

  constructor(
    private readonly input: SaleInput,
    private readonly createOrder: (input: CreateOrderInput) => OrderView,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  status(withOrders: boolean): SaleStatus {
    return {
      running: this.running,
      created: this.orders.length,
      count: this.input.count,
      perSecond: this.input.perSecond,
      ...(this.error ? { error: this.error } : {}),
      ...(withOrders ? { orders: [...this.orders] } : {}),
    };
  }

  /** Creates the orders due by now: steady in time, catching up after a late tick. */
  private tick(): void {
    const { count, perSecond, storeId } = this.input;
    const due =
      perSecond > 0
        ? Math.min(count, Math.ceil(((Date.now() - this.startedAt) / 1000) * perSecond))
        : Math.min(count, this.orders.length + 100);
    try {
      while (this.orders.length < due) {
        const order = this.createOrder({ storeId });
        this.orders.push({ id: String(order.id), createdAt: Date.now() });
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.stop();
      return;
    }
    if (this.orders.length >= count) this.stop();
  }
}
