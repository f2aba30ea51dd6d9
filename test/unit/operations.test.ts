import { describe, expect, it } from "vitest";
import { keys } from "../../functions/adapters/table.ts";
import {
  encodeCursor,
  parsePeekQuery,
  parseQuarantineApiId,
  parseQuarantineListQuery,
  parseRedriveRequest,
  quarantineApiId,
  recentDays,
  summariseMessageBody,
} from "../../functions/core/operations.ts";

describe("quarantine ids", () => {
  it("round-trip through the item key the callback writes", () => {
    const at = Date.UTC(2026, 11, 2, 9, 30);
    const key = keys.quarantine(at, "5f0c1a2b-0000-4000-8000-000000000001");
    const id = quarantineApiId(key.pk, key.sk);
    expect(id).toBe("2026-12-02.001796203800000.5f0c1a2b-0000-4000-8000-000000000001");
    expect(parseQuarantineApiId(id ?? "")).toEqual(key);
  });

  it("refuses ids that are not ours", () => {
    for (const bad of ["", "abc", "2026-12-02.12.a/b", "2026-12-02..x", "../QUARANTINE#x"]) {
      expect(parseQuarantineApiId(bad)).toBeUndefined();
    }
  });
});

describe("message summaries", () => {
  it("keep ids and kinds, never other content", () => {
    const body = JSON.stringify({
      kind: "order.snapshot",
      orderId: "O-1",
      messageId: "m",
      order: { billing: { name: "Loren Lpsum" } },
      storeId: "x".repeat(200),
    });
    expect(summariseMessageBody(body)).toEqual({ kind: "order.snapshot", orderId: "O-1", messageId: "m" });
    expect(summariseMessageBody("not json")).toEqual({ unreadable: "body is not JSON" });
    expect(summariseMessageBody("[1]")).toEqual({ unreadable: "body is not a JSON object" });
  });
});

describe("query parsing", () => {
  it("defaults and bounds the quarantine list", () => {
    expect(parseQuarantineListQuery({})).toEqual({ ok: true, value: { days: 7, limit: 50 } });
    const cursor = encodeCursor({ day: "2026-12-01", sk: "001#x" });
    expect(parseQuarantineListQuery({ cursor, day: "2026-12-01" })).toMatchObject({
      ok: true,
      value: { day: "2026-12-01", cursor: { day: "2026-12-01", sk: "001#x" } },
    });
    expect(parseQuarantineListQuery({ days: "31" })).toEqual({
      ok: false,
      message: "days: expected an integer from 1 to 30",
    });
    expect(parseQuarantineListQuery({ day: "2026-13-45" })).toMatchObject({ ok: false });
  });

  it("makes a redrive a dry run unless dryRun is false", () => {
    expect(parseRedriveRequest(undefined)).toEqual({ ok: true, value: { dryRun: true, max: 100 } });
    expect(parseRedriveRequest({ max: 5 })).toEqual({ ok: true, value: { dryRun: true, max: 5 } });
    expect(parseRedriveRequest({ dryRun: false })).toEqual({ ok: true, value: { dryRun: false, max: 100 } });
    expect(parseRedriveRequest({ max: 1001 })).toMatchObject({
      ok: false,
      message: "max: expected an integer from 1 to 1000",
    });
    expect(parsePeekQuery({ body: "yes" })).toMatchObject({ ok: false, message: "body: expected true or false" });
  });

  it("lists UTC days newest first", () => {
    expect(recentDays(Date.UTC(2026, 0, 2, 1), 3)).toEqual(["2026-01-02", "2026-01-01", "2025-12-31"]);
  });
});
