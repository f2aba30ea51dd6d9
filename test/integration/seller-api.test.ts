/**
 * The seller API over its real event shape: API Gateway REST proxy events (resource template and pathParameters as
 * API Gateway resolves them from the route table) into the real handler, against dynalite, fauxqs and the sandbox.
 * Every route and every error path answers `{error, message}` naming the field, never its value.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPendingSubmissionIndex } from "../../functions/adapters/pending-submission-index.ts";
import { createPollCheckpointRepository } from "../../functions/adapters/poll-checkpoint-repository.ts";
import { createStoreRepository } from "../../functions/adapters/store-repository.ts";
import { type Order, OrderSchema } from "../../functions/pincode/schemas.ts";
import { createSellerApiHandler, type SellerApiHandler } from "../../functions/seller-api/create-handler.ts";
import { wireSellerApiDeps } from "../../functions/seller-api/deps.ts";
import { MAX_SELLER_API_BODY_BYTES } from "../../functions/seller-api/router.ts";
import { sellerApiEvent } from "../support/api-gateway-event.ts";
import { type CommandsEnv, drainCommands, seedOrder, startCommandsEnv, storeView } from "./commands.harness.ts";
import { captureStdout, testObservability } from "./ingestion.harness.ts";

type Json = Record<string, unknown>;
const bodyOf = (result: APIGatewayProxyResult) => JSON.parse(result.body) as Json;

describe("seller API", () => {
  let env: CommandsEnv;
  let handler: SellerApiHandler;
  /** Every DynamoDB command the seller API sent (to prove listings never Scan). */
  const dynamoCommands: string[] = [];

  const call = async (
    method: string,
    path: string,
    parts: Parameters<typeof sellerApiEvent>[2] = {},
  ): Promise<{ status: number; body: Json; headers: Record<string, unknown> }> => {
    const result = await handler(sellerApiEvent(method, path, parts));
    return { status: result.statusCode, body: bodyOf(result), headers: result.headers ?? {} };
  };
  const expectError = (response: { status: number; body: Json }, status: number, code: string) => {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    expect(response.body.error).toBe(code);
    expect(typeof response.body.message).toBe("string");
    expect(Object.keys(response.body).sort()).toEqual(["error", "message"]);
  };

  beforeAll(async () => {
    env = await startCommandsEnv();
    env.dynamo.client.middlewareStack.add(
      (next, context) => (args) => {
        dynamoCommands.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize", name: "recordCommands" },
    );
    handler = createSellerApiHandler(
      wireSellerApiDeps({
        dynamo: env.dynamo.client,
        sqs: env.queues.client,
        tableName: env.dynamo.tableName,
        commandsQueueUrl: env.queues.commandsQueueUrl,
        seedStoreIds: ["S01", "S02"],
        ...testObservability("seller-api-test"),
      }),
    );
  });
  afterAll(() => env?.stop());

  /** A sandbox-made order stored in the bridge with a chosen store, state and updatedAt. */
  async function storeOrder(storeId: string, updatedAt: number, orderState = "ACCEPTED") {
    const base = OrderSchema.parse(env.sandbox.createOrder({ storeId: "S01" }));
    const order = {
      ...base,
      serviceProvider: { ...base.serviceProvider, id: storeId },
      id: `OD-${storeId}-${updatedAt}-${randomUUID().slice(0, 8)}`,
      orderState,
      updatedAt,
    } as Order;
    await storeView(env, order);
    return order;
  }

  describe("orders", () => {
    const t0 = Date.UTC(2026, 0, 10);
    const s01: Order[] = [];
    const s02: Order[] = [];
    beforeAll(async () => {
      // S01: 7 orders a minute apart; S02: 5 orders interleaved with them; states vary.
      for (let i = 0; i < 7; i++) s01.push(await storeOrder("L01", t0 + i * 60_000, i % 2 ? "COMPLETED" : "ACCEPTED"));
      for (let i = 0; i < 5; i++) s02.push(await storeOrder("L02", t0 + i * 60_000 + 30_000, "IN_PROGRESS"));
      await call("PUT", "/v1/stores/L01", { json: {} });
      await call("PUT", "/v1/stores/L02", { json: {} });
    });

    async function pageThrough(query: Record<string, string>) {
      const pages: Json[][] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 20; i++) {
        const response = await call("GET", "/v1/orders", { query: { ...query, ...(cursor ? { cursor } : {}) } });
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        pages.push(response.body.orders as Json[]);
        if (response.body.next === null) return pages;
        cursor = String(response.body.next);
      }
      throw new Error("no last page");
    }

    it("pages one store newest first from the byStore index, never a Scan", async () => {
      dynamoCommands.length = 0;
      const pages = await pageThrough({ storeId: "L01", limit: "3" });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const ids = pages.flat().map((o) => o.orderId);
      expect(ids).toEqual([...s01].reverse().map((o) => o.id));
      expect(pages[0]?.[0]).toMatchObject({ storeId: "L01", orderState: "ACCEPTED", updatedAt: t0 + 6 * 60_000 });
      expect(dynamoCommands).toContain("QueryCommand");
      expect(dynamoCommands).not.toContain("ScanCommand");
    });

    it("merges every stored store newest first without repeating or skipping an order", async () => {
      dynamoCommands.length = 0;
      const pages = await pageThrough({ limit: "4", updatedSince: String(t0) });
      const all = pages.flat();
      const expected = [...s01, ...s02].sort((a, b) => Number(b.updatedAt) - Number(a.updatedAt)).map((o) => o.id);
      expect(all.map((o) => o.orderId)).toEqual(expected);
      expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
      expect(dynamoCommands).not.toContain("ScanCommand");
    });

    it("filters by state (any case) and updatedSince (epoch ms or ISO 8601)", async () => {
      const accepted = (await pageThrough({ storeId: "L01", state: "accepted", limit: "2" })).flat();
      expect(accepted.map((o) => o.orderId)).toEqual(
        s01
          .filter((o) => o.orderState === "ACCEPTED")
          .reverse()
          .map((o) => o.id),
      );
      const since = new Date(t0 + 4 * 60_000).toISOString();
      const recent = (await pageThrough({ storeId: "L01", updatedSince: since })).flat();
      expect(recent.map((o) => o.orderId)).toEqual(
        s01
          .slice(4)
          .reverse()
          .map((o) => o.id),
      );
      const none = await call("GET", "/v1/orders", { query: { storeId: "L02", state: "CANCELLED" } });
      expect(none.body).toEqual({ orders: [], next: null });
    });

    it("keeps the cursor's page size and refuses a changed, cut or re-filtered cursor with 400", async () => {
      const first = await call("GET", "/v1/orders", { query: { storeId: "L01", limit: "2" } });
      const cursor = String(first.body.next);
      const second = await call("GET", "/v1/orders", { query: { storeId: "L01", cursor } });
      expect((second.body.orders as Json[]).length).toBe(2);

      const [payload, sum] = cursor.split(".");
      const forged = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()), l: 1000 }),
      ).toString("base64url");
      for (const bad of [`${forged}.${sum}`, cursor.slice(0, -3), "not-a-cursor", `${payload}`]) {
        const response = await call("GET", "/v1/orders", { query: { storeId: "L01", cursor: bad } });
        expectError(response, 400, "INVALID_REQUEST");
        expect(response.body.message).toMatch(/^cursor: /);
        expect(response.body.message).not.toContain(bad);
      }
      const otherFilters = await call("GET", "/v1/orders", { query: { storeId: "L02", cursor } });
      expectError(otherFilters, 400, "INVALID_REQUEST");
      expect(otherFilters.body.message).toContain("other filters");
    });

    it("answers 400 naming the parameter for a bad limit, state, storeId or updatedSince", async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ limit: "0" }, /^limit: expected an integer from 1 to 100$/],
        [{ limit: "101" }, /^limit: /],
        [{ limit: "ten" }, /^limit: /],
        [{ state: "not a state!" }, /^state: expected an order state/],
        [{ storeId: "S 01/../x" }, /^storeId: expected a store id/],
        [{ updatedSince: "yesterday" }, /^updatedSince: expected epoch milliseconds or an ISO 8601/],
        [{ updatedSince: "2026-01-10" }, /^updatedSince: /],
      ];
      for (const [query, message] of cases) {
        const response = await call("GET", "/v1/orders", { query });
        expectError(response, 400, "INVALID_REQUEST");
        expect(response.body.message).toMatch(message);
        // Never echo the value (numbers like "0" occur in the expected form itself).
        for (const value of Object.values(query))
          if (!/^\d+$/.test(value)) expect(response.body.message).not.toContain(value);
      }
    });

    it("shows one order: the full view with Pincode's field names, the buyer's address, and its history", async () => {
      const order = s01[0]!;
      const capture = captureStdout();
      let response: Awaited<ReturnType<typeof call>>;
      try {
        response = await call("GET", `/v1/orders/${encodeURIComponent(order.id)}`);
      } finally {
        capture.stop();
      }
      expect(response.status).toBe(200);
      const view = response.body.order as Json;
      expect(view).toMatchObject({ id: order.id, orderState: "ACCEPTED", updatedAt: order.updatedAt });
      expect(view.billing).toEqual(JSON.parse(JSON.stringify(order.billing)));
      const fulfillments = view.fulfillments as Json[];
      expect(fulfillments.length).toBeGreaterThan(0);
      for (const f of fulfillments) {
        expect(f).toHaveProperty("fulfillmentId");
        if (typeof f.fulfillmentState === "string") expect(f.fulfillmentState).toBe(f.fulfillmentState.toUpperCase());
      }
      expect(response.body.history).toEqual([
        expect.objectContaining({ outcome: "accepted", source: "callback", orderState: "ACCEPTED" }),
      ]);
      expect(response.body.sync).toMatchObject({ version: 1 });
      // The buyer's data went to the caller only: not one log line carries it.
      const buyer = JSON.stringify(order.billing);
      expect(buyer.length).toBeGreaterThan(10);
      const logged = capture.lines.join("\n");
      expect(logged).toContain("seller api request");
      for (const value of [order.billing?.name, order.billing?.phone, order.billing?.email].filter(Boolean)) {
        expect(logged).not.toContain(String(value));
      }
    });

    it("answers 404 for an unknown order and 400 for an id that cannot be one", async () => {
      expectError(await call("GET", "/v1/orders/OD-DOES-NOT-EXIST"), 404, "ORDER_NOT_FOUND");
      const bad = await call("GET", `/v1/orders/${encodeURIComponent("no spaces allowed")}`);
      expectError(bad, 400, "INVALID_REQUEST");
      expect(bad.body.message).toMatch(/^orderId: expected/);
    });
  });

  describe("order commands", () => {
    it("queues an action once per Idempotency-Key: same body returns the command, another body is 422", async () => {
      const order = await seedOrder(env, "S01");
      const path = `/v1/orders/${order.id}/actions`;
      const key = `key-${randomUUID()}`;
      const first = await call("POST", path, {
        json: { actions: [{ type: "accept" }] },
        headers: { "Idempotency-Key": `"${key}"` },
      });
      expect(first).toMatchObject({ status: 202, body: { commandId: key, status: "QUEUED" } });
      const again = await call("POST", path, { json: { commandId: key, actions: [{ type: "accept" }] } });
      expect(again.body).toEqual(first.body);
      const reused = await call("POST", path, {
        json: { actions: [{ type: "cancel", reason: "ITEM_UNAVAILABLE" }] },
        headers: { "Idempotency-Key": key },
      });
      expect(reused).toMatchObject({ status: 422, body: { error: "IDEMPOTENCY_KEY_REUSED", commandId: key } });
      expect(reused.body.message).toMatch(/^Idempotency-Key \/ commandId: /);

      const messages = await drainCommands(env);
      expect(messages.filter((m) => m.commandId === key)).toHaveLength(1);

      const command = await call("GET", `/v1/commands/${key}`);
      expect(command).toMatchObject({ status: 200, body: { commandId: key, orderId: order.id, status: "QUEUED" } });
      const list = await call("GET", `/v1/orders/${order.id}/commands`);
      expect(list.status).toBe(200);
      expect((list.body.commands as Json[]).map((c) => c.commandId)).toEqual([key]);
    });

    it("answers 400 for a bad action or key, 404 for an unknown order or command, 409 for a forbidden move", async () => {
      const order = await seedOrder(env, "S01");
      const path = `/v1/orders/${order.id}/actions`;
      const bad = await call("POST", path, { json: { actions: [{ type: "ship" }] } });
      expectError(bad, 400, "INVALID_REQUEST");
      expect(bad.body.message).toContain("actions[0].type");
      const badKey = await call("POST", path, {
        json: { actions: [{ type: "accept" }] },
        headers: { "Idempotency-Key": "has spaces in it" },
      });
      expectError(badKey, 400, "INVALID_REQUEST");
      expect(badKey.body.message).toMatch(/^Idempotency-Key: /);
      const noBody = await call("POST", path);
      expectError(noBody, 400, "INVALID_REQUEST");
      expect(noBody.body.message).toMatch(/^body: /);

      expectError(
        await call("POST", "/v1/orders/OD-NOPE/actions", { json: { actions: [{ type: "accept" }] } }),
        404,
        "ORDER_NOT_FOUND",
      );
      expectError(await call("GET", "/v1/commands/no-such-command"), 404, "COMMAND_NOT_FOUND");
      expectError(await call("GET", "/v1/orders/OD-NOPE/commands"), 404, "ORDER_NOT_FOUND");

      const done = await storeOrder("S01", Date.now(), "COMPLETED");
      expectError(
        await call("POST", `/v1/orders/${done.id}/actions`, { json: { actions: [{ type: "accept" }] } }),
        409,
        "TRANSITION_NOT_ALLOWED",
      );
      await drainCommands(env);
    });
  });

  describe("stores, availability, listings and submissions", () => {
    it("lists the seeded stores with availability, poll lag and orders by state", async () => {
      const checkpoints = createPollCheckpointRepository(env.dynamo.client, env.dynamo.tableName);
      const now = Date.now();
      await checkpoints.acquireLease("S01", "test", now, now + 60_000);
      await checkpoints.completeWindow("S01", "test", now - 90_000, now);
      await storeOrder("S01", now - 1000, "ACCEPTED");
      await storeOrder("S01", now - 2000, "CANCELLED");

      const response = await call("GET", "/v1/stores");
      expect(response.status).toBe(200);
      const stores = response.body.stores as Json[];
      const s01 = stores.find((s) => s.storeId === "S01")!;
      expect(s01).toMatchObject({ status: "ACTIVE", automation: { autoAccept: false, packOnAccept: false } });
      const poll = s01.poll as Json;
      expect(poll.windowEnd).toBe(now - 90_000);
      expect(Number(poll.lagMs)).toBeGreaterThanOrEqual(90_000);
      const orders = s01.orders as { byState: Record<string, number>; complete: boolean };
      expect(orders.complete).toBe(true);
      expect(orders.byState.CANCELLED).toBeGreaterThanOrEqual(1);
      expect(orders.byState.ACCEPTED).toBeGreaterThanOrEqual(1);
      expect(stores.find((s) => s.storeId === "S02")).toMatchObject({ status: "ACTIVE", poll: { lagMs: null } });
      expectError(await call("GET", "/v1/stores", { query: { ordersSince: "last week" } }), 400, "INVALID_REQUEST");
    });

    it("adds, updates, retires and re-adds a store; seeding never brings a retired one back", async () => {
      const created = await call("PUT", "/v1/stores/S09", {
        json: { name: "Koramangala", automation: { autoAccept: true } },
      });
      expect(created).toMatchObject({
        status: 201,
        body: {
          storeId: "S09",
          name: "Koramangala",
          status: "ACTIVE",
          automation: { autoAccept: true, packOnAccept: false },
        },
      });
      const updated = await call("PUT", "/v1/stores/S09", { json: { automation: { packOnAccept: true } } });
      expect(updated).toMatchObject({
        status: 200,
        body: { name: "Koramangala", automation: { autoAccept: true, packOnAccept: true } },
      });
      const retired = await call("DELETE", "/v1/stores/S09");
      expect(retired).toMatchObject({ status: 200, body: { storeId: "S09", status: "RETIRED" } });
      expect(retired.body.retiredAt).toEqual(expect.any(Number));

      const stores = createStoreRepository(env.dynamo.client, env.dynamo.tableName);
      expect(await stores.seed(["S09"], Date.now())).toBe(0);
      expect((await stores.get("S09"))?.status).toBe("RETIRED");
      expect(await stores.listActiveIds()).not.toContain("S09");

      const back = await call("PUT", "/v1/stores/S09", { json: {} });
      expect(back).toMatchObject({ status: 200, body: { status: "ACTIVE", retiredAt: null } });
      expect(await stores.listActiveIds()).toContain("S09");
    });

    it("answers 400 naming the field for a bad store body or id, and 404 retiring an unknown store", async () => {
      const unknown = await call("PUT", "/v1/stores/S10", { json: { nme: "typo" } });
      expectError(unknown, 400, "INVALID_REQUEST");
      expect(unknown.body.message).toContain("unknown field");
      const wrongType = await call("PUT", "/v1/stores/S10", { json: { automation: { autoAccept: "yes" } } });
      expectError(wrongType, 400, "INVALID_REQUEST");
      expect(wrongType.body.message).toBe("body.automation.autoAccept: expected a boolean");
      const badId = await call("PUT", `/v1/stores/${encodeURIComponent("S 10")}`, { json: {} });
      expectError(badId, 400, "INVALID_REQUEST");
      expect(badId.body.message).toMatch(/^storeId: expected a store id/);
      expectError(await call("DELETE", "/v1/stores/S404"), 404, "STORE_NOT_FOUND");
    });

    it("toggles availability: 202 with a PENDING submission, its age, the store's availability, the pending index", async () => {
      const toggled = await call("POST", "/v1/stores/S01/availability", { json: { status: "DISABLED" } });
      expect(toggled.status, JSON.stringify(toggled.body)).toBe(202);
      const submissionId = String(toggled.body.submissionId);
      expect(submissionId).toMatch(/^SUB-/);

      const submission = await call("GET", `/v1/submissions/${submissionId}`);
      expect(submission).toMatchObject({ status: 200, body: { submissionId, status: "PENDING", storeId: "S01" } });
      expect(submission.body.pendingForMs).toEqual(expect.any(Number));

      const stores = (await call("GET", "/v1/stores")).body.stores as Json[];
      expect(stores.find((s) => s.storeId === "S01")?.availability).toMatchObject({ status: "DISABLED", submissionId });

      const oldest = await createPendingSubmissionIndex(env.dynamo.client, env.dynamo.tableName).oldestPending();
      expect(oldest?.submissionId).toBe(submissionId);

      expectError(
        await call("POST", "/v1/stores/S404/availability", { json: { status: "ENABLED" } }),
        404,
        "STORE_NOT_FOUND",
      );
      const bad = await call("POST", "/v1/stores/S01/availability", { json: { status: "MAYBE" } });
      expectError(bad, 400, "INVALID_REQUEST");
      expect(bad.body.message).toContain("status");
      expectError(await call("GET", "/v1/submissions/SUB-unknown"), 404, "SUBMISSION_NOT_FOUND");
      await drainCommands(env);
    });

    it("submits listings: 202 with the submissions, 400 for a bad row, 404 for an unknown store", async () => {
      const rows = [0, 1, 2].map((i) => ({ type: "INVENTORY", storeId: "S02", sku: `SKU-${i}`, count: 5 + i }));
      const accepted = await call("POST", "/v1/listings", { json: { listings: rows } });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      expect(accepted.body.submissions).toEqual([expect.objectContaining({ storeId: "S02", messages: 3 })]);
      const bad = await call("POST", "/v1/listings", {
        json: { listings: [{ type: "PRICE", storeId: "S02", sku: "x", mrp: -1, sellingPrice: 0 }] },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe("INVALID_REQUEST");
      expectError(
        await call("POST", "/v1/listings", { json: { listings: [{ ...rows[0], storeId: "S404" }] } }),
        404,
        "STORE_NOT_FOUND",
      );
      await drainCommands(env);
    });
  });

  describe("generic refusals", () => {
    it("415 for a body that is not JSON by its Content-Type, 400 for JSON that is not an object", async () => {
      const path = "/v1/stores/S01/availability";
      const text = await call("POST", path, { body: "status=DISABLED", headers: { "Content-Type": "text/plain" } });
      expectError(text, 415, "UNSUPPORTED_MEDIA_TYPE");
      const none = await call("POST", path, { body: '{"status":"DISABLED"}' });
      expectError(none, 415, "UNSUPPORTED_MEDIA_TYPE");
      for (const body of ["{not json", "[1,2]", '"text"', "null"]) {
        const response = await call("POST", path, { body, headers: { "Content-Type": "application/json" } });
        expectError(response, 400, "INVALID_REQUEST");
        expect(response.body.message).toBe("body: expected a JSON object");
      }
    });

    it("413 for a body over the limit", async () => {
      const big = JSON.stringify({ listings: [], pad: "x".repeat(MAX_SELLER_API_BODY_BYTES) });
      expectError(
        await call("POST", "/v1/listings", { body: big, headers: { "Content-Type": "application/json" } }),
        413,
        "PAYLOAD_TOO_LARGE",
      );
    });

    it("405 with Allow for a wrong method, 404 for an unknown route under /v1", async () => {
      const wrong = await call("PATCH", "/v1/orders");
      expectError(wrong, 405, "METHOD_NOT_ALLOWED");
      expect(wrong.headers.Allow).toBe("GET");
      const store = await call("POST", "/v1/stores/S01");
      expectError(store, 405, "METHOD_NOT_ALLOWED");
      expect(store.headers.Allow).toBe("PUT, DELETE");
      expectError(await call("GET", "/v1/nothing-here"), 404, "NOT_FOUND");
      expectError(await call("GET", "/v1/orders/OD1/unknown"), 404, "NOT_FOUND");
    });
  });
});
