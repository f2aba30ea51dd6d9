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

  it("re-pages the look-back before the last window end, then the new window from that end", () => {
    const windowEnd = NOW - 90_000;
    expect(planSegments({ storeId: "S01", windowEnd }, NOW, settings)).toEqual([
      { kind: "overlap", from: windowEnd - 600_000, to: windowEnd, cursor: undefined, resumed: false },
      { kind: "new", from: windowEnd, to: NOW - 30_000, cursor: undefined, resumed: false },
    ]);
  });

  it("skips the overlap once it was paged for this window end", () => {
    const windowEnd = NOW - 90_000;
    const segments = planSegments({ storeId: "S01", windowEnd, overlapDoneFor: windowEnd }, NOW, settings);
    expect(segments.map((s) => s.kind)).toEqual(["new"]);
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

  it("after a resumed overlap, goes on to the new window", () => {
    const windowEnd = NOW - 100_000;
    const saved = { storeId: "S01", windowEnd, cursor: "c1", cursorFrom: windowEnd - 600_000, cursorTo: windowEnd };
    expect(planSegments(saved, NOW, settings).map((s) => [s.kind, s.resumed, s.cursor])).toEqual([
      ["overlap", true, "c1"],
      ["new", false, undefined],
    ]);
  });

  it("caps a window so a store far behind catches up over several runs", () => {
    const windowEnd = NOW - 86_400_000;
    const fresh = planSegments({ storeId: "S01", windowEnd, overlapDoneFor: windowEnd }, NOW, settings)[0];
    expect(fresh).toMatchObject({ from: windowEnd, to: windowEnd + 7_200_000 });
  });

  it("plans nothing when the last window already reaches now - settle", () => {
    const windowEnd = NOW - 10_000;
    expect(planSegments({ storeId: "S01", windowEnd, overlapDoneFor: windowEnd }, NOW, settings)).toEqual([]);
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
