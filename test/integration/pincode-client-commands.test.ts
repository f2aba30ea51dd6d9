/**
 * The client's command mode (issue 9): a fixed requestId on every attempt, and no blind retry of a failure whose
 * effect is unknown, so the commands function can check with Status Check before anything is sent again.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PincodeApiError, PincodeTransportError } from "../../functions/pincode/errors.ts";
import { type Harness, orderBody, requestIds, startHarness } from "./pincode-client.harness.ts";

const ORDER_ID = "OD2401121901140533863584";
const UPDATE_ROUTE = "POST /tsp/order/v1/update";
const UPDATE_PATH = "/tsp/order/v1/update";
const ACCEPT = [{ type: "ORDER_STATE_UPDATE" as const, orderState: "ACCEPTED" as const }];

describe("PincodeClient command calls", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it("keeps the command's requestId across a 429 retry", async () => {
    h = await startHarness();
    h.server.script(
      UPDATE_ROUTE,
      { status: 429, headers: { "retry-after": "0" } },
      {
        status: 200,
        body: { response: orderBody(ORDER_ID) },
      },
    );

    await h.client.updateOrder(ORDER_ID, ACCEPT, { requestId: "PB-command-1" });

    expect(h.server.requestsTo(UPDATE_PATH)).toHaveLength(2);
    expect(requestIds(h.server).filter((id) => id === "PB-command-1")).toHaveLength(2);
  });

  it("does not retry a 5xx or a timeout: the caller decides", async () => {
    h = await startHarness({ config: { timeoutMs: 200 } });
    h.server.script(UPDATE_ROUTE, { status: 502 }, { status: 200, delayMs: 1_000, body: {} });

    const first = await h.client.updateOrder(ORDER_ID, ACCEPT, { requestId: "PB-command-2" }).catch((e) => e);
    expect(first).toBeInstanceOf(PincodeApiError);
    expect(h.server.requestsTo(UPDATE_PATH)).toHaveLength(1);

    const second = await h.client.updateOrder(ORDER_ID, ACCEPT, { requestId: "PB-command-2" }).catch((e) => e);
    expect(second).toBeInstanceOf(PincodeTransportError);
    expect(h.server.requestsTo(UPDATE_PATH)).toHaveLength(2);
  });

  it("without a command requestId keeps the old behaviour: a fresh requestId per attempt and retries on 5xx", async () => {
    h = await startHarness();
    h.server.script(UPDATE_ROUTE, { status: 503 }, { status: 200, body: { response: orderBody(ORDER_ID) } });

    await h.client.updateOrder(ORDER_ID, ACCEPT);

    const ids = h.server
      .requestsTo(UPDATE_PATH)
      .map((r) => (r.json as { requestContext: { requestId: string } }).requestContext.requestId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });
});
