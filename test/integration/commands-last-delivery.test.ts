/**
 * The commands queue's redrive policy dead-letters a message after maxReceiveCount (5) failed receives; the executor
 * counts attempts (4). A receive that makes no attempt (a Status Check that fails, an earlier command of the order
 * that fails inline) still spends one, so a message could reach the DLQ with its command undecided, and a later
 * command of the order then finished it inline: every command final, one message in the DLQ (the chaos run at 1,000
 * orders, docs/chaos.md). The last delivery must decide the command instead. Real protocols: dynalite, fauxqs with
 * its redrive policy, the sandbox over HTTP, the real handler driven as Lambda's event source drives it.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsDriver, type SqsDriver } from "../../bin/local/sqs-driver.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { executeOrderCommand } from "../../functions/commands/execute.ts";
import { submitOrderActions } from "../../functions/commands/submit.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { type CommandsEnv, drainCommands, seedOrder, seedStore, startCommandsEnv } from "./commands.harness.ts";
import {
  captureStdout,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  testObservability,
} from "./ingestion.harness.ts";

const MAX_RECEIVE_COUNT = 5;

describe("commands: a message's last delivery decides its command", () => {
  let env: CommandsEnv;
  let driver: SqsDriver;
  let output: OutputCapture;
  /** commandId → the ApproximateReceiveCount of each delivery of its message. */
  let receives: Map<string, number[]>;

  beforeAll(async () => {
    env = await startCommandsEnv({ maxReceiveCount: MAX_RECEIVE_COUNT });
    await seedStore(env, "S01");
  });
  afterAll(() => env?.stop());
  beforeEach(async () => {
    output = captureStdout();
    receives = new Map();
    const handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events: recordingEvents(),
        pincode: sandboxClientConfig(env.sandbox),
        maxReceiveCount: MAX_RECEIVE_COUNT,
        ...testObservability("last-delivery-test"),
      }),
    );
    driver = createSqsDriver({
      sqs: env.queues.client,
      queueUrl: env.queues.commandsQueueUrl,
      handler: (event: SQSEvent, context) => {
        for (const record of event.Records) {
          const { commandId } = JSON.parse(record.body) as { commandId: string };
          receives.set(commandId, [
            ...(receives.get(commandId) ?? []),
            Number(record.attributes.ApproximateReceiveCount),
          ]);
        }
        return handler(event, context);
      },
    });
    env.sandbox.setFaults({});
    dlqBaseline = await dlqTotal();
  });
  afterEach(() => output.stop());

  /** Messages dead-lettered since this test began (a failing earlier test may have left some). */
  let dlqBaseline = 0;
  async function dlqDepth() {
    return (await dlqTotal()) - dlqBaseline;
  }
  async function dlqTotal() {
    const { Attributes } = await env.queues.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: env.queues.commandsDlqUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  }

  /** Drains until `done()` or the deadline; failed records come back after the 1 s visibility timeout. */
  async function drainUntil(done: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`not done: receives ${JSON.stringify([...receives])}`);
      await driver.drainOnce({ waitTimeSeconds: 1 });
    }
  }

  async function submit(orderId: string, commandId: string, type: string) {
    const result = await submitOrderActions(env.submit, { orderId, body: { commandId, actions: [{ type }] } });
    expect(result.status).toBe(202);
  }

  it("Status Checks failing through a message's last delivery: the command is decided there, nothing dead-lettered", async () => {
    const order = await seedOrder(env);
    // accept: applied at Pincode, its answer lost -> SENT, inFlight (a Status Check comes first on the redelivery).
    env.sandbox.setFaults({ updateResponseLossRate: 1 });
    await submit(order.id, "ld-accept", "accept");
    await drainUntil(() => (receives.get("ld-accept")?.length ?? 0) >= 1);
    expect(await env.submit.commands.getCommand("ld-accept")).toMatchObject({ status: "SENT", attempts: 1 });
    expect(env.sandbox.getOrder(order.id)?.orderState).toBe("ACCEPTED");

    // The seller sees the accept at Pincode and packs; meanwhile every Pincode call answers 500. The accept's
    // redeliveries fail at their Status Check (no attempt made), and the packing message behind it in the order's
    // message group is failed with it (FIFO partial batch failure).
    env.sandbox.setFaults({ apiErrorRate: 1 });
    await submit(order.id, "ld-packing", "packing");
    await drainUntil(() => (receives.get("ld-accept")?.length ?? 0) >= MAX_RECEIVE_COUNT);
    env.sandbox.setFaults({});
    await drainUntil(async () => {
      const commands = await Promise.all(["ld-accept", "ld-packing"].map((id) => env.submit.commands.getCommand(id)));
      return commands.every((c) => c && ["SUCCEEDED", "REJECTED", "FAILED"].includes(c.status));
    });
    await driver.drainUntilIdle();

    expect(receives.get("ld-accept")).toEqual([1, 2, 3, 4, 5]);
    expect(await dlqDepth()).toBe(0);
    const accept = await env.submit.commands.getCommand("ld-accept");
    // The fifth delivery could not tell whether the lost attempt took effect: FAILED ("not more than once"), saying why.
    expect(accept).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(accept?.outcome?.reason).toMatch(/Status Check .* unanswered on the message's last delivery \(.*500/);
    expect(await env.submit.commands.getCommand("ld-packing")).toMatchObject({ status: "SUCCEEDED" });
    const truth = OrderSchema.parse(env.sandbox.getOrder(order.id));
    expect(truth.fulfillments?.find((f) => f.type === "STORE")?.fulfillmentState).toBe("PACKING");
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(2);
  });

  it("an earlier command failing inline through a later command's last delivery: the later one is decided, nothing sent", async () => {
    const order = await seedOrder(env);
    // Two submits racing to SendMessage: the accept's message is not on the queue (yet), the packing's is.
    await submit(order.id, "ld2-accept", "accept");
    expect(await drainCommands(env)).toHaveLength(1);
    env.sandbox.setFaults({ apiErrorRate: 1 });
    await submit(order.id, "ld2-packing", "packing");
    // Each delivery of the packing message runs the accept first (creation order is execution order); it fails.
    await drainUntil(
      async () => (await env.submit.commands.getCommand("ld2-packing"))?.status !== "QUEUED" || (await dlqDepth()) > 0,
    );
    await driver.drainUntilIdle();
    expect(await dlqDepth()).toBe(0);

    expect(receives.get("ld2-packing")).toEqual([1, 2, 3, 4, 5]);
    const packing = await env.submit.commands.getCommand("ld2-packing");
    expect(packing).toMatchObject({ status: "FAILED", attempts: 0 });
    expect(packing?.outcome?.reason).toMatch(/earlier command of the order \(ld2-accept\) did not finish/);
    // The accept was attempted by the inline runs only, never dead-lettered with the packing's message.
    expect((await env.submit.commands.getCommand("ld2-accept"))?.status).not.toBe("QUEUED");
    expect(env.sandbox.stats().updatesByOrder[order.id] ?? 0).toBe(0);
  });

  it("a claim lost to the executor that finished the command: the message is done, not retried", async () => {
    const order = await seedOrder(env);
    await submit(order.id, "ld3-accept", "accept");
    await drainCommands(env);
    const wiring = {
      dynamo: env.dynamo.client,
      tableName: env.dynamo.tableName,
      events: recordingEvents(),
      pincode: sandboxClientConfig(env.sandbox),
      ...testObservability("last-delivery-test"),
    };
    const other = wireCommandsDeps(wiring);
    const deps = wireCommandsDeps(wiring);
    // Between this executor's read and its claim, another one (a later command's inline run, say) runs it through.
    const claim = deps.commands.claim;
    deps.commands = {
      ...deps.commands,
      async claim(commandId, seenAttempts, now) {
        expect(await executeOrderCommand(other, commandId)).toBe("SUCCEEDED");
        return claim(commandId, seenAttempts, now);
      },
    };

    expect(await executeOrderCommand(deps, "ld3-accept")).toBe("duplicate");
    expect(await env.submit.commands.getCommand("ld3-accept")).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    expect(env.sandbox.stats().updatesByOrder[order.id]).toBe(1);
  });
});
