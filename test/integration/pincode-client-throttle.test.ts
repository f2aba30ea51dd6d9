import { afterEach, describe, expect, it } from "vitest";
import { PincodeClient } from "../../functions/pincode/client.ts";
import { type ScriptedHttpServer, startScriptedServer } from "../support/scripted-http-server.ts";
import { CREDENTIALS, type Harness, orderBody, startHarness, TOKEN_ROUTE } from "./pincode-client.harness.ts";

const ORDER_ID = "OD2401121901140533863584";
const STATUS_ROUTE = "POST /tsp/order/v1/status";
const OK = { status: 200, body: { response: orderBody(ORDER_ID) } };
const STORE_MESSAGE = {
  messageId: "M1",
  serviceProviderId: "S01",
  operationType: "PARTIAL_UPDATE" as const,
  data: { type: "STORE_TOGGLE" as const, orderAcceptance: { status: "DISABLED" as const } },
};

describe("PincodeClient throttle against a real HTTP server", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it("spaces sequential calls of one family at its rate (fake clock, arrival times read at the server)", async () => {
    // Prepare: status 5/s, burst 1; the server stamps each arrival with the fake clock.
    h = await startHarness({ config: { rateLimits: { status: { ratePerSecond: 5, burst: 1 } } } });
    const arrivals: number[] = [];
    h.server.always(STATUS_ROUTE, () => {
      arrivals.push(h.clock.now());
      return OK;
    });
    const start = h.clock.now();

    // Act
    for (let i = 0; i < 6; i++) await h.client.getOrderStatus(ORDER_ID);

    // Assess
    expect(arrivals.map((t) => t - start)).toEqual([0, 200, 400, 600, 800, 1_000]);
    expect(h.sleeps).toEqual([200, 200, 200, 200, 200]);
  });

  it("queues concurrent callers one interval apart", async () => {
    // Prepare: the clock does not move, so each reservation must wait one more interval than the last.
    h = await startHarness({
      sleepAdvancesClock: false,
      config: { rateLimits: { poll: { ratePerSecond: 2, burst: 2 } } },
    });
    h.server.always("POST /tsp/order/v1/changes", { status: 200, body: { response: { orderIds: [] } } });

    // Act
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.client.pollOrders({ serviceProviderId: `S${i}`, fromTimestamp: 1, toTimestamp: 2 }),
      ),
    );

    // Assess: burst 2 goes at once, then 500, 1000, 1500 ms at 2/s.
    expect(h.sleeps).toEqual([500, 1_000, 1_500]);
    expect(h.server.requestsTo("/tsp/order/v1/changes")).toHaveLength(5);
  });

  it("keeps families apart: an exhausted catalog budget does not delay status checks", async () => {
    // Prepare
    h = await startHarness({
      config: {
        rateLimits: { catalog: { ratePerSecond: 1, burst: 1 }, status: { ratePerSecond: 5, burst: 2 } },
      },
    });
    h.server.always("POST /tsp/catalog/v1/store", { status: 204 });
    h.server.always(STATUS_ROUTE, OK);

    // Act
    await h.client.toggleStore([STORE_MESSAGE]); // takes the only catalog token
    await h.client.getOrderStatus(ORDER_ID);
    await h.client.getOrderStatus(ORDER_ID);
    const sleepsAfterStatus = [...h.sleeps];
    await h.client.toggleStore([STORE_MESSAGE]);

    // Assess
    expect(sleepsAfterStatus).toEqual([]);
    expect(h.sleeps).toEqual([1_000]);
  });

  it("retries take throttle tokens too", async () => {
    h = await startHarness({
      config: { rateLimits: { status: { ratePerSecond: 10, burst: 1 } }, retry: { baseDelayMs: 1 } },
    });
    h.server.script(STATUS_ROUTE, { status: 503 });
    h.server.always(STATUS_ROUTE, OK);

    await h.client.getOrderStatus(ORDER_ID);

    // backoff floor(0.5 * 1) = 0 ms, then the throttle makes the retry wait the rest of 100 ms
    expect(h.sleeps).toEqual([0, 100]);
  });
});

describe("PincodeClient throttle in real time", () => {
  let server: ScriptedHttpServer;
  afterEach(async () => {
    await server.stop();
  });

  it("requests of a throttled family reach the server no faster than the rate", async () => {
    // Prepare: real clock and sleep, poll 40/s with burst 1 -> 25 ms apart.
    server = await startScriptedServer();
    server.always(TOKEN_ROUTE, { status: 200, body: { access_token: "t", expires_in: 600 } });
    server.always("POST /tsp/order/v1/changes", { status: 200, body: { response: { orderIds: [] } } });
    // The throttle decides when a request leaves, so measure that (arrival times at the server also carry
    // connection set-up, which can make the first request late and the span look shorter than it was).
    const sentAt: number[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      if (String(input).endsWith("/tsp/order/v1/changes")) sentAt.push(performance.now());
      return fetch(input, init);
    };
    const client = new PincodeClient({
      baseUrl: server.url,
      authBaseUrl: server.url,
      credentials: CREDENTIALS,
      rateLimits: { poll: { ratePerSecond: 40, burst: 1 } },
      fetch: recordingFetch,
    });

    const poll = () => client.pollOrders({ serviceProviderId: "S01", fromTimestamp: 1, toTimestamp: 2 });
    await poll(); // fetches the OAuth token, so the measured requests wait on the throttle alone

    // Act
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: 5 }, poll));

    // Assess: all five reached the server, and the fifth left no earlier than four intervals (4 x 25 ms) after the
    // five were started, whatever the bucket held: it holds at most one token, so the fifth waits for four refills.
    // Measured from the start, not from the first send: the first request's own way from the throttle to `fetch`
    // (a few ms on a loaded machine) would otherwise shorten the span. 2 ms of slack for timer rounding.
    expect(server.requestsTo("/tsp/order/v1/changes")).toHaveLength(6);
    const measured = sentAt.slice(1);
    expect(measured).toHaveLength(5);
    expect(measured[4]! - startedAt).toBeGreaterThanOrEqual(98);
  });
});
