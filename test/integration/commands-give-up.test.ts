/**
 * Giving up: a command whose every attempt ends without an answer (and whose Status Checks show nothing applied) is
 * FAILED after the configured attempts, with the reason; nothing more is sent. DynamoDB is dynalite; Pincode is a
 * stand-in client that never answers an update (an error path a sandbox fault cannot isolate: its faults hit Status
 * Check too).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { executeOrderCommand, type PincodeCommandClient, RetryLaterError } from "../../functions/commands/execute.ts";
import { submitOrderActions } from "../../functions/commands/submit.ts";
import { PincodeTransportError } from "../../functions/pincode/errors.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { type CommandsEnv, drainCommands, seedOrder, startCommandsEnv } from "./commands.harness.ts";
import { captureStdout, type OutputCapture, testObservability } from "./ingestion.harness.ts";

describe("commands: giving up", () => {
  let env: CommandsEnv;
  let output: OutputCapture;
  beforeAll(async () => {
    env = await startCommandsEnv();
    output = captureStdout();
  });
  afterAll(async () => {
    output?.stop();
    await env?.stop();
  });

  it("marks the command FAILED after maxAttempts ambiguous attempts, each preceded by a Status Check", async () => {
    const order = await seedOrder(env);
    let updates = 0;
    let statusChecks = 0;
    const pincode = {
      async updateOrder() {
        updates += 1;
        throw new PincodeTransportError({
          endpoint: "/tsp/order/v1/update",
          reason: "timeout",
          requestId: "r",
          attempts: 1,
        });
      },
      async getOrderStatus() {
        statusChecks += 1;
        return OrderSchema.parse(env.sandbox.getOrder(order.id));
      },
    } as unknown as PincodeCommandClient;
    const events = createRecordingEventPublisher();
    const deps = wireCommandsDeps({
      dynamo: env.dynamo.client,
      tableName: env.dynamo.tableName,
      events,
      pincode,
      maxAttempts: 2,
      ...testObservability("give-up-test"),
    });
    const result = await submitOrderActions(env.submit, { orderId: order.id, body: { actions: [{ type: "accept" }] } });
    const commandId = String(result.body.commandId);
    await drainCommands(env);

    await expect(executeOrderCommand(deps, commandId)).rejects.toBeInstanceOf(RetryLaterError);
    await expect(executeOrderCommand(deps, commandId)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await executeOrderCommand(deps, commandId)).toBe("FAILED");
    expect(await executeOrderCommand(deps, commandId)).toBe("duplicate");

    expect({ updates, statusChecks }).toEqual({ updates: 2, statusChecks: 2 });
    const command = await env.submit.commands.getCommand(commandId);
    expect(command).toMatchObject({ status: "FAILED", attempts: 2 });
    expect(command?.outcome?.reason).toMatch(/^gave up after 2 attempt\(s\): timeout/);
    // Consumers are told, once (the redelivery above announced nothing more).
    const failed = events.all.filter((e) => e.detailType === "CommandFailed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.detail).toMatchObject({
      commandId,
      orderId: order.id,
      attempts: 2,
      actions: ["ORDER_STATE_UPDATE"],
      decidedBy: null,
    });
    expect((failed[0]?.detail as { reason?: string } | undefined)?.reason).toMatch(
      /^gave up after 2 attempt\(s\): timeout/,
    );
  });
});
