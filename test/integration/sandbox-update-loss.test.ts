/** The sandbox's updateResponseLossRate fault: the update is applied and counted, then its answer is lost. */
import { afterEach, describe, expect, it } from "vitest";
import { createPincodeClient } from "../../functions/pincode/client.ts";
import { PincodeApiError, PincodeTransportError } from "../../functions/pincode/errors.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import { sandboxClientConfig } from "./ingestion.harness.ts";

describe("sandbox updateResponseLossRate", () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox?.stop());

  it("applies every update, counts it in updatesByOrder, and loses every answer at rate 1 (dropped or 502)", async () => {
    sandbox = await startSandbox({ seed: 3, faults: { updateResponseLossRate: 1 } });
    const client = createPincodeClient(sandboxClientConfig(sandbox));
    const orders = Array.from({ length: 6 }, () => sandbox.createOrder({ storeId: "S01" }));
    const failures: unknown[] = [];
    for (const order of orders) {
      failures.push(
        await client
          .updateOrder(String(order.id), [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }], {
            requestId: `PB-loss-${String(order.id)}`,
          })
          .catch((error: unknown) => error),
      );
    }
    for (const order of orders) {
      expect(sandbox.getOrder(String(order.id))).toMatchObject({ orderState: "ACCEPTED" });
      expect(sandbox.stats().updatesByOrder[String(order.id)]).toBe(1);
    }
    // Both ways of losing an answer occur: a dropped connection and a 502.
    expect(failures.some((f) => f instanceof PincodeTransportError)).toBe(true);
    expect(failures.some((f) => f instanceof PincodeApiError && f.status === 502)).toBe(true);
  });

  it("answers normally at rate 0", async () => {
    sandbox = await startSandbox({ seed: 3 });
    const client = createPincodeClient(sandboxClientConfig(sandbox));
    const order = sandbox.createOrder({ storeId: "S01" });
    const updated = await client.updateOrder(String(order.id), [
      { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
    ]);
    expect(updated.orderState).toBe("ACCEPTED");
  });
});
