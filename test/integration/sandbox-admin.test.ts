import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";
import { admin, ManualClock, PincodeCaller } from "#sandbox/testkit.ts";

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 51 });
});
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

type View = Record<string, unknown> & {
  id: string;
  fulfillments: { fulfillmentId: string; type: string; fulfillmentState?: string }[];
};

describe("admin orders", () => {
  it("creates an order (201) whose id is the order id, and serves the truth for it", async () => {
    const created = await admin(sandbox.url, "POST", "/_sandbox/orders", {
      storeId: "S02",
      items: [
        { serviceProviderItemId: "PHA-PCM-500-15", quantity: 2 },
        { name: "Loose Jaggery", sellingPrice: 6_000 },
      ],
    });
    expect(created.status).toBe(201);
    const view = created.json as View;
    expect(view.id).toMatch(/^OD\d+$/);
    expect(view).toMatchObject({ orderState: "CREATED", serviceProvider: { id: "S02" } });
    const fetched = await admin(sandbox.url, "GET", `/_sandbox/orders/${view.id}`);
    expect(fetched).toMatchObject({ status: 200, json: view });
    const listed = (await admin(sandbox.url, "GET", "/_sandbox/orders?storeId=S02")).json as { orders: View[] };
    expect(listed.orders.map((o) => o.id)).toEqual([view.id]);
  });

  it.each([
    [{}, /storeId/],
    [{ storeId: "S01", items: [{ serviceProviderItemId: "NO-SUCH-SKU" }] }, /items\[0\]/],
    [{ storeId: "S01", items: [{ name: "x", sellingPrice: 1.5 }] }, /sellingPrice/],
    [{ storeId: "S01", colour: "red" }, /colour/],
  ])("refuses %j with 400 naming the field", async (body, pattern) => {
    const answer = await admin(sandbox.url, "POST", "/_sandbox/orders", body);
    expect(answer.status).toBe(400);
    expect((answer.json as { error: { errorCode: string; message: string } }).error).toMatchObject({
      errorCode: "INVALID_REQUEST",
      message: expect.stringMatching(pattern),
    });
  });

  it("answers 404 for an unknown order and 400 for a body that is not JSON", async () => {
    expect((await admin(sandbox.url, "GET", "/_sandbox/orders/OD404")).status).toBe(404);
    expect((await admin(sandbox.url, "POST", "/_sandbox/orders", "{nope")).status).toBe(400);
  });

  it("advances the Pincode side: refuses before PACKED, then moves the delivery leg one step per call", async () => {
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const view = sandbox.createOrder({ storeId: "S01" }) as View;
    const advance = () => admin(sandbox.url, "POST", `/_sandbox/orders/${view.id}/advance`);
    expect(await advance()).toMatchObject({ status: 409, json: { error: { errorCode: "NOTHING_TO_ADVANCE" } } });
    const storeLeg = view.fulfillments.find((f) => f.type === "STORE")!;
    await pincode.post("/tsp/order/v1/update", {
      requestContext: { requestId: "A1", transactionId: view.id, actionType: "UPDATE" },
      orderId: view.id,
      actions: [
        { type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" },
        { type: "ORDER_FULFILMENT_STATE_UPDATE", fulfilmentId: storeLeg.fulfillmentId, fulfillmentState: "PACKED" },
      ],
    });
    const states: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await advance();
      expect(answer.status).toBe(200);
      states.push((answer.json as View).fulfillments.find((f) => f.type === "DELIVERY")!.fulfillmentState);
    }
    expect(states).toEqual(["AGENT_ASSIGNED", "OUT_FOR_DELIVERY", "DELIVERED"]);
    expect((await advance()).status).toBe(409);
  });
});

describe("admin callback registration, stats and reset", () => {
  it("validates a registration and never echoes its secrets", async () => {
    const bad = await admin(sandbox.url, "PUT", "/_sandbox/callback", {
      url: "http://127.0.0.1:1/cb",
      tokenUrl: "http://127.0.0.1:1/t",
    });
    expect(bad.status).toBe(400);
    expect((bad.json as { error: { message: string } }).error.message).toMatch(/clientId/);
    const good = await admin(sandbox.url, "PUT", "/_sandbox/callback", {
      url: "http://127.0.0.1:1/cb",
      staticToken: "tok-123",
    });
    expect(good.status).toBe(200);
    const shown = await admin(sandbox.url, "GET", "/_sandbox/callback");
    expect(shown.text).not.toContain("tok-123");
    expect(shown.json).toEqual({ callback: { url: "http://127.0.0.1:1/cb", staticToken: "***", auth: "static" } });
  });

  it("counts calls per endpoint and outcome", async () => {
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    await pincode.accessToken();
    await pincode.post("/tsp/order/v1/status", {
      requestContext: { requestId: "S", transactionId: "OD1" },
      orderId: "OD1",
    });
    await pincode.post("/tsp/order/v1/status", {}, null);
    const stats = (await admin(sandbox.url, "GET", "/_sandbox/stats")).json as Record<string, unknown>;
    expect(stats).toMatchObject({
      calls: { "/olympus/im/v1/oauth/token": { "200": 1 }, "/tsp/order/v1/status": { "404": 1, "401": 1 } },
      updatesByOrder: {},
      callbacks: { sent: 0, dropped: 0, duplicated: 0, reordered: 0, acked: 0, failed: 0 },
      tokensIssued: 1,
    });
  });

  it("reset forgets orders and stats, regenerates the same orders, rejects old cursors and keeps tokens", async () => {
    const pincode = new PincodeCaller(sandbox.url, sandbox);
    const first = sandbox.createOrder({ storeId: "S01" });
    sandbox.createOrder({ storeId: "S01" });
    const poll = (nextPage?: string) =>
      pincode.post("/tsp/order/v1/changes", {
        requestContext: { requestId: "P" },
        serviceProviderId: "S01",
        fromTimestamp: 0,
        toTimestamp: Date.now() + 60_000,
        size: 1,
        ...(nextPage ? { nextPage } : {}),
      });
    const cursor = ((await poll()).json as { response: { nextPage: string } }).response.nextPage;

    expect((await admin(sandbox.url, "POST", "/_sandbox/reset")).status).toBe(200);

    expect(sandbox.getOrder(String(first.id))).toBeUndefined();
    expect(sandbox.stats()).toMatchObject({ orders: 0, calls: {} });
    // The old token still works (400, not 401); the old cursor does not.
    const stale = await poll(cursor);
    expect(stale.status).toBe(400);
    expect((stale.json as { error: { message: string } }).error.message).toMatch(/reset/);
    expect(sandbox.createOrder({ storeId: "S01" }).id).toBe(first.id);
  });
});

describe("determinism", () => {
  it("gives the same orders for the same seed, over HTTP", async () => {
    const bodies: unknown[][] = [];
    for (const seed of [77, 77, 78]) {
      const other = await startSandbox({ seed, clock: new ManualClock(1_722_570_000_000), initialOrders: 4 });
      try {
        const listed = (await admin(other.url, "GET", "/_sandbox/orders")).json as { orders: unknown[] };
        bodies.push(listed.orders);
      } finally {
        await other.stop();
      }
    }
    expect(bodies[0]).toHaveLength(4);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).not.toEqual(bodies[0]);
  });
});

describe("demo generator", () => {
  it("creates orders across the stores and moves them on by itself", async () => {
    const demo = await startSandbox({ seed: 5 });
    try {
      expect((await admin(demo.url, "POST", "/_sandbox/demo", { intervalMs: 10 })).status).toBe(200);
      const deadline = Date.now() + 5_000;
      let orders: View[] = [];
      const progressed = (o: View) =>
        o.fulfillments.some((f) => f.type === "DELIVERY" && f.fulfillmentState !== undefined);
      while (Date.now() < deadline) {
        orders = demo.listOrders() as View[];
        const stores = new Set(orders.map((o) => (o.serviceProvider as { id: string }).id));
        if (orders.length >= 3 && orders.some(progressed) && stores.size > 1) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      demo.stopDemo();
      expect(orders.length).toBeGreaterThanOrEqual(3);
      expect(orders.some(progressed)).toBe(true);
      expect(new Set(orders.map((o) => (o.serviceProvider as { id: string }).id)).size).toBeGreaterThan(1);
    } finally {
      await demo.stop();
    }
  });
});

describe("npm run sandbox (sandbox/main.ts)", () => {
  it("starts on SANDBOX_PORT with the configured credentials, prints its URLs and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "sandbox/main.ts"], {
      env: {
        ...process.env,
        SANDBOX_PORT: "0",
        SANDBOX_CLIENT_ID: "cli-id",
        SANDBOX_CLIENT_SECRET: "cli-secret",
        SANDBOX_SEED: "9",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let output = "";
      child.stdout.setEncoding("utf8");
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; got: ${output}`)), 15_000);
        child.stdout.on("data", (chunk: string) => {
          output += chunk;
          if (output.includes("Credentials")) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const base = /API base \(PINCODE_API_BASE_URL\): (http:\/\/\S+)/.exec(output)?.[1];
      expect(base).toBeDefined();
      expect(output).toContain("client_id=cli-id client_secret=cli-secret");
      expect(output).toContain(`${base}/olympus/im/v1/oauth/token`);
      expect(output).toContain(`${base}/_sandbox`);
      const grant = await new PincodeCaller(base!, { clientId: "cli-id", clientSecret: "cli-secret" }).grant();
      expect(grant.status).toBe(200);
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
