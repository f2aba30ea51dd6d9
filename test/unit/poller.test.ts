import { describe, expect, it } from "vitest";
import { parsePollTask } from "../../functions/poller/create-handler.ts";
import { parsePollerEnv } from "../../functions/poller/env.ts";
import { DEFAULT_POLL_SETTINGS, type PollSettings, planSegments } from "../../functions/poller/poll-store.ts";

const settings: PollSettings = {
  ...DEFAULT_POLL_SETTINGS,
  lookbackMs: 600_000,
  settleMs: 30_000,
  initialLookbackMs: 3_600_000,
  maxWindowMs: 7_200_000,
};
const NOW = 1_800_000_000_000;

describe("poll window planning", () => {
  it("starts a store polled for the first time initialLookback ago and ends settle before now", () => {
    expect(planSegments(undefined, NOW, settings)).toEqual([
      { kind: "new", from: NOW - 3_600_000, to: NOW - 30_000, cursor: undefined, resumed: false },
    ]);
  });

  it("pages the delayed pass once a look-back of time has become a look-back old, then the new window", () => {
    // Polled last ~8 min ago after a long gap: [recheckedTo, now - L] is due, but it ends before windowEnd.
    const windowEnd = NOW - 500_000;
    const recheckedTo = windowEnd - 700_000;
    expect(planSegments({ storeId: "S01", windowEnd, recheckedTo }, NOW, settings)).toEqual([
      { kind: "delayed", from: recheckedTo, to: NOW - 600_000, cursor: undefined, resumed: false },
      { kind: "new", from: windowEnd, to: NOW - 30_000, cursor: undefined, resumed: false },
    ]);
  });

  it("pages the delayed pass and the live window as ONE window when they are contiguous (a quiet run is one call)", () => {
    // Polled last ~12 min ago (an adaptive interval longer than the look-back): all of [recheckedTo, windowEnd] is
    // a look-back old, so the delayed segment ends where the live window begins.
    const windowEnd = NOW - 700_000;
    const recheckedTo = windowEnd - 600_000;
    expect(planSegments({ storeId: "S01", windowEnd, recheckedTo }, NOW, settings)).toEqual([
      { kind: "new", from: recheckedTo, to: NOW - 30_000, cursor: undefined, resumed: false, liveFrom: windowEnd },
    ]);
    // Exactly at the boundary (windowEnd = now - lookback) too; a moment later it is two segments again.
    expect(planSegments({ storeId: "S01", windowEnd: NOW - 600_000, recheckedTo }, NOW, settings)).toHaveLength(1);
    const notYet = planSegments({ storeId: "S01", windowEnd: NOW - 599_000, recheckedTo }, NOW, settings);
    expect(notYet.map((s) => [s.kind, s.liveFrom])).toEqual([
      ["delayed", undefined],
      ["new", undefined],
    ]);
    // Nothing left to recheck: just the live window.
    expect(planSegments({ storeId: "S01", windowEnd, recheckedTo: windowEnd }, NOW, settings)).toEqual([
      { kind: "new", from: windowEnd, to: NOW - 30_000, cursor: undefined, resumed: false },
    ]);
  });

  it("keeps the delayed pass and the live window apart when a live window it covers returned ids (busyTo)", () => {
    // Contiguous, but the last live window (ending at windowEnd) found changes: those orders were checked against its
    // end, so the delayed pass pages on its own (observed at windowEnd) and the live window after it (observed at its end).
    const windowEnd = NOW - 700_000;
    const recheckedTo = windowEnd - 600_000;
    const busy = { storeId: "S01", windowEnd, recheckedTo, busyTo: windowEnd };
    expect(planSegments(busy, NOW, settings)).toEqual([
      { kind: "delayed", from: recheckedTo, to: windowEnd, cursor: undefined, resumed: false },
      { kind: "new", from: windowEnd, to: NOW - 30_000, cursor: undefined, resumed: false },
    ]);
    // A busy window anywhere inside the delayed segment splits too; one ending at its start (already rechecked) does not.
    expect(planSegments({ ...busy, busyTo: recheckedTo + 1 }, NOW, settings)).toHaveLength(2);
    expect(planSegments({ ...busy, busyTo: recheckedTo }, NOW, settings)).toEqual([
      { kind: "new", from: recheckedTo, to: NOW - 30_000, cursor: undefined, resumed: false, liveFrom: windowEnd },
    ]);
    // Less than a look-back to recheck: as before the merge, the delayed pass waits and only the live window is paged.
    const short = { storeId: "S01", windowEnd, recheckedTo: windowEnd - 300_000, busyTo: windowEnd };
    expect(planSegments(short, NOW, settings).map((s) => [s.kind, s.from, s.liveFrom])).toEqual([
      ["new", windowEnd, undefined],
    ]);
  });

  it("resumes an unfinished merged window as one, its live part starting at the stored windowEnd", () => {
    const windowEnd = NOW - 900_000;
    const saved = { storeId: "S01", windowEnd, recheckedTo: windowEnd - 600_000, cursor: "m1" };
    const resumed = { ...saved, cursorFrom: windowEnd - 600_000, cursorTo: NOW - 230_000 };
    expect(planSegments(resumed, NOW, settings)).toEqual([
      {
        kind: "new",
        from: windowEnd - 600_000,
        to: NOW - 230_000,
        cursor: "m1",
        resumed: true,
        liveFrom: windowEnd,
      },
    ]);
  });

  it("leaves the delayed pass for a later run while less than a look-back of time is due (frequent runs)", () => {
    // Polled a minute ago: [recheckedTo, now - L] is only a minute long.
    const windowEnd = NOW - 90_000;
    const recheckedTo = NOW - 60_000 - 600_000 - 30_000;
    const segments = planSegments({ storeId: "S01", windowEnd, recheckedTo }, NOW, settings);
    expect(segments.map((s) => s.kind)).toEqual(["new"]);
  });

  it("never re-pages past now - lookback: the delayed pass ends a look-back before now", () => {
    const windowEnd = NOW - 90_000;
    const recheckedTo = NOW - 3_000_000;
    const [delayed] = planSegments({ storeId: "S01", windowEnd, recheckedTo }, NOW, settings);
    expect(delayed).toMatchObject({ kind: "delayed", from: recheckedTo, to: NOW - 600_000 });
  });

  it("reads a checkpoint written before the delayed pass (overlapDoneFor, no recheckedTo): its last look-back is re-paged once, a look-back later", () => {
    // Stored data outlives code: the item a release before issue 13 wrote.
    const windowEnd = NOW - 700_000;
    const old = { storeId: "S01", windowEnd, overlapDoneFor: windowEnd };
    // Its interval was long enough for the two passes to be contiguous: one merged window.
    expect(planSegments(old, NOW, settings).map((s) => [s.kind, s.from, s.to, s.liveFrom])).toEqual([
      ["new", windowEnd - 600_000, NOW - 30_000, windowEnd],
    ]);
    const gap = { storeId: "S01", windowEnd: NOW - 300_000, overlapDoneFor: NOW - 300_000 - 700_000 };
    expect(planSegments(gap, NOW, settings).map((s) => s.kind)).toEqual(["new"]);
    // Right after such a run (the old code's last poll a minute ago), nothing is re-paged yet.
    const recent = { storeId: "S01", windowEnd: NOW - 90_000, overlapDoneFor: NOW - 90_000 };
    expect(planSegments(recent, NOW, settings).map((s) => s.kind)).toEqual(["new"]);
  });

  it("resumes exactly the saved unfinished window at its cursor", () => {
    const saved = {
      storeId: "S01",
      windowEnd: NOW - 500_000,
      cursor: "abc",
      cursorFrom: NOW - 500_000,
      cursorTo: NOW - 200_000,
    };
    expect(planSegments(saved, NOW, settings)).toEqual([
      { kind: "new", from: NOW - 500_000, to: NOW - 200_000, cursor: "abc", resumed: true },
    ]);
  });

  it("resumes an overlap cursor saved by the previous release as a delayed segment, then goes on to the new window", () => {
    const windowEnd = NOW - 100_000;
    const saved = { storeId: "S01", windowEnd, cursor: "c1", cursorFrom: windowEnd - 600_000, cursorTo: windowEnd };
    expect(planSegments(saved, NOW, settings).map((s) => [s.kind, s.resumed, s.cursor])).toEqual([
      ["delayed", true, "c1"],
      ["new", false, undefined],
    ]);
  });

  it("caps a window so a store far behind catches up over several runs", () => {
    const windowEnd = NOW - 86_400_000;
    const segments = planSegments({ storeId: "S01", windowEnd, recheckedTo: windowEnd }, NOW, settings);
    expect(segments).toEqual([expect.objectContaining({ kind: "new", from: windowEnd, to: windowEnd + 7_200_000 })]);
  });

  it("plans nothing when the last window already reaches now - settle", () => {
    const windowEnd = NOW - 10_000;
    expect(planSegments({ storeId: "S01", windowEnd, recheckedTo: windowEnd - 600_000 }, NOW, settings)).toEqual([]);
  });
});

describe("poller configuration and input", () => {
  const env = {
    TABLE_NAME: "t",
    EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/events",
    POLL_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/1/poll",
    STORE_IDS: " S01, S02 ,,S03",
    POLL_PAGE_SIZE: "10",
    PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com",
    PINCODE_AUTH_URL: "https://stg-identitymanager.phonepe.com",
    PINCODE_CREDENTIALS_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:1:secret:x",
  };

  it("reads the store list and the poll settings", () => {
    const parsed = parsePollerEnv(env);
    expect(parsed.STORE_IDS).toEqual(["S01", "S02", "S03"]);
    expect(parsed.POLL_PAGE_SIZE).toBe(10);
  });

  it("names the variable that is wrong", () => {
    // order-poll-api.txt: size must be 1..10
    expect(() => parsePollerEnv({ ...env, POLL_PAGE_SIZE: "50" })).toThrow(/POLL_PAGE_SIZE/);
    expect(() => parsePollerEnv({ ...env, TABLE_NAME: undefined })).toThrow(/TABLE_NAME/);
  });

  it("refuses a poll task that is not one, saying why", () => {
    expect(() => parsePollTask("nope")).toThrow("body is not JSON");
    expect(() => parsePollTask(JSON.stringify({ v: 1, kind: "poll.store" }))).toThrow(/storeId/);
  });
});
