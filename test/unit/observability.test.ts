import { describe, expect, it, vi } from "vitest";
import { createLogger, REDACTED, redact } from "../../functions/adapters/observability.ts";

const order = {
  id: "OD1",
  items: [{ itemId: "OI1", name: "cold drink" }],
  billing: { name: "Test Buyer", phone: "9000000001", email: "buyer@example.invalid" },
  fulfillments: [{ fulfillmentId: "OF1", end: { person: { name: "Test Buyer" } } }],
};

describe("PII redaction", () => {
  it("blanks billing and fulfilment destinations but keeps order facts", () => {
    const clean = redact(order);
    expect(clean.billing).toBe(REDACTED);
    expect(clean.fulfillments[0]?.end).toBe(REDACTED);
    expect(clean.items[0]?.name).toBe("cold drink");
    expect(clean.id).toBe("OD1");
  });

  it("keeps PII out of what the logger writes", () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const original = console.info;
    console.info = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    try {
      const logger = createLogger("test");
      logger.info("order received", { order, headers: { authorization: "Bearer secret-token-value" } });
    } finally {
      console.info = original;
      spy.mockRestore();
    }
    const output = lines.join("\n");
    expect(output).toContain("order received");
    expect(output).toContain("OD1");
    expect(output).not.toContain("9000000001");
    expect(output).not.toContain("buyer@example.invalid");
    expect(output).not.toContain("Test Buyer");
    expect(output).not.toContain("secret-token-value");
  });
});
