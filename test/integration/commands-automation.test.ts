/**
 * Per-store automation: the processor (real handler, dynalite, fauxqs) queues an accept for a new order of an
 * auto-accepting store, the commands function executes it with PACKING in the same update (packOnAccept), and a
 * store without automation is left alone.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsDriver } from "../../bin/local/sqs-driver.ts";
import { autoAcceptKey } from "../../functions/commands/automation.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { createProcessorHandler, type ProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type CommandsEnv, drainCommands, seedStore, startCommandsEnv } from "./commands.harness.ts";
import {
  captureStdout,
  context,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

describe("store automation", () => {
  let env: CommandsEnv;
  let processor: ProcessorHandler;
  let output: OutputCapture;

  beforeAll(async () => {
    env = await startCommandsEnv();
    await seedStore(env, "S01", { autoAccept: true, packOnAccept: true });
    await seedStore(env, "S02");
  });
  afterAll(() => env?.stop());
  beforeEach(() => {
    output = captureStdout();
    processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events: recordingEvents(),
        pincode: sandboxClientConfig(env.sandbox),
        commands: { sqs: env.queues.client, queueUrl: env.queues.commandsQueueUrl },
        ...testObservability("automation-test"),
      }),
    );
  });
  afterEach(() => output.stop());

  it("auto-accepts a new order and marks it PACKING in the same update, once however often it is seen", async () => {
    const view = env.sandbox.createOrder({ storeId: "S01" });
    const message = snapshotMessage(view);
    await processor(sqsEventOf([message]), context());
    await processor(sqsEventOf([message]), context()); // redelivery
    await processor(sqsEventOf([snapshotMessage(view)]), context()); // the same snapshot by another callback

    const commands = createSqsDriver({
      sqs: env.queues.client,
      queueUrl: env.queues.commandsQueueUrl,
      handler: createCommandsHandler(
        wireCommandsDeps({
          dynamo: env.dynamo.client,
          tableName: env.dynamo.tableName,
          events: recordingEvents(),
          pincode: sandboxClientConfig(env.sandbox),
          ...testObservability("automation-test"),
        }),
      ),
    });
    await commands.drainUntilIdle();

    const orderId = String(view.id);
    const command = await env.submit.commands.getCommand(autoAcceptKey(orderId));
    expect(command).toMatchObject({ status: "SUCCEEDED", origin: "automation" });
    expect(await env.submit.commands.listOrderCommands(orderId)).toHaveLength(1);
    expect(env.sandbox.stats().updatesByOrder[orderId]).toBe(1);
    const truth = env.sandbox.getOrder(orderId) as {
      orderState: string;
      fulfillments: { type: string; fulfillmentState?: string }[];
    };
    expect(truth.orderState).toBe("ACCEPTED");
    expect(truth.fulfillments.find((f) => f.type === "STORE")?.fulfillmentState).toBe("PACKING");
  });

  it("leaves orders of a store without automation to the seller", async () => {
    const view = env.sandbox.createOrder({ storeId: "S02" });
    await processor(sqsEventOf([snapshotMessage(view)]), context());
    expect(await drainCommands(env)).toEqual([]);
    expect(await env.submit.commands.getCommand(autoAcceptKey(String(view.id)))).toBeUndefined();
  });
});
