import { describe, expect, it } from "vitest";
import {
  defaultPriority,
  MemoryPacingStore,
  type PacingReserveInput,
  parseFamilyRates,
  RateBudgetDeadlineError,
  SharedRateBudget,
} from "../../functions/pincode/rate-budget.ts";

/** A fake clock whose sleep advances it, and a record of every reservation's key and slot. */
function setup(options: { perSecond?: number; families?: Record<string, number>; horizon?: number } = {}) {
  let now = 1_000_000;
  const store = new MemoryPacingStore();
  const reserved: { key: string; slot: number }[] = [];
  const recording = {
    async reserve(input: PacingReserveInput) {
      const answer = await store.reserve(input);
      if ("slot" in answer) reserved.push({ key: input.key, slot: answer.slot });
      return answer;
    },
  };
  const sent: number[] = [];
  const budget = new SharedRateBudget({
    ...(options.perSecond === undefined ? {} : { perSecond: options.perSecond }),
    ...(options.families ? { families: options.families } : {}),
    store: recording,
    ...(options.horizon === undefined ? {} : { backgroundHorizonMs: options.horizon }),
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    random: () => 0.5,
  });
  const send = async (
    family: "poll" | "status" | "update" | "catalog",
    priority = defaultPriority(family),
    deadline = now + 60_000,
  ) => {
    await budget.acquire({ family, priority, deadline });
    sent.push(now);
  };
  return { budget, send, sent, reserved, store, clock: { now: () => now, advance: (ms: number) => (now += ms) } };
}

describe("shared rate budget (GCRA pacing)", () => {
  it("paces at 90% of the budget by default: 20/s becomes one call every 56 ms", async () => {
    const { budget, send, sent } = setup({ perSecond: 20 });
    expect(budget.intervals()).toEqual({ total: 56 });
    for (let i = 0; i < 40; i++) await send("poll", "command");
    const gaps = sent.slice(1).map((t, i) => t - (sent[i] as number));
    expect(new Set(gaps)).toEqual(new Set([56]));
    // Every one-second window holds at most the budget.
    for (const start of sent)
      expect(sent.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(20);
  });

  it("sends at once when the schedule is idle", async () => {
    const { send, sent, clock } = setup({ perSecond: 5 });
    const t0 = clock.now();
    await send("update");
    clock.advance(10_000);
    await send("update");
    expect(sent).toEqual([t0, t0 + 10_000]);
  });

  it("lets a background call reserve only within its horizon, a command up to its deadline", async () => {
    const { budget, send, sent, reserved, clock, store } = setup({ perSecond: 10, horizon: 250 });
    // Other containers' commands fill the schedule one second ahead (118 ms apart).
    const t0 = clock.now();
    for (let i = 0; i < 9; i++) {
      await store.reserve({ key: "pincode:total", notBefore: t0, intervalMs: 118, latestSlot: t0 + 60_000 });
    }
    const tail = t0 + 9 * 118;
    await send("poll", "background");
    // Deferred (nothing reserved) until the tail was within 250 ms, then placed at the tail.
    expect(budget.counters.deferred).toBeGreaterThan(0);
    expect(reserved).toEqual([{ key: "pincode:total", slot: tail }]);
    expect(sent[0]).toBe(tail);

    // A command reserves straight away, however far ahead the tail is.
    const before = budget.counters.deferred;
    for (let i = 0; i < 9; i++) {
      await store.reserve({
        key: "pincode:total",
        notBefore: clock.now(),
        intervalMs: 118,
        latestSlot: clock.now() + 60_000,
      });
    }
    await send("update", "command");
    expect(budget.counters.deferred).toBe(before);
  });

  it("asks for a slot a round trip ahead when the store answers slowly, so an idle schedule's slot is not late on arrival", async () => {
    // A store that takes 100 ms to answer (a starved event loop, a slow DynamoDB): a slot at "now" is 100 ms old when
    // it arrives, beyond the 60 ms tolerance. Without the lead a command would give up every slot until its deadline.
    let now = 2_000_000;
    const store = new MemoryPacingStore();
    const slots: number[] = [];
    const budget = new SharedRateBudget({
      perSecond: 20,
      store: {
        async reserve(input) {
          const answer = await store.reserve(input);
          now += 100;
          if ("slot" in answer) slots.push(answer.slot);
          return answer;
        },
      },
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      random: () => 0.5,
    });
    const sent: number[] = [];
    for (let i = 0; i < 5; i++) {
      now += 5_000; // idle between calls
      await budget.acquire({ family: "update", priority: "command", deadline: now + 2_000 });
      sent.push(now);
    }
    // Only the first call, before any round trip was measured, finds its slot late once.
    expect(budget.counters.lateSlots).toBe(1);
    expect(budget.counters.lateAnswers).toBe(1);
    // Every call went out at or after its slot, within the tolerance; never before it.
    for (const t of sent) expect(slots.some((slot) => t >= slot && t - slot <= 60)).toBe(true);
    expect(budget.counters.maxWaitMs.command).toBeLessThanOrEqual(300);
    // A background caller still gets a slot: its 250 ms horizon counts from now + the lead, not from now.
    now += 5_000;
    await budget.acquire({ family: "poll", priority: "background", deadline: now + 2_000 });
    expect(budget.counters.deferred).toBe(0);
    expect(budget.counters.lateSlots).toBe(1);
  });

  it("refuses a call it cannot place before the deadline", async () => {
    const { send, clock } = setup({ perSecond: 1 });
    await send("update", "command");
    await expect(send("update", "command", clock.now() + 100)).rejects.toBeInstanceOf(RateBudgetDeadlineError);
  });

  it("with per-family limits, a call's slots in its family and in the total lie together", async () => {
    const { budget, send, sent, reserved } = setup({ perSecond: 20, families: { poll: 2 } });
    expect(budget.intervals()).toEqual({ total: 56, poll: 556 });
    for (let i = 0; i < 5; i++) await send("poll", "command");
    for (let i = 1; i < sent.length; i++)
      expect((sent[i] as number) - (sent[i - 1] as number)).toBeGreaterThanOrEqual(556);
    // Every send is within the slack (interval / 4) after its slot in each bucket.
    for (const t of sent) {
      for (const key of ["pincode:total", "pincode:poll"]) {
        expect(reserved.some((r) => r.key === key && t - r.slot >= 0 && t - r.slot <= 14)).toBe(true);
      }
    }
  });

  it("passes a family without limits when only per-family limits are set", async () => {
    const { send, sent, clock } = setup({ families: { poll: 1 } });
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) await send("status");
    expect(sent).toEqual([t0, t0, t0, t0, t0]);
  });

  it("gives seller actions priority by default", () => {
    expect(["poll", "status", "update", "catalog"].map((f) => defaultPriority(f as "poll"))).toEqual([
      "background",
      "background",
      "command",
      "command",
    ]);
  });

  it("parses family rates, naming the variable on error", () => {
    expect(parseFamilyRates("poll:5, status:2.5", "X")).toEqual({ poll: 5, status: 2.5 });
    expect(() => parseFamilyRates("poll", "PINCODE_RATE_LIMITS")).toThrow(/PINCODE_RATE_LIMITS: the rate of 'poll'/);
    expect(() => parseFamilyRates("orders:1", "PINCODE_RATE_LIMITS")).toThrow(/each entry must be <family>:<calls/);
  });
});
