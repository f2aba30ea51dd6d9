/**
 * The submit use cases against dynalite and fauxqs: validation, 404/409/422, idempotency by key, the command and
 * submission items, and the FIFO messages they queue.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandRepository } from "../../functions/adapters/command-repository.ts";
import { createSubmissionRepository } from "../../functions/adapters/submission-repository.ts";
import { submitListings, submitOrderActions, submitStoreToggle } from "../../functions/commands/submit.ts";
import { type CommandsEnv, drainCommands, seedOrder, seedStore, startCommandsEnv } from "./commands.harness.ts";

describe("submit use cases", () => {
  let env: CommandsEnv;
  beforeAll(async () => {
    env = await startCommandsEnv();
    await seedStore(env, "S01");
    await seedStore(env, "S02");
  });
  afterAll(() => env?.stop());

  it("queues an order command once per key: same body returns it, another body is 422", async () => {
    const order = await seedOrder(env);
    const body = { actions: [{ type: "accept" }] };
    const first = await submitOrderActions(env.submit, { orderId: order.id, idempotencyKey: "key-accept-1", body });
    expect(first).toEqual({ status: 202, body: { commandId: "key-accept-1", status: "QUEUED" } });
    const again = await submitOrderActions(env.submit, {
      orderId: order.id,
      body: { commandId: "key-accept-1", ...body },
    });
    expect(again).toEqual(first);
    const other = await submitOrderActions(env.submit, {
      orderId: order.id,
      idempotencyKey: "key-accept-1",
      body: { actions: [{ type: "cancel", reason: "ITEM_UNAVAILABLE" }] },
    });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe("IDEMPOTENCY_KEY_REUSED");

    const command = await createCommandRepository(env.dynamo.client, env.dynamo.tableName).getCommand("key-accept-1");
    expect(command).toMatchObject({
      commandId: "key-accept-1",
      type: "order-actions",
      status: "QUEUED",
      orderId: order.id,
      pincodeActions: [{ type: "ORDER_STATE_UPDATE", orderState: "ACCEPTED" }],
      attempts: 0,
    });
    expect(command?.requestId).toMatch(/^PB-/);
    const listed = await createCommandRepository(env.dynamo.client, env.dynamo.tableName).listOrderCommands(order.id);
    expect(listed.map((c) => c.commandId)).toEqual(["key-accept-1"]);

    const messages = await drainCommands(env);
    // The replay re-sent the QUEUED command; FIFO deduplication (MessageDeduplicationId = commandId) kept one.
    expect(messages.filter((m) => m.commandId === "key-accept-1")).toHaveLength(1);
    expect(messages[0]).toMatchObject({ v: 1, kind: "command.order", orderId: order.id });
  });

  it("generates a command id when none is given", async () => {
    const order = await seedOrder(env);
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    expect(result.status).toBe(202);
    expect(String(result.body.commandId)).toMatch(/^[0-9a-f-]{36}$/);
    await drainCommands(env);
  });

  it("answers 400, 404 and 409 with the field path", async () => {
    const order = await seedOrder(env);
    const bad = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "ship" }] } });
    expect(bad).toMatchObject({ status: 400, body: { error: "INVALID_REQUEST" } });
    expect(bad.body.message).toContain("actions[0].type: expected one of");
    const mismatch = await submitOrderActions(env.submit, {
      orderId: order.id,
      idempotencyKey: "a",
      body: { commandId: "b", actions: [{ type: "accept" }] },
    });
    expect(mismatch).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("commandId: must equal") },
    });
    const missing = await submitOrderActions(env.submit, {
      orderId: "OD-NOPE",
      body: { actions: [{ type: "accept" }] },
    });
    expect(missing).toMatchObject({ status: 404, body: { error: "ORDER_NOT_FOUND" } });
    const early = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "packed" }] } });
    expect(early).toMatchObject({ status: 409, body: { error: "TRANSITION_NOT_ALLOWED" } });
    expect(early.body.message).toContain("actions[0]: packed needs an ACCEPTED or IN_PROGRESS order");
  });

  it("checks a transition against the commands still in flight (accept queued, then pack)", async () => {
    const order = await seedOrder(env);
    const accept = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const pack = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "packing" }] } });
    expect([accept.status, pack.status]).toEqual([202, 202]);
    const twice = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    expect(twice.status).toBe(409);
    const messages = await drainCommands(env);
    expect(messages.filter((m) => m.orderId === order.id).map((m) => m.commandId)).toEqual([
      accept.body.commandId,
      pack.body.commandId,
    ]);
  });

  it("adds PACKING to an accept when the store's packOnAccept is on", async () => {
    await seedStore(env, "S03", { autoAccept: false, packOnAccept: true });
    const order = await seedOrder(env, "S03");
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const command = await env.submit.commands.getCommand(String(result.body.commandId));
    expect(
      command?.pincodeActions?.map((a) =>
        "orderState" in a ? a.orderState : a.type === "ORDER_FULFILMENT_STATE_UPDATE" && a.fulfillmentState,
      ),
    ).toEqual(["ACCEPTED", "PACKING"]);
    await drainCommands(env);
  });

  it("queues a store toggle as one submission with one message, records availability", async () => {
    const validTill = Date.now() + 3_600_000;
    const result = await submitStoreToggle(env.submit, {
      storeId: "S01",
      idempotencyKey: "toggle-1",
      body: { status: "DISABLED", validTill },
    });
    expect(result.status).toBe(202);
    const submissionId = String(result.body.submissionId);
    const submission = await createSubmissionRepository(env.dynamo.client, env.dynamo.tableName).getSubmission(
      submissionId,
    );
    expect(submission).toMatchObject({
      status: "PENDING",
      stage: "QUEUED",
      operation: "STORE_TOGGLE",
      storeId: "S01",
      messages: [{ outcome: "PENDING", serviceProviderId: "S01", type: "STORE_TOGGLE" }],
    });
    expect(submission?.pendingForMs).toBeGreaterThanOrEqual(0);
    const again = await submitStoreToggle(env.submit, {
      storeId: "S01",
      idempotencyKey: "toggle-1",
      body: { status: "DISABLED", validTill },
    });
    expect(again.body.submissionId).toBe(submissionId);
    expect(
      (await submitStoreToggle(env.submit, { storeId: "S01", idempotencyKey: "toggle-1", body: { status: "ENABLED" } }))
        .status,
    ).toBe(422);
    expect((await submitStoreToggle(env.submit, { storeId: "S99", body: { status: "ENABLED" } })).status).toBe(404);
    const messages = await drainCommands(env);
    expect(messages.filter((m) => m.submissionId === submissionId)).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: "command.submission", storeId: "S01" });
  });

  it("splits listings per store and operation into batches, all or nothing on a bad row", async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({
      type: "INVENTORY",
      storeId: i < 100 ? "S01" : "S02",
      sku: `SKU-${i}`,
      count: i,
    }));
    const result = await submitListings(env.submit, { body: { listings: rows } });
    expect(result.status).toBe(202);
    const submissions = result.body.submissions as { submissionId: string; storeId: string; messages: number }[];
    expect(submissions.map((s) => [s.storeId, s.messages])).toEqual([
      ["S01", 50],
      ["S01", 50],
      ["S02", 20],
    ]);
    const messages = await drainCommands(env);
    // FIFO order holds within a store's message group; groups interleave freely.
    expect(messages.filter((m) => m.storeId === "S01").map((m) => m.submissionId)).toEqual(
      submissions.filter((s) => s.storeId === "S01").map((s) => s.submissionId),
    );
    expect(messages).toHaveLength(3);

    const bad = await submitListings(env.submit, {
      body: { listings: [...rows.slice(0, 3), { type: "PRICE", storeId: "S01", sku: "x", mrp: -1, sellingPrice: 0 }] },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: "INVALID_REQUEST", rows: [{ index: 3 }] } });
    const unknownStore = await submitListings(env.submit, { body: { listings: [{ ...rows[0], storeId: "S99" }] } });
    expect(unknownStore).toMatchObject({
      status: 404,
      body: { error: "STORE_NOT_FOUND", message: "listings[0].storeId: no active store with this id is configured" },
    });
    expect(await drainCommands(env)).toEqual([]);
  });
});
