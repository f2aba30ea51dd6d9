import { describe, expect, it } from "vitest";
import { computeRenewAt } from "../../functions/pincode/token-provider.ts";

const ISSUED = 1_719_167_883_916;

describe("computeRenewAt (PINCODE-API A2)", () => {
  it("takes the expires_at reading for the doc sample (86.4 s, not 24 h) with a margin clamped to 20%", () => {
    const sample = { expires_in: 86_400, expires_at: 1_719_167_970_316, issued_at: ISSUED };

    expect(computeRenewAt(sample, ISSUED, 60_000, 300_000)).toBe(ISSUED + 86_400 - 17_280);
  });

  it("takes the expires_in reading (seconds) when it is earlier", () => {
    const token = { expires_in: 600, expires_at: ISSUED + 86_400_000, issued_at: ISSUED };

    expect(computeRenewAt(token, ISSUED, 60_000, 300_000)).toBe(ISSUED + 600_000 - 60_000);
  });

  it("applies the full margin to long-lived tokens", () => {
    expect(computeRenewAt({ expires_in: 86_400 }, ISSUED, 60_000, 300_000)).toBe(ISSUED + 86_400_000 - 60_000);
  });

  it("measures from our clock when the server's issued_at is far off, so skew cannot expire every token", () => {
    const receivedAt = ISSUED + 3_600_000; // our clock is an hour ahead of the identity manager
    const token = { expires_at: ISSUED + 86_400, issued_at: ISSUED };

    expect(computeRenewAt(token, receivedAt, 60_000, 300_000)).toBe(receivedAt + 86_400 - 17_280);
  });

  it("uses the absolute expires_at without issued_at, and a default lifetime without any reading", () => {
    expect(computeRenewAt({ expires_at: ISSUED + 100_000 }, ISSUED, 10_000, 300_000)).toBe(ISSUED + 90_000);
    expect(computeRenewAt({}, ISSUED, 60_000, 300_000)).toBe(ISSUED + 300_000 - 60_000);
  });
});
