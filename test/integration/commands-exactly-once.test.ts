/**
 * The commands function end to end: submit (dynalite + fauxqs) → FIFO queue → the real handler → the sandbox over
 * HTTP. Exactly once is measured with the sandbox's own counter of updates that reached its order logic.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsDriver, type SqsDriver } from "../../bin/local/sqs-driver.ts";
import type { RecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { type CommandsHandler, createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { submitOrderActions } from "../../functions/commands/submit.ts";
import { newCommandsMessage } from "../../functions/core/messages.ts";
import { createPincodeClient } from "../../functions/pincode/client.ts";
import { type CommandsEnv, seedOrder, seedStore, startCommandsEnv, storeView } from "./commands.harness.ts";
import {
  captureStdout,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  testObservability,
} from "./ingestion.harness.ts";

describe("commands function: one effect per command", () => {
  let env: CommandsEnv;
  let events: RecordingEventPublisher;
  let handler: CommandsHandler;
  let driver: SqsDriver;
  let output: OutputCapture;

  beforeAll(async () => {
    env = await startCommandsEnv();
    await seedStore(env, "S01");
    await seedStore(env, "S02");
  });
  afterAll(() => env?.stop());
  beforeEach(() => {
    output = captureStdout();
    events = recordingEvents();
    handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events,
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("commands-test"),
      }),
    );
    driver = createSqsDriver({ sqs: env.queues.client, queueUrl: env.queues.commandsQueueUrl, handler });
    env.sandbox.setFaults({});
  });
  afterEach(() => output.stop());

  /** Runs the consumer until every listed command is final (failed records come back after the visibility timeout). */
  async function runUntilFinal(commandIds: readonly string[], timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await driver.drainOnce({ waitTimeSeconds: 1 });
      const commands = await Promise.all(commandIds.map((id) => env.submit.commands.getCommand(id)));
      if (commands.every((c) => c && ["SUCCEEDED", "REJECTED", "FAILED"].includes(c.status))) return commands;
      if (Date.now() > deadline) throw new Error(`commands not final: ${commands.map((c) => c?.status).join(",")}`);
    }
  }

  it("an action submitted twice with the same commandId reaches Pincode once", async () => {
    const order = await seedOrder(env);
    const body = { commandId: "once-accept", actions: [{ type: "accept" }] };
    expect((await submitOrderActions(env.submit, { orderId: order.id, body })).status).toBe(202);
    expect((await submitOrderActions(env.submit, { orderId: order.id, body })).status).toBe(202);
    const [command] = await runUntilFinal(["once-accept"]);
    // A redelivery after the command finished (e.g. a message re-sent after the FIFO deduplication window).
    await env.queues.client.send(
      new SendMessageCommand({
        QueueUrl: env.queues.commandsQueueUrl,
        MessageBody: JSON.stringify(
          newCommandsMessage({ kind: "command.order", commandId: "once-accept", orderId: order.id }),
        ),
        MessageGroupId: `order:${order.id}`,
        MessageDeduplicationId: "once-accept-redelivery",
      }),
    );
    await driver.drainUntilIdle();

    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
    expect(command).toMatchObject({
      status: "SUCCEEDED",
      attempts: 1,
      outcome: { orderState: "ACCEPTED", decidedBy: "order-update" },
    });
    const view = await createOrderRepository(env.dynamo.client, env.dynamo.tableName).get(order.id);
    expect(view).toMatchObject({ source: "order-update", summary: { orderState: "ACCEPTED" } });
    expect(events.all.filter((e) => e.detailType === "CommandSucceeded")).toHaveLength(1);
    expect(events.events.map((e) => e.detail.after.orderState)).toEqual(["ACCEPTED"]);
  });

  it("with updateResponseLossRate 0.5 every command still reaches Pincode exactly once", async () => {
    env.sandbox.setFaults({ updateResponseLossRate: 0.5 });
    const orders = await Promise.all(Array.from({ length: 4 }, (_, i) => seedOrder(env, i % 2 ? "S02" : "S01")));
    const commandIds: string[] = [];
    for (const order of orders) {
      for (const actions of [[{ type: "accept" }], [{ type: "packing" }], [{ type: "packed" }, { type: "start" }]]) {
        const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions } });
        expect(result.status).toBe(202);
        commandIds.push(String(result.body.commandId));
      }
    }
    const commands = await runUntilFinal(commandIds, 40_000);

    expect(commands.map((c) => c?.status)).toEqual(commandIds.map(() => "SUCCEEDED"));
    const stats = env.sandbox.stats();
    for (const order of orders) expect(stats.updatesByOrder[order.id]).toBe(3);
    // The fault fired: some outcomes were only known through a Status Check after a lost response.
    expect(commands.filter((c) => c?.outcome?.decidedBy === "status-check").length).toBeGreaterThan(0);
    for (const order of orders) {
      expect(env.sandbox.getOrder(order.id)).toMatchObject({ orderState: "IN_PROGRESS" });
    }
  });

  it("keeps accept before pack under concurrent submission (FIFO group per order)", async () => {
    const orders = await Promise.all(Array.from({ length: 5 }, () => seedOrder(env)));
    driver.start();
    try {
      const submitted = await Promise.all(
        orders.map(async (order) => {
          const accept = await submitOrderActions(env.submit, {
            orderId: order.id,
            body: { actions: [{ type: "accept" }] },
          });
          const pack = await submitOrderActions(env.submit, {
            orderId: order.id,
            body: { actions: [{ type: "packing" }, { type: "packed" }] },
          });
          return [String(accept.body.commandId), String(pack.body.commandId)];
        }),
      );
      const commands = await (async () => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const all = await Promise.all(submitted.flat().map((id) => env.submit.commands.getCommand(id)));
          if (all.every((c) => c?.status === "SUCCEEDED" || c?.status === "REJECTED")) return all;
          if (Date.now() > deadline) throw new Error("commands not final");
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      expect(commands.map((c) => c?.status)).toEqual(submitted.flat().map(() => "SUCCEEDED"));
      for (const order of orders) {
        const truth = env.sandbox.getOrder(order.id) as { fulfillments: { type: string; fulfillmentState?: string }[] };
        expect(truth.fulfillments.find((f) => f.type === "STORE")?.fulfillmentState).toBe("PACKED");
      }
    } finally {
      await driver.stop();
    }
  });

  it("records Pincode's refusal as REJECTED with its errorCode, and says so in CommandRejected", async () => {
    const order = await seedOrder(env);
    // Our view believes the order ACCEPTED (say, a snapshot Pincode later contradicted); Pincode still has it new.
    await storeView(env, {
      ...order,
      orderState: "ACCEPTED",
      updatedAt: Number(order.updatedAt ?? 0) + 1_000,
    } as never);
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "start" }] } });
    expect(result.status).toBe(202);
    const [command] = await runUntilFinal([String(result.body.commandId)]);
    expect(command).toMatchObject({
      status: "REJECTED",
      outcome: { errorCode: "ACTION_NOT_ALLOWED", httpStatus: 400 },
    });
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
    const rejected = events.all.filter((e) => e.detailType === "CommandRejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.detail).toMatchObject({ commandId: result.body.commandId, errorCode: "ACTION_NOT_ALLOWED" });
  });

  it("after a Lambda timeout mid-call that reached Pincode, a Status Check proves the effect and nothing is resent", async () => {
    const order = await seedOrder(env);
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const commandId = String(result.body.commandId);
    // The dead invocation: it claimed the command and its Order Update reached Pincode; then the function timed out.
    const command = await env.submit.commands.get(commandId);
    await env.submit.commands.claim(commandId, 0, Date.now());
    const client = createPincodeClient(sandboxClientConfig(env.sandbox));
    await client.updateOrder(order.id, command?.pincodeActions ?? [], { requestId: command?.requestId ?? "" });

    const [final] = await runUntilFinal([commandId]);
    expect(final).toMatchObject({ status: "SUCCEEDED", attempts: 1, outcome: { decidedBy: "status-check" } });
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
  });

  it("an ambiguous attempt on an order Pincode then closed is not resent, nor reported REJECTED (issue 10 chaos)", async () => {
    const order = await seedOrder(env);
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const commandId = String(result.body.commandId);
    // The dead invocation: its Order Update was applied, the answer never came back; then the buyer cancelled.
    const command = await env.submit.commands.get(commandId);
    await env.submit.commands.claim(commandId, 0, Date.now());
    const client = createPincodeClient(sandboxClientConfig(env.sandbox));
    await client.updateOrder(order.id, command?.pincodeActions ?? [], { requestId: command?.requestId ?? "" });
    env.sandbox.cancelOrder(order.id, "BUYER_NOT_AVAILABLE");

    const [final] = await runUntilFinal([commandId]);
    // Before the fix: resent, refused ACTION_NOT_ALLOWED and reported REJECTED although the accept had taken effect.
    expect(final).toMatchObject({ status: "FAILED", outcome: { decidedBy: "status-check" } });
    expect(final?.outcome?.reason).toContain("CANCELLED");
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
    expect(events.all.filter((e) => e.detailType === "CommandRejected")).toHaveLength(0);
  });

  it("after a Lambda timeout mid-call that never reached Pincode, the update is sent once", async () => {
    const order = await seedOrder(env);
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const commandId = String(result.body.commandId);
    await env.submit.commands.claim(commandId, 0, Date.now());

    const [final] = await runUntilFinal([commandId]);
    expect(final).toMatchObject({ status: "SUCCEEDED", attempts: 2, outcome: { decidedBy: "order-update" } });
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
  });
});
