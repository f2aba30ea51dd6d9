import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChangeLog, decodeCursor, encodeCursor, type PollQuery } from "#sandbox/change-log.ts";

const change = fc.record({ order: fc.integer({ min: 0, max: 11 }), dt: fc.integer({ min: 0, max: 3 }) });

describe("ChangeLog paging", () => {
  it("never skips an order changed inside the window, however orders change between pages", () => {
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        fc.array(change, { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom("ASC" as const, "DESC" as const),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 4 }),
        (before, during, size, sortOrder, fromOffset, span, perPage) => {
          // Prepare: a log with changes, then a window that may reach past "now" (so new changes land inside it).
          const log = new ChangeLog();
          const t0 = 1_000;
          let now = t0;
          const events: { orderId: string; time: number; appendedBeforePage: number }[] = [];
          let pagesFetched = 0;
          const append = (c: { order: number; dt: number }) => {
            now += c.dt;
            const orderId = `OD${c.order}`;
            log.append("S01", orderId, now);
            events.push({ orderId, time: now, appendedBeforePage: pagesFetched });
          };
          before.forEach(append);
          const query: PollQuery = { storeId: "S01", from: t0 + fromOffset, to: t0 + fromOffset + span, sortOrder };
          const seen = new Set<string>();
          const pending = [...during];

          // Act: page through, applying some changes between pages.
          let after: number | undefined;
          for (;;) {
            const page = log.page(query, size, after);
            pagesFetched += 1;
            expect(page.orderIds.length).toBeLessThanOrEqual(size);
            expect(new Set(page.orderIds).size).toBe(page.orderIds.length);
            for (const id of page.orderIds) seen.add(id);
            if (page.resumeAfter === undefined) break;
            after = page.resumeAfter;
            pending.splice(0, perPage).forEach(append);
            expect(pagesFetched).toBeLessThan(200);
          }

          // Assess: everything changed in the window before the scan began is there (ASC: before its last page),
          // and nothing outside the window is.
          const inWindow = events.filter((e) => e.time >= query.from && e.time <= query.to);
          const mustSee = inWindow.filter((e) =>
            sortOrder === "ASC" ? e.appendedBeforePage < pagesFetched : e.appendedBeforePage === 0,
          );
          for (const e of mustSee) expect(seen).toContain(e.orderId);
          const anyInWindow = new Set(inWindow.map((e) => e.orderId));
          for (const id of seen) expect(anyInWindow).toContain(id);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("pages in the asked direction and treats both window bounds as inclusive", () => {
    // Prepare
    const log = new ChangeLog();
    log.append("S01", "OD1", 100);
    log.append("S01", "OD2", 200);
    log.append("S02", "OD9", 250);
    log.append("S01", "OD3", 300);
    log.append("S01", "OD4", 301);

    // Act
    const asc = log.page({ storeId: "S01", from: 100, to: 300, sortOrder: "ASC" }, 10);
    const desc = log.page({ storeId: "S01", from: 100, to: 300, sortOrder: "DESC" }, 10);

    // Assess
    expect(asc.orderIds).toEqual(["OD1", "OD2", "OD3"]);
    expect(desc.orderIds).toEqual(["OD3", "OD2", "OD1"]);
    expect(asc.resumeAfter).toBeUndefined();
  });

  it("keeps pages dense: repeat changes of an order already on the page do not use up the page size", () => {
    const log = new ChangeLog();
    for (const [id, t] of [
      ["OD1", 1],
      ["OD1", 2],
      ["OD2", 3],
      ["OD1", 4],
      ["OD3", 5],
    ] as const) {
      log.append("S01", id, t);
    }
    const first = log.page({ storeId: "S01", from: 0, to: 10, sortOrder: "ASC" }, 2);
    expect(first.orderIds).toEqual(["OD1", "OD2"]);
    const second = log.page({ storeId: "S01", from: 0, to: 10, sortOrder: "ASC" }, 2, first.resumeAfter);
    expect(second.orderIds).toEqual(["OD3"]);
    expect(second.resumeAfter).toBeUndefined();
  });

  it("refuses a time that goes backwards, so the log stays sorted", () => {
    const log = new ChangeLog();
    log.append("S01", "OD1", 10);
    expect(() => log.append("S02", "OD2", 9)).toThrow(/must not decrease/);
  });
});

describe("nextPage cursor", () => {
  const query: PollQuery = { storeId: "S01", from: 1, to: 2, sortOrder: "ASC" };

  it("round-trips for the same query and generation", () => {
    expect(decodeCursor(encodeCursor(3, query, 17), 3, query)).toEqual({ ok: true, position: 17 });
  });

  it("is rejected with another query, after a reset, or when it is not ours", () => {
    const cursor = encodeCursor(3, query, 17);
    const other = decodeCursor(cursor, 3, { ...query, sortOrder: "DESC" });
    expect(other).toMatchObject({ ok: false, message: expect.stringMatching(/different query/) });
    expect(decodeCursor(cursor, 4, query)).toMatchObject({ ok: false, message: expect.stringMatching(/reset/) });
    expect(decodeCursor("eyJzdGFydCI6IkFUMVRiMVpYVnpSVmJrZ", 3, query)).toMatchObject({ ok: false });
    expect(decodeCursor("%%%not-base64", 3, query)).toMatchObject({ ok: false });
  });
});
