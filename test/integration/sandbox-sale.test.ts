/**
 * POST /_sandbox/sale (issue 11's end-to-end bench): the sandbox creates `count` orders for a store at a steady rate
 * by itself and keeps each order's creation time, so the load is not made by the process being measured.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpSandboxControl } from "#sandbox/control.ts";
import { Sale } from "#sandbox/sale.ts";
import { type Sandbox, SandboxError, startSandbox } from "#sandbox/sandbox.ts";
import { admin } from "#sandbox/testkit.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: 9, stores: ["S01", "S02"] });
});
afterAll(() => sandbox.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("POST /_sandbox/sale", () => {
  it("answers 404 naming the route before any sale, and 400 naming the field on bad input", async () => {
    const none = await admin(sandbox.url, "GET", "/_sandbox/sale");
    expect(none.status).toBe(404);
    expect(JSON.stringify(none.json)).toContain("POST /_sandbox/sale");
    const bad = await admin(sandbox.url, "POST", "/_sandbox/sale", { storeId: "S01", count: 0, perSecond: 10 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain("count");
  });

  it("creates the orders at the rate asked, in the sandbox, with their creation times; one sale at a time", async () => {
    const control = httpSandboxControl(sandbox.url);
    const before = sandbox.listOrders("S02").length;
    const started = await control.startSale({ storeId: "S02", count: 30, perSecond: 100 });
    expect(started).toMatchObject({ running: true, count: 30, perSecond: 100 });
    const again = await admin(sandbox.url, "POST", "/_sandbox/sale", { storeId: "S02", count: 1, perSecond: 1 });
    expect(again.status).toBe(409);

    let status = await control.saleStatus();
    while (status.running) {
      await sleep(50);
      status = await control.saleStatus();
    }
    const { orders = [] } = await control.saleStatus(true);
    expect(status.created).toBe(30);
    expect(orders).toHaveLength(30);
    // The sandbox knows them: the ids are its orders for that store.
    const known = new Set(sandbox.listOrders("S02").map((o) => String(o.id)));
    expect(known.size).toBe(before + 30);
    expect(orders.every((o) => known.has(o.id))).toBe(true);
    // Steady, not all at once: 30 orders at 100/s take about 0.3 s (ticks of 100 ms).
    const times = orders.map((o) => o.createdAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual(150);
  });

  it("stops early and says why when an order cannot be created", async () => {
    let made = 0;
    const sale = new Sale({ storeId: "S01", count: 10, perSecond: 0 }, () => {
      if (made === 3) throw new SandboxError(409, "STORE_DISABLED", "store S01 is disabled");
      made += 1;
      return { id: `O${made}` };
    });
    sale.start();
    await sleep(20);
    expect(sale.status(true)).toMatchObject({
      running: false,
      created: 3,
      error: "store S01 is disabled",
      orders: [{ id: "O1" }, { id: "O2" }, { id: "O3" }],
    });
  });
});
