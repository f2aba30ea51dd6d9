import { describe, expect, it } from "vitest";
import { PincodeApiError, PincodeValidationError, toValidationIssues } from "../../functions/pincode/errors.ts";

describe("Pincode errors", () => {
  it("formats zod paths with array indexes", () => {
    const issues = toValidationIssues([
      { path: ["actions", 1, "reason"], message: "bad" },
      { path: ["messages", 0, "data", "price", "mrp"], message: "too small" },
      { path: [], message: "root" },
    ]);

    expect(issues.map((i) => i.path)).toEqual(["actions[1].reason", "messages[0].data.price.mrp", ""]);
    const error = new PincodeValidationError("/tsp/order/v1/update", issues);
    expect(error.field).toBe("actions[1].reason");
    expect(error.message).toBe(
      "Invalid Pincode /tsp/order/v1/update request, not sent: actions[1].reason: bad; " +
        "messages[0].data.price.mrp: too small; (root): root",
    );
  });

  it("keeps Pincode's message to one short line", () => {
    const error = new PincodeApiError({
      status: 400,
      errorCode: "X",
      pincodeMessage: `line one\nline two ${"y".repeat(500)}`,
      requestId: "PB-1",
      endpoint: "/tsp/order/v1/update",
      attempts: 1,
      retryable: false,
    });

    expect(error.pincodeMessage).not.toContain("\n");
    expect(error.pincodeMessage!.length).toBeLessThanOrEqual(201);
    expect(error.name).toBe("PincodeApiError");
    expect(error.message).toMatch(/^Pincode \/tsp\/order\/v1\/update failed: HTTP 400 \(X\): line one line two y+…/);
  });
});
