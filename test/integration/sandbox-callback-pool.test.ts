/**
 * Issue 11: the sandbox sends callbacks as a pooled webhook sender does. At most `maxInFlight` requests are open to
 * the receiver at once, the rest wait their turn, and the per-attempt timeout runs from when a request is sent, so a
 * slow receiver gets a queue, not a flood of requests that all time out together.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "#sandbox/sandbox.ts";

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A receiver that answers every callback with its ACK after `delayMs`, counting how many are open at once. */
async function slowReceiver(delayMs: number) {
  const state = { open: 0, peak: 0, received: 0 };
  const server = createServer(async (req, res) => {
    state.open += 1;
    state.peak = Math.max(state.peak, state.open);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { requestContext: unknown };
    state.received += 1;
    setTimeout(() => {
      state.open -= 1;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ACK", requestContext: body.requestContext }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks`, state };
}

async function sandboxWith(maxInFlight: number): Promise<Sandbox> {
  // One attempt, and a timeout shorter than the queue the slowest order waits in (8 orders × 300 ms / 2 = 1.2 s).
  const sandbox = await startSandbox({ seed: 5, callbackRetry: { attempts: 1, timeoutMs: 700, maxInFlight } });
  stops.push(() => sandbox.stop());
  return sandbox;
}

describe("callback sender pool", () => {
  it("keeps at most maxInFlight requests open, and a delivery's wait for a slot does not count against its timeout", async () => {
    const rx = await slowReceiver(300);
    const sandbox = await sandboxWith(2);
    sandbox.registerCallback({ url: rx.url });
    for (let i = 0; i < 8; i++) sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();

    expect(rx.state.peak).toBe(2);
    expect(rx.state.received).toBe(8);
    const { callbacks } = sandbox.stats();
    expect(callbacks.acked).toBe(8);
    expect(callbacks.failed).toBe(0);
  });

  it("sends in parallel up to the cap (the cap is not one)", async () => {
    const rx = await slowReceiver(300);
    const sandbox = await sandboxWith(32);
    sandbox.registerCallback({ url: rx.url });
    for (let i = 0; i < 8; i++) sandbox.createOrder({ storeId: "S01" });
    await sandbox.callbacksIdle();

    expect(rx.state.peak).toBe(8);
    expect(sandbox.stats().callbacks.acked).toBe(8);
  });
});
