/** The client's `rateGate` option: the stack-wide budget replaces the per-process throttle on every attempt. */
import { afterEach, describe, expect, it } from "vitest";
import { PincodeTransportError } from "../../functions/pincode/errors.ts";
import { RateBudgetDeadlineError, type RateGate, type RateGateRequest } from "../../functions/pincode/rate-budget.ts";
import { type Harness, orderBody, startHarness } from "./pincode-client.harness.ts";

const ORDER_ID = "OD2401121901140533863584";
const OK = { status: 200, body: { response: orderBody(ORDER_ID) } };

function recordingGate(behaviour: (request: RateGateRequest) => Promise<void> = async () => {}) {
  const requests: RateGateRequest[] = [];
  const gate: RateGate = {
    acquire: (request) => {
      requests.push(request);
      return behaviour(request);
    },
  };
  return { gate, requests };
}

describe("PincodeClient with a shared rate gate", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it("asks the gate before every attempt, with the family, a priority and the call's deadline", async () => {
    const { gate, requests } = recordingGate();
    // A tight per-process throttle that would make the client sleep if it were still used.
    h = await startHarness({
      config: { rateGate: gate, rateLimits: { status: { ratePerSecond: 1, burst: 1 } }, retry: { deadlineMs: 5_000 } },
    });
    h.server.script("POST /tsp/order/v1/status", () => ({ status: 503, body: {} }));
    h.server.always("POST /tsp/order/v1/status", () => OK);
    h.server.always("POST /tsp/order/v1/changes", () => ({ status: 200, body: { response: { orderIds: [] } } }));
    const start = h.clock.now();

    await h.client.getOrderStatus(ORDER_ID);
    await h.client.getOrderStatus(ORDER_ID, { priority: "command" });
    await h.client.pollOrders({ serviceProviderId: "S01", fromTimestamp: 0, toTimestamp: 1 });

    // The 503 was retried: two attempts for the first call, each through the gate.
    expect(requests.map((r) => [r.family, r.priority])).toEqual([
      ["status", "background"],
      ["status", "background"],
      ["status", "command"],
      ["poll", "background"],
    ]);
    expect(requests[0]?.deadline).toBe(start + 5_000);
    // Only the retry backoff slept: the per-process throttle was not consulted.
    expect(h.sleeps).toHaveLength(1);
  });

  it("turns 'no budget before the deadline' into a deadline transport error, without sending", async () => {
    const { gate } = recordingGate(async (request) => {
      throw new RateBudgetDeadlineError(request.family, request.priority);
    });
    h = await startHarness({ config: { rateGate: gate } });
    h.server.always("POST /tsp/order/v1/status", () => OK);

    const error = await h.client.getOrderStatus(ORDER_ID).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PincodeTransportError);
    expect(error).toMatchObject({ reason: "deadline" });
    expect(h.server.requests.filter((r) => r.path.startsWith("/tsp/"))).toHaveLength(0);
  });

  it("gives an order update, and the Status Check that completes an empty update answer, command priority", async () => {
    const { gate, requests } = recordingGate();
    h = await startHarness({ config: { rateGate: gate } });
    // PINCODE-API A7: a 2xx without a body; the client reads the order back.
    h.server.always("POST /tsp/order/v1/update", () => ({ status: 204 }));
    h.server.always("POST /tsp/order/v1/status", () => OK);

    await h.client.updateOrder(ORDER_ID, [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }]);

    expect(requests.map((r) => [r.family, r.priority])).toEqual([
      ["update", "command"],
      ["status", "command"],
    ]);
  });
});
