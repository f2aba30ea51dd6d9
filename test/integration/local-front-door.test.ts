/**
 * Local mode's HTTP front door over real HTTP: every route of the route table reaches its real handler, /v1/* needs
 * `Authorization: Bearer <SELLER_API_KEY>` (401 otherwise), a generated key survives a restart on the same DATA_DIR,
 * and unknown routes / wrong methods answer 404 / 405 in our error shape.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalPipeline, startLocalPipeline } from "../../bin/local/pipeline.ts";

const dataDir = mkdtempSync(join(tmpdir(), "pb-front-door-"));
const running: LocalPipeline[] = [];

async function start(env: Record<string, string> = {}) {
  const config = loadLocalConfig(
    {
      PORT: "0",
      SANDBOX_PORT: "0",
      DYNAMODB_PORT: "0",
      SQS_PORT: "0",
      DEMO: "0",
      POLL_INTERVAL_S: "3600",
      STORE_IDS: "S01,S02",
      STATUS_LINE: "0",
      DATA_DIR: dataDir,
      ...env,
    },
    [],
  );
  const pipeline = await startLocalPipeline(config);
  running.push(pipeline);
  return pipeline;
}

async function stop(pipeline: LocalPipeline) {
  await pipeline.stop();
  running.splice(running.indexOf(pipeline), 1);
}

const request = async (url: string, init: RequestInit = {}) => {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
};

afterAll(async () => {
  for (const pipeline of [...running]) await pipeline.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("local mode front door", () => {
  it("guards /v1 with the generated key, keeps it in DATA_DIR across a restart, and routes every kind of request", async () => {
    const first = await start();
    expect(first.sellerApiKeyGenerated).toBe(true);
    expect(first.sellerApiKey.length).toBeGreaterThanOrEqual(16);
    const keyFile = join(dataDir, "seller-api-key");
    expect(readFileSync(keyFile, "utf8").trim()).toBe(first.sellerApiKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const auth = { Authorization: `Bearer ${first.sellerApiKey}` };
    const api = first.apiUrl;

    const attempts: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong-key-wrong-key" },
      { Authorization: first.sellerApiKey },
    ];
    for (const headers of attempts) {
      const refused = await request(`${api}/v1/stores`, { headers });
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({
        error: "UNAUTHORIZED",
        message: expect.stringContaining("Bearer <SELLER_API_KEY>"),
      });
      expect(refused.headers.get("www-authenticate")).toContain("Bearer");
    }
    // Unknown /v1 paths are behind the key too (API Gateway's catch-all is behind IAM).
    expect((await request(`${api}/v1/nothing`)).status).toBe(401);

    const stores = await request(`${api}/v1/stores`, { headers: auth });
    expect(stores.status).toBe(200);
    expect((stores.body.stores as { storeId: string }[]).map((s) => s.storeId)).toEqual(["S01", "S02"]);

    const toggled = await request(`${api}/v1/stores/S01/availability`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/json", "Idempotency-Key": '"front-door-1"' },
      body: JSON.stringify({ status: "DISABLED" }),
    });
    expect(toggled.status, JSON.stringify(toggled.body)).toBe(202);
    expect(toggled.body.commandId).toBe("front-door-1");

    const order = await request(`${api}/v1/orders/${encodeURIComponent("OD:404")}`, { headers: auth });
    expect(order).toMatchObject({ status: 404, body: { error: "ORDER_NOT_FOUND" } });
    const wrongMethod = await request(`${api}/v1/orders`, { method: "DELETE", headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect((await request(`${api}/v1/nothing`, { headers: auth })).body).toMatchObject({ error: "NOT_FOUND" });
    expect((await request(`${api}/elsewhere`)).body).toMatchObject({ error: "NOT_FOUND", message: expect.any(String) });

    // Pincode's routes stay outside the key: the callback handler itself answers (401 from its own auth).
    const callback = await request(first.callbackUrl, { method: "POST", body: "{}" });
    expect(callback.status).toBe(401);
    expect(callback.body.error).toBe("UNAUTHORIZED");
    expect(String(callback.body.message)).not.toContain("SELLER_API_KEY");

    await stop(first);
    const second = await start();
    expect(second.sellerApiKey).toBe(first.sellerApiKey);
    expect((await request(`${second.apiUrl}/v1/stores`, { headers: auth })).status).toBe(200);
    await stop(second);
  });

  it("uses SELLER_API_KEY when set, and refuses one under 16 characters at start", async () => {
    expect(() => loadLocalConfig({ SELLER_API_KEY: "too-short" }, [])).toThrow(
      /SELLER_API_KEY: SELLER_API_KEY must be at least 16 characters/,
    );
    const key = "my-own-seller-api-key-0001";
    const pipeline = await start({ SELLER_API_KEY: key });
    expect(pipeline).toMatchObject({ sellerApiKey: key, sellerApiKeyGenerated: false });
    const ok = await request(`${pipeline.apiUrl}/v1/orders?limit=1`, { headers: { Authorization: `bearer ${key}` } });
    expect(ok.status).toBe(200);
    expect(ok.body).toHaveProperty("orders");
    await stop(pipeline);
  });

  it("answers 503 on the callback route while the chaos run's outage hook is on, and the sandbox's retry gets through after", async () => {
    const pipeline = await start({ SELLER_API_KEY: "my-own-seller-api-key-0002", CONSUMER_CONCURRENCY: "2" });
    const sandbox = pipeline.sandbox!;
    pipeline.setCallbackOutage(true);
    const down = await request(pipeline.callbackUrl, { method: "POST", body: "{}" });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ error: "SERVICE_UNAVAILABLE" });
    // A callback sent during the outage is refused, then retried by the sandbox once the route is back.
    sandbox.createOrder({ storeId: "S01" });
    while (pipeline.counters.rejected < 2) await new Promise((r) => setTimeout(r, 20));
    pipeline.setCallbackOutage(false);
    await sandbox.callbacksIdle();
    expect(sandbox.stats().callbacks).toMatchObject({ acked: 1, failed: 0 });
    expect(pipeline.counters.acked).toBe(1);
    await stop(pipeline);
  });
});
