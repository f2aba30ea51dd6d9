import { describe, expect, it } from "vitest";
import { adaptiveScheduleOf, parsePollerEnv } from "../../functions/poller/env.ts";
import {
  type AdaptiveSchedule,
  dueAtOf,
  firstPassPeriodMs,
  intervalCeilingMs,
  maxTasksPerTick,
  nextPollInterval,
  selectDueStores,
  storeOffsetMs,
} from "../../functions/poller/schedule.ts";

const S: AdaptiveSchedule = {
  minMs: 60_000,
  maxMs: 960_000,
  missMemoryMs: 3_600_000,
  tickMs: 60_000,
  maxTasksPerRun: 1_000,
};
const NOW = 1_800_000_000_000;
const quiet = { changed: 0, missed: 0, completed: true };

describe("the adaptive interval rule", () => {
  it("starts a store never polled at the minimum and doubles it while the store is quiet, up to the maximum", () => {
    let state: { intervalMs?: number; lastMissAt?: number } = {};
    const seen: number[] = [];
    for (let run = 0; run < 8; run++) {
      const next = nextPollInterval(state, quiet, NOW + run, S);
      expect(next.reason).toBe("quiet");
      seen.push(next.intervalMs);
      state = { intervalMs: next.intervalMs };
    }
    expect(seen).toEqual([120_000, 240_000, 480_000, 960_000, 960_000, 960_000, 960_000, 960_000]);
  });

  it("halves the interval while orders are in flight and their callbacks arrive, not below the minimum", () => {
    const inFlight = { changed: 3, missed: 0, completed: true };
    expect(nextPollInterval({ intervalMs: 960_000 }, inFlight, NOW, S)).toMatchObject({
      intervalMs: 480_000,
      reason: "in-flight",
    });
    expect(nextPollInterval({ intervalMs: 90_000 }, inFlight, NOW, S).intervalMs).toBe(60_000);
  });

  it("drops to the minimum when a callback was missed, and stays there for the miss memory", () => {
    const missed = nextPollInterval({ intervalMs: 960_000 }, { changed: 2, missed: 1, completed: true }, NOW, S);
    expect(missed).toEqual({ intervalMs: 60_000, lastMissAt: NOW, reason: "missed" });
    const later = NOW + S.missMemoryMs - 1;
    expect(nextPollInterval({ intervalMs: 60_000, lastMissAt: NOW }, quiet, later, S)).toEqual({
      intervalMs: 60_000,
      lastMissAt: NOW,
      reason: "recent-miss",
    });
    // Once the memory has passed with no new miss, a quiet store grows again.
    const after = nextPollInterval({ intervalMs: 60_000, lastMissAt: NOW }, quiet, NOW + S.missMemoryMs, S);
    expect(after).toMatchObject({ intervalMs: 120_000, reason: "quiet", lastMissAt: NOW });
  });

  it("polls a store that is behind (run stopped before the live window's end) at the minimum", () => {
    expect(nextPollInterval({ intervalMs: 960_000 }, { ...quiet, completed: false }, NOW, S)).toMatchObject({
      intervalMs: 60_000,
      reason: "behind",
    });
  });

  it("brings a stored interval outside new bounds back inside them", () => {
    expect(nextPollInterval({ intervalMs: 10_000_000 }, quiet, NOW, S).intervalMs).toBe(960_000);
    expect(nextPollInterval({ intervalMs: 1_000 }, { changed: 1, missed: 0, completed: true }, NOW, S).intervalMs).toBe(
      60_000,
    );
  });
});

describe("the due-store selection", () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `S${String(i).padStart(5, "0")}`);

  it("spreads stores never polled over the minimum interval: each is due exactly once per interval", () => {
    const wide: AdaptiveSchedule = { ...S, minMs: 600_000, maxTasksPerRun: 100_000 };
    const counts = new Map<string, number>();
    const perTick: number[] = [];
    for (let tick = 0; tick < 10; tick++) {
      const { due } = selectDueStores(
        ids.map((storeId) => ({ storeId })),
        NOW + tick * 60_000,
        wide,
      );
      perTick.push(due.length);
      for (const d of due) counts.set(d.storeId, (counts.get(d.storeId) ?? 0) + 1);
    }
    expect(counts.size).toBe(ids.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // Roughly a tenth per tick (the FNV offsets are spread), never all at once.
    expect(Math.max(...perTick)).toBeLessThan(1_300);
    expect(Math.min(...perTick)).toBeGreaterThan(700);
  });

  it("sends a store only when due before the tick ends, delayed to its time within the tick", () => {
    const { due, notDue } = selectDueStores(
      [
        { storeId: "A", dueAt: NOW + 30_500 },
        { storeId: "B", dueAt: NOW + 60_000 },
        { storeId: "C", dueAt: NOW - 5_000 },
      ],
      NOW,
      S,
    );
    expect(notDue).toBe(1);
    expect(due.map((d) => d.storeId)).toEqual(["C", "A"]);
    expect(due[1]?.delaySeconds).toBe(30);
    // An overdue store goes at its own offset within the tick, so overdue stores do not all start at second 0.
    expect(due[0]?.delaySeconds).toBe(Math.floor(storeOffsetMs("C", 60_000) / 1000));
  });

  it("never sends more than one tick's poll budget, the most overdue first; the rest stay due", () => {
    const stores = ids.slice(0, 50).map((storeId, i) => ({ storeId, dueAt: NOW - i * 1_000 }));
    const { due, deferred } = selectDueStores(stores, NOW, { ...S, maxTasksPerRun: 20 });
    expect(due).toHaveLength(20);
    expect(deferred).toBe(30);
    expect(due[0]?.storeId).toBe("S00049");
    expect(Math.min(...due.map((d) => d.dueAt))).toBe(NOW - 49_000);
  });

  it("makes a store without a stored due time due within one minimum interval from any tick", () => {
    for (const storeId of ["NEW-1", "NEW-2", "x"]) {
      const at = dueAtOf(storeId, undefined, NOW, S.minMs);
      expect(at).toBeGreaterThanOrEqual(NOW);
      expect(at).toBeLessThan(NOW + S.minMs);
    }
  });

  it("spreads 10,000 never-polled stores over the ticks the budget needs, never above one tick's cap, each once", () => {
    const capped: AdaptiveSchedule = { ...S, minMs: 120_000, maxTasksPerRun: 544 };
    // 95% of the cap (516 a tick) for the rotation: 20 ticks.
    expect(firstPassPeriodMs(ids.length, capped)).toBe(20 * 60_000);
    const counts = new Map<string, number>();
    for (let tick = 0; tick < 20; tick++) {
      // A polled store has its next due time stored (here: later than this test looks).
      const { due } = selectDueStores(
        ids.map((storeId) => (counts.has(storeId) ? { storeId, dueAt: NOW + 36_000_000 } : { storeId })),
        NOW + tick * 60_000,
        capped,
      );
      expect(due.length).toBeLessThanOrEqual(516);
      if (tick < 19) expect(due.length).toBe(516);
      for (const d of due) counts.set(d.storeId, (counts.get(d.storeId) ?? 0) + 1);
    }
    // Every store exactly once, at the rotation's pace: none is pushed to a later round.
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(ids.length);
  });

  it("sends never-polled stores before stores due again, so a first pass is not starved by re-polls", () => {
    const stored = ids.slice(0, 40).map((storeId) => ({ storeId, dueAt: NOW - 600_000 }));
    const fresh = ["NEW-A", "NEW-B"].map((storeId) => ({ storeId }));
    const selection = selectDueStores([...stored, ...fresh], NOW, { ...S, minMs: 60_000, maxTasksPerRun: 10 });
    expect(
      selection.due
        .slice(0, 2)
        .map((d) => d.storeId)
        .sort(),
    ).toEqual(["NEW-A", "NEW-B"]);
    expect(selection.deferred).toBe(32);
  });

  it("derives one tick's task cap from the budget: 20/s paced at 90%, 85% for polls, over 60 s is 918 one-call runs", () => {
    expect(maxTasksPerTick(20, 60_000)).toBe(918);
    expect(maxTasksPerTick(20, 60_000, 0.8, 0.85)).toBe(816);
    expect(maxTasksPerTick(0.01, 60_000)).toBe(1);
  });

  it("derives the interval ceiling from the stores and the cap: 10,000 stores at 20/s within 689 s", () => {
    const cap: AdaptiveSchedule = { ...S, minMs: 120_000, maxTasksPerRun: maxTasksPerTick(20, 60_000) };
    // 95% of the 918-task cap is the rotation: 872 stores a tick.
    expect(intervalCeilingMs(10_000, cap)).toBe(Math.ceil((10_000 * 60_000) / 872));
    expect(intervalCeilingMs(10_000, cap)).toBeLessThanOrEqual(689_000);
    // Few stores: never below the minimum interval, nor below the floor the poller sets (look-back + settle).
    expect(intervalCeilingMs(50, cap)).toBe(120_000);
    expect(intervalCeilingMs(50, { ...cap, ceilingFloorMs: 630_000 })).toBe(630_000);
    // The target, (stores / budget) x 1.5 = 750 s, leaves 61 s for the settle (30 s), scheduling and the check.
    expect(750_000 - intervalCeilingMs(10_000, cap)).toBeGreaterThanOrEqual(60_000);
  });

  it("polls a store whose stored due time is beyond the ceiling at its last run + the ceiling", () => {
    const cap: AdaptiveSchedule = { ...S, minMs: 60_000, maxMs: 3_600_000, maxTasksPerRun: 10 };
    // 100 stores, 9 a tick for the rotation: ceiling 11.1 ticks. Store X reaches it 30 s into this tick, although its
    // stored due time is 50 minutes away.
    const ceiling = intervalCeilingMs(100, cap);
    expect(ceiling).toBe(666_667);
    const others = ids.slice(0, 99).map((storeId) => ({ storeId, dueAt: NOW + 3_600_000, lastPolledAt: NOW }));
    const x = { storeId: "X", dueAt: NOW + 3_000_000, lastPolledAt: NOW + 30_000 - ceiling };
    const selection = selectDueStores([...others, x], NOW, cap);
    expect(selection.due.map((d) => d.storeId)).toEqual(["X"]);
    expect(selection.due[0]?.dueAt).toBe(NOW + 30_000);
    expect(selection.due[0]?.delaySeconds).toBe(30);
  });

  it("serves stores reaching their ceiling before stores at the minimum interval, so missed callbacks starve no one", () => {
    const cap: AdaptiveSchedule = { ...S, minMs: 60_000, maxMs: 3_600_000, maxTasksPerRun: 10 };
    // 100 stores, ceiling 667 s. 30 stores at the minimum interval, long overdue (a wave of missed callbacks); 10 stores
    // whose ceiling falls in this tick although their stored due time is later; the rest not due.
    const atMin = ids.slice(0, 30).map((storeId) => ({ storeId, dueAt: NOW - 300_000, lastPolledAt: NOW - 360_000 }));
    const ceiling = intervalCeilingMs(100, cap);
    const atLimit = ids
      .slice(30, 40)
      .map((storeId, i) => ({ storeId, dueAt: NOW + 3_000_000, lastPolledAt: NOW - ceiling + i * 1_000 }));
    const rest = ids.slice(40, 100).map((storeId) => ({ storeId, dueAt: NOW + 3_000_000, lastPolledAt: NOW }));
    const selection = selectDueStores([...atMin, ...atLimit, ...rest], NOW, cap);
    expect(selection.due.map((d) => d.storeId).sort()).toEqual(atLimit.map((s) => s.storeId).sort());
    expect(selection.deferred).toBe(30);

    // Simulated over an hour with the same 30 hungry stores due every minute: every store is polled within the
    // ceiling (+ one tick, the granularity of the fan-out), and the hungry ones get what is left.
    const state = new Map<string, { dueAt: number; lastPolledAt: number }>();
    for (const [i, id] of ids.slice(0, 100).entries())
      state.set(id, { dueAt: NOW + (i < 30 ? 0 : 3_600_000), lastPolledAt: NOW - (i % 10) * 60_000 });
    let worstGap = 0;
    for (let tick = 0; tick < 60; tick++) {
      const t = NOW + tick * 60_000;
      const { due } = selectDueStores(
        [...state].map(([storeId, v]) => ({ storeId, ...v })),
        t,
        cap,
      );
      for (const d of due) {
        const v = state.get(d.storeId) as { dueAt: number; lastPolledAt: number };
        const at = t + d.delaySeconds * 1000;
        if (tick > 0) worstGap = Math.max(worstGap, at - v.lastPolledAt);
        const hungry = Number(d.storeId.slice(1)) < 30;
        state.set(d.storeId, { lastPolledAt: at, dueAt: at + (hungry ? 60_000 : 3_600_000) });
      }
    }
    expect(worstGap).toBeLessThanOrEqual(ceiling + 60_000);
  });
});

describe("adaptive polling configuration", () => {
  const env = {
    TABLE_NAME: "t",
    EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/events",
    POLL_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/poll",
    PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com",
    PINCODE_AUTH_URL: "https://stg-identitymanager.phonepe.com",
    PINCODE_CREDENTIALS_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:1:secret:x",
  };

  it("is off without bounds, so every run polls every store as before", () => {
    expect(adaptiveScheduleOf(parsePollerEnv(env))).toBeUndefined();
  });

  it("reads the bounds, the miss memory and the task cap from the budget", () => {
    const schedule = adaptiveScheduleOf(
      parsePollerEnv({
        ...env,
        POLL_INTERVAL_MIN_S: "60",
        POLL_INTERVAL_MAX_S: "900",
        PINCODE_RATE_LIMIT_PER_S: "20",
      }),
    );
    expect(schedule).toEqual({
      minMs: 60_000,
      maxMs: 900_000,
      missMemoryMs: 3_600_000,
      tickMs: 60_000,
      maxTasksPerRun: 918,
    });
  });

  it("refuses one bound without the other, or min above max, naming both variables", () => {
    expect(() => adaptiveScheduleOf(parsePollerEnv({ ...env, POLL_INTERVAL_MIN_S: "60" }))).toThrow(
      /POLL_INTERVAL_MIN_S and POLL_INTERVAL_MAX_S/,
    );
    expect(() =>
      adaptiveScheduleOf(parsePollerEnv({ ...env, POLL_INTERVAL_MIN_S: "600", POLL_INTERVAL_MAX_S: "60" })),
    ).toThrow(/min <= max/);
  });
});
