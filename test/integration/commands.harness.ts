/**
 * Shared set-up for the command-side tests: dynalite, fauxqs and the sandbox on real ports, the submit use cases
 * wired to them, and helpers to seed an order view (taken from the sandbox) and a store config item.
 */
import { randomUUID } from "node:crypto";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { type SubmitDeps, wireSubmitDeps } from "../../functions/commands/submit.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../sandbox/sandbox.ts";
import { drainBodies } from "./ingestion.harness.ts";

export interface CommandsEnv {
  dynamo: LocalDynamo;
  queues: LocalQueues;
  sandbox: Sandbox;
  submit: SubmitDeps;
  stop(): Promise<void>;
}

export async function startCommandsEnv(
  options: { sandbox?: SandboxOptions; visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {},
) {
  const [dynamo, queues, sandbox] = await Promise.all([
    startLocalDynamo(),
    startLocalQueues({
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1,
      maxReceiveCount: options.maxReceiveCount ?? 10,
    }),
    startSandbox({ seed: 9, submissionDelayMs: 5, ...options.sandbox }),
  ]);
  const submit = wireSubmitDeps({
    dynamo: dynamo.client,
    sqs: queues.client,
    tableName: dynamo.tableName,
    commandsQueueUrl: queues.commandsQueueUrl,
  });
  return {
    dynamo,
    queues,
    sandbox,
    submit,
    async stop() {
      await Promise.all([dynamo.stop(), queues.stop(), sandbox.stop()]);
    },
  } satisfies CommandsEnv;
}

/** A new order in the sandbox, stored in the bridge as a callback would have stored it. */
export async function seedOrder(env: Pick<CommandsEnv, "dynamo" | "sandbox">, storeId = "S01") {
  const view = env.sandbox.createOrder({ storeId });
  const order = OrderSchema.parse(view);
  await storeView(env, order);
  return order;
}

/** Stores a snapshot as the processor would (its OrderChanged event counted as published). */
export async function storeView(
  env: Pick<CommandsEnv, "dynamo">,
  order: import("../../functions/pincode/schemas.ts").Order,
) {
  const orders = createOrderRepository(env.dynamo.client, env.dynamo.tableName);
  const result = await orders.upsert({
    order,
    source: "callback",
    receivedAt: Date.now(),
    syncedAt: Date.now(),
    messageId: randomUUID(),
  });
  await orders.clearPendingEvents(order.id, result.view.version);
  return result;
}

/** The store config item as the seller API's store repository writes it (SHARED-FILES.md layout). */
export async function seedStore(
  env: Pick<CommandsEnv, "dynamo">,
  storeId: string,
  automation?: { autoAccept: boolean; packOnAccept: boolean },
  status: "ACTIVE" | "RETIRED" = "ACTIVE",
) {
  const now = Date.now();
  await env.dynamo.client.send(
    new PutItemCommand({
      TableName: env.dynamo.tableName,
      Item: {
        pk: { S: `STORE#${storeId}` },
        sk: { S: "CONFIG" },
        storeId: { S: storeId },
        status: { S: status },
        createdAt: { N: String(now) },
        updatedAt: { N: String(now) },
        ...(automation
          ? {
              automation: {
                M: { autoAccept: { BOOL: automation.autoAccept }, packOnAccept: { BOOL: automation.packOnAccept } },
              },
            }
          : {}),
      },
    }),
  );
}

export function drainCommands(env: Pick<CommandsEnv, "queues">) {
  return drainBodies<Record<string, unknown>>(env.queues.client, env.queues.commandsQueueUrl);
}
