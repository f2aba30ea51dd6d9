import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { admin, ManualClock, PincodeCaller } from "#sandbox/testkit.ts";

const clock = new ManualClock();
let sandbox: Sandbox;
let pincode: PincodeCaller;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 41, clock, stores: ["S01", "S02"] });
  pincode = new PincodeCaller(sandbox.url, sandbox);
});
afterAll(() => sandbox.stop());

type Op = { kind: "create"; store: "S01" | "S02"; dt: number } | { kind: "update"; pick: number; dt: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("create" as const),
    store: fc.constantFrom("S01" as const, "S02" as const),
    dt: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant("update" as const), pick: fc.nat(), dt: fc.integer({ min: 0, max: 3 }) }),
);

interface Change {
  orderId: string;
  storeId: string;
  time: number;
  /** How many pages had been fetched when the change happened. */
  pagesBefore: number;
}

describe("Order Poll paging over HTTP (property)", () => {
  it("never skips an order updated inside the window while orders change between page fetches", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 15 }),
        fc.array(op, { maxLength: 15 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom("ASC" as const, "DESC" as const),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        async (before, during, size, sortOrder, fromOffset, span) => {
          // Prepare
          sandbox.reset();
          run += 1;
          const t0 = clock.now();
          const changes: Change[] = [];
          const orders: { id: string; storeId: string }[] = [];
          let pages = 0;
          const apply = async (o: Op) => {
            clock.advance(o.dt);
            if (o.kind === "create" || orders.length === 0) {
              const storeId = o.kind === "create" ? o.store : "S01";
              const view = (await admin(sandbox.url, "POST", "/_sandbox/orders", { storeId })).json as {
                id: string;
                updatedAt: string;
              };
              orders.push({ id: view.id, storeId });
              changes.push({ orderId: view.id, storeId, time: Number(view.updatedAt), pagesBefore: pages });
              return;
            }
            const target = orders[o.pick % orders.length]!;
            const answer = await pincode.post("/tsp/order/v1/update", {
              requestContext: {
                requestId: `R${run}-${changes.length}`,
                transactionId: target.id,
                actionType: "UPDATE",
              },
              orderId: target.id,
              actions: [
                { type: "CLIENT_ORDER_INFO_UPDATE", clientOrderInfo: { sellerInvoiceId: `INV${changes.length}` } },
              ],
            });
            expect(answer.status).toBe(200);
            const updatedAt = Date.parse((answer.json as { response: { updatedAt: string } }).response.updatedAt);
            changes.push({ orderId: target.id, storeId: target.storeId, time: updatedAt, pagesBefore: pages });
          };
          for (const o of before) await apply(o);
          // The window may reach past "now", so changes made while paging can land inside it.
          const from = t0 + fromOffset;
          const to = from + span;
          const pending = [...during];

          // Act
          const seen = new Set<string>();
          let nextPage: string | undefined;
          do {
            const answer = await pincode.post("/tsp/order/v1/changes", {
              requestContext: { requestId: `P${run}-${pages}` },
              serviceProviderId: "S01",
              fromTimestamp: from,
              toTimestamp: to,
              sortOrder,
              size,
              ...(nextPage ? { nextPage } : {}),
            });
            expect(answer.status).toBe(200);
            pages += 1;
            const page = (answer.json as { response: { orderIds: string[]; nextPage?: string } }).response;
            expect(page.orderIds.length).toBeLessThanOrEqual(size);
            for (const id of page.orderIds) seen.add(id);
            nextPage = page.nextPage;
            for (const o of pending.splice(0, 2)) await apply(o);
          } while (nextPage && pages < 100);

          // Assess: every S01 order changed inside the window before the scan started (ASC: before its last page)
          // is listed, and nothing else is.
          const inWindow = changes.filter((c) => c.storeId === "S01" && c.time >= from && c.time <= to);
          for (const c of inWindow) {
            const mustAppear = sortOrder === "ASC" ? c.pagesBefore < pages : c.pagesBefore === 0;
            if (mustAppear) expect(seen, `${c.orderId} changed at ${c.time}`).toContain(c.orderId);
          }
          const allowed = new Set(inWindow.map((c) => c.orderId));
          for (const id of seen) expect(allowed).toContain(id);
        },
      ),
      { numRuns: 40 },
    );
  });
});
