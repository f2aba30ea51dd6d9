/**
 * Buyer PII never reaches a log line or a domain event, over a realistic run of the whole pipeline (local mode, in
 * process: the real callback, token, poller, processor, commands and seller-API handlers on dynalite and fauxqs, the
 * sandbox over HTTP): orders arrive by callback and, for the callbacks the sandbox drops, by poll; Pincode answers
 * some calls 500 (retries, failed Status Checks); the seller accepts, packs, cancels, cuts units and sends invoices
 * through the seller API and makes mistakes with buyer data in them; logistics moves orders on to delivery; a
 * callback carrying buyer data is quarantined and another refused as malformed; a poison message carrying buyer data
 * ends in the events DLQ.
 *
 * Every line the handlers write (stdout and stderr, at DEBUG) and every domain event is scanned for every buyer
 * name, phone, e-mail and street address the sandbox generated (its own truth): zero hits. The scan is shown to
 * work: the same values are found in the order views the seller API returns to its authorised caller.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalPipeline, startLocalPipeline } from "../../bin/local/pipeline.ts";
import type { BridgeEvent } from "../../functions/adapters/event-publisher.ts";
import type { OrderView } from "../../sandbox/sandbox.ts";
import { captureStdout, type OutputCapture } from "./ingestion.harness.ts";

type Json = Record<string, unknown>;
type SandboxOrder = OrderView & {
  id: string;
  orderState: string;
  items: { itemId: string }[];
  serviceProvider: { id: string };
  billing: {
    name: string;
    phone: string;
    email: string;
    address: { building: string; locality: string; formattedAddress: string; lat: number; lon: number };
  };
  fulfillments: { type: string; end?: { person?: { name?: string }; contact?: { phone?: string } } }[];
};

/** Every buyer value the sandbox generated: names, phones, e-mails, street addresses, coordinates. */
function buyerValues(orders: readonly SandboxOrder[]): string[] {
  const values = new Set<string>();
  for (const order of orders) {
    const { billing } = order;
    values.add(billing.name);
    values.add(billing.phone);
    values.add(billing.email);
    values.add(billing.address.building);
    values.add(billing.address.formattedAddress);
    values.add(String(billing.address.lat));
    values.add(String(billing.address.lon));
    for (const f of order.fulfillments) {
      if (f.end?.person?.name) values.add(f.end.person.name);
      if (f.end?.contact?.phone) values.add(f.end.contact.phone);
    }
  }
  // A name is found even as a prefix ("Test Buyer 1" inside "Test Buyer 17" is a hit too: both are buyer data).
  return [...values].filter((v) => v.length >= 6);
}

function hits(text: string, values: readonly string[]): string[] {
  return values.filter((v) => text.includes(v));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("buyer PII over a realistic run", () => {
  let pipeline: LocalPipeline;
  let output: OutputCapture;
  const events: BridgeEvent[] = [];
  const savedLevel = process.env.POWERTOOLS_LOG_LEVEL;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${pipeline.apiUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${pipeline.sellerApiKey}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: (text ? JSON.parse(text) : {}) as Json };
  };

  beforeAll(async () => {
    // The most talkative the handlers get: every debug line is scanned too.
    process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
    output = captureStdout();
    const config = loadLocalConfig(
      {
        PORT: "0",
        SANDBOX_PORT: "0",
        DYNAMODB_PORT: "0",
        SQS_PORT: "0",
        DEMO: "0",
        STORE_IDS: "S01,S02",
        SANDBOX_SEED: "10",
        POLL_INTERVAL_S: "1",
        POLL_SETTLE_S: "0",
        VISIBILITY_TIMEOUT_S: "1",
        MAX_RECEIVE_COUNT: "2",
      },
      ["--in-memory"],
    );
    pipeline = await startLocalPipeline(config, () => {}, { onDomainEvent: (event) => events.push(event) });
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.stop();
    if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
  });

  it("writes none of the buyers' names, phones, e-mails or addresses to a log line or a domain event", async () => {
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error("local mode runs the sandbox");
    const truth = () => sandbox.listOrders() as SandboxOrder[];

    // Orders arrive by callback; a third of the callbacks are dropped (the poller must find those orders), and one
    // Pincode call in ten fails (retries, failed Status Checks, failed Order Updates).
    sandbox.setFaults({ callbackDropRate: 0.3, apiErrorRate: 0.1 });
    const created: string[] = [];
    for (let i = 0; i < 12; i++)
      created.push(sandbox.createOrder({ storeId: i % 2 === 0 ? "S01" : "S02" }).id as string);
    await until("every order in the bridge", async () => {
      const listed = await api("GET", "/v1/orders?limit=100");
      return (listed.json.orders as Json[]).length >= created.length ? true : undefined;
    });

    // The seller's moves, through the seller API, and the seller's mistakes carrying buyer data.
    const [first, second, third, fourth] = created as [string, string, string, string];
    const buyer = truth().find((o) => o.id === first)!.billing;
    const accepted = [first, second, third];
    for (const id of accepted) {
      expect((await api("POST", `/v1/orders/${id}/actions`, { actions: [{ type: "accept" }] })).status).toBe(202);
    }
    const mistakes = [
      await api("POST", `/v1/orders/${first}/actions`, { actions: [{ type: "cancel", reason: buyer.phone }] }),
      await api("POST", `/v1/orders/${first}/actions`, {
        actions: [{ type: "invoice", sellerInvoiceId: { n: buyer.name } }],
      }),
      await api("POST", `/v1/orders/${encodeURIComponent(buyer.email)}/actions`, { actions: [{ type: "accept" }] }),
      await api("PUT", "/v1/stores/S01", { name: { first: buyer.name }, phone: buyer.phone }),
      await api("POST", "/v1/listings", {
        listings: [{ type: "PRICE", storeId: "S01", sku: buyer.phone, mrp: buyer.name }],
      }),
      await api("GET", `/v1/orders?state=${encodeURIComponent(buyer.address.building)}`),
    ];
    for (const mistake of mistakes) {
      expect(mistake.status, mistake.text).toBeGreaterThanOrEqual(400);
      expect(mistake.status).toBeLessThan(500);
      expect(hits(mistake.text, buyerValues(truth()))).toEqual([]);
    }
    const projected = async (id: string, state: string) =>
      until(`${id} ${state} at Pincode`, () =>
        truth().find((o) => o.id === id)?.orderState === state ? true : undefined,
      );
    for (const id of accepted) await projected(id, "ACCEPTED");
    const itemId = truth().find((o) => o.id === second)!.items[0]!.itemId;
    expect(
      (
        await api("POST", `/v1/orders/${first}/actions`, {
          actions: [{ type: "packing" }, { type: "packed" }, { type: "invoice", sellerInvoiceId: "INV-PII-1" }],
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await api("POST", `/v1/orders/${second}/actions`, {
          actions: [{ type: "itemUnits", itemId, units: 0, reason: "ITEM_UNAVAILABLE" }],
        })
      ).status,
    ).toBeLessThan(500);
    expect(
      (await api("POST", `/v1/orders/${third}/actions`, { actions: [{ type: "cancel", reason: "ITEM_UNAVAILABLE" }] }))
        .status,
    ).toBe(202);
    await projected(third, "CANCELLED");
    // Logistics (Pincode's side) moves the packed order on; the buyer cancels another one.
    await until("the packed order", () =>
      truth().find((o) => o.id === first)?.fulfillments.length ? true : undefined,
    );
    for (let step = 0; step < 4; step++) {
      try {
        sandbox.advanceOrder(first);
      } catch {
        break;
      }
    }
    sandbox.cancelOrder(fourth);

    // Failures: an authenticated callback with buyer data where the order id belongs (quarantined), one that is not
    // JSON at all (quarantined as malformed), and a poison message on the events queue (DLQ after two receives).
    const token = await fetch(pipeline.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        ...{ client_id: pipeline.callbackClient.clientId, client_secret: pipeline.callbackClient.clientSecret },
      }),
    }).then(async (r) => (await r.json()) as { access_token: string });
    const sample = truth().find((o) => o.id === second)!;
    const callback = (body: string) =>
      fetch(pipeline.callbackUrl, {
        method: "POST",
        headers: { Authorization: `Bearer ${token.access_token}`, "Content-Type": "application/json" },
        body,
      }).then(async (r) => ({ status: r.status, text: await r.text() }));
    const invalid = await callback(
      JSON.stringify({
        type: "ORDER_VIEW",
        requestContext: { requestId: "PII-Q1" },
        response: { ...sample, id: sample.billing },
      }),
    );
    const broken = await callback(`{"type":"ORDER_VIEW","response":{"billing":${JSON.stringify(sample.billing)}`);
    expect([invalid.status, broken.status]).toEqual([400, 400]);
    for (const reply of [invalid, broken]) expect(hits(reply.text, buyerValues(truth()))).toEqual([]);
    await pipeline.queues.client.send(
      new SendMessageCommand({
        QueueUrl: pipeline.queues.eventsQueueUrl,
        MessageBody: JSON.stringify({
          v: 1,
          kind: "order.snapshot",
          messageId: "pii-poison-1",
          receivedAt: Date.now(),
          source: "callback",
          orderId: sample.billing.phone,
          order: { id: { buyer: sample.billing }, billing: sample.billing },
        }),
      }),
    );

    // Let everything settle: the poller has seen every order as Pincode has it, the DLQ holds the poison message.
    const dlqd = await until(
      "the poison message in the events DLQ",
      async () => {
        const peek = await api("GET", "/v1/ops/dlqs/events/messages");
        return Number(peek.json.messages) > 0 ? { peek } : undefined;
      },
      30_000,
    );
    expect(dlqd.peek.status).toBe(200);
    await until(
      "the bridge's views to match Pincode's",
      async () => {
        await pipeline.pollNow();
        for (const order of truth()) {
          const view = await api("GET", `/v1/orders/${order.id}`);
          if ((view.json.order as Json | undefined)?.orderState !== order.orderState) return undefined;
        }
        return true;
      },
      30_000,
    );
    const quarantine = await api("GET", "/v1/quarantine");
    expect(quarantine.status).toBe(200);
    expect(quarantine.text).toContain("PII-Q1");
    await sleep(500);

    // Assess: the run was real (orders, events, log lines, failures), and nothing in logs or events names a buyer.
    const values = buyerValues(truth());
    expect(truth().length).toBe(12);
    expect(values.length).toBeGreaterThan(30);
    const stats = sandbox.stats() as unknown as Json;
    const logText = output.lines.join("\n");
    const eventText = events.map((e) => JSON.stringify(e)).join("\n");
    console.info(
      `PII scan: ${values.length} buyer values from ${truth().length} orders over ${output.lines.length} log lines and ` +
        `${events.length} domain events; sandbox stats ${JSON.stringify(stats).slice(0, 300)}`,
    );
    expect(output.lines.length).toBeGreaterThan(200);
    expect(events.length).toBeGreaterThan(20);
    expect(logText).toContain("callback rejected");
    expect(logText).toMatch(/poison|failed/);
    expect(hits(logText, values), "buyer values in log lines").toEqual([]);
    expect(hits(eventText, values), "buyer values in domain events").toEqual([]);
    // The scanner sees what it is looking for: the seller API hands the buyer's data to its authorised caller.
    const view = await api("GET", `/v1/orders/${first}`);
    expect(hits(view.text, values)).toEqual(expect.arrayContaining([buyer.name, buyer.phone]));
  });
});
