/**
 * Stored data outlives code (issue 11's commands pass): the command's event is now marked published by a small
 * `COMMAND#<id>` / `PUBLISHED` item (batched) instead of `REMOVE eventPending` on the command, and a first delivery
 * claims the command in one conditional UpdateItem without reading it first. Commands, pointers and queue messages
 * written by the previous release must still be executed and announced exactly once. Items and message bodies here are
 * written the old way, as literals (the previous release's `create` / `linkToOrder` / `complete` and
 * `newCommandsMessage` output), on dynalite, with the real handler and the sandbox over HTTP.
 */
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { PATHS } from "../../sandbox/sandbox.ts";
import { type CommandsEnv, seedOrder, seedStore, startCommandsEnv } from "./commands.harness.ts";
import { context, recordingEvents, sandboxClientConfig, sqsEventOf, testObservability } from "./ingestion.harness.ts";

const DAY = 86_400_000;

describe("commands: items and messages the previous release wrote", () => {
  let env: CommandsEnv;
  let events: RecordingEventPublisher;
  let handler: ReturnType<typeof createCommandsHandler>;

  beforeAll(async () => {
    env = await startCommandsEnv();
    await seedStore(env, "S01");
    events = recordingEvents();
    handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events,
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("stored-compat-test"),
      }),
    );
  });
  afterAll(() => env?.stop());

  const updateCalls = () =>
    Object.values(env.sandbox.stats().calls[PATHS.update] ?? {}).reduce((a: number, b: number) => a + b, 0);

  /** The commands-queue body as the previous release's submit wrote it (functions/core/messages.ts, v 1). */
  const oldMessage = (commandId: string, orderId: string) =>
    JSON.stringify({
      v: 1,
      messageId: `00000000-0000-4000-8000-${commandId.slice(-12).padStart(12, "0")}`,
      receivedAt: 1_780_000_000_000,
      kind: "command.order",
      commandId,
      orderId,
    });

  /** A command item as the previous release's create + complete left it (document-client marshalling). */
  async function putOldCommand(input: {
    commandId: string;
    orderId: string;
    status: "QUEUED" | "SUCCEEDED";
    eventPending?: boolean;
    createdAt: number;
  }) {
    const { commandId, orderId, status, createdAt } = input;
    const item: Record<string, unknown> = {
      pk: { S: `COMMAND#${commandId}` },
      sk: { S: "STATE" },
      kind: { S: "COMMAND" },
      commandId: { S: commandId },
      type: { S: "order-actions" },
      status: { S: status },
      requestHash: { S: "0".repeat(64) },
      request: { M: { orderId: { S: orderId }, actions: { L: [{ M: { type: { S: "accept" } } }] } } },
      orderId: { S: orderId },
      storeId: { S: "S01" },
      pincodeActions: { L: [{ M: { type: { S: "ORDER_STATE_UPDATE" }, orderState: { S: "ACCEPTED" } } }] },
      requestId: { S: `PB-old-${commandId}` },
      attempts: { N: status === "QUEUED" ? "0" : "1" },
      inFlight: { BOOL: false },
      origin: { S: "api" },
      createdAt: { N: String(createdAt) },
      updatedAt: { N: String(createdAt + 1_000) },
      expiresAt: { N: String(Math.floor((createdAt + 30 * DAY) / 1000)) },
    };
    if (status === "SUCCEEDED") {
      item.outcome = {
        M: { orderState: { S: "ACCEPTED" }, fulfillments: { L: [] }, decidedBy: { S: "order-update" } },
      };
      item.completedAt = { N: String(createdAt + 1_000) };
      // The previous release set the flag with the final status and REMOVEd it once the event was published.
      if (input.eventPending) item.eventPending = { BOOL: true };
    }
    await env.dynamo.client.send(new PutItemCommand({ TableName: env.dynamo.tableName, Item: item as never }));
    // The order's pointer, as linkToOrder wrote it.
    await env.dynamo.client.send(
      new PutItemCommand({
        TableName: env.dynamo.tableName,
        Item: {
          pk: { S: `ORDER#${orderId}` },
          sk: { S: `COMMAND#${String(createdAt).padStart(15, "0")}#${commandId}` },
          kind: { S: "ORDER_COMMAND" },
          commandId: { S: commandId },
          createdAt: { N: String(createdAt) },
          expiresAt: { N: String(Math.floor((createdAt + 30 * DAY) / 1000)) },
        },
      }),
    );
  }

  const commandEvents = (commandId: string) =>
    events.all.filter((e) => (e.detail as { commandId?: string }).commandId === commandId);

  async function deliver(commandId: string, orderId: string) {
    const result = await handler(sqsEventOf([oldMessage(commandId, orderId)]), context());
    expect(result.batchItemFailures).toEqual([]);
  }

  it("an old QUEUED command is claimed and sent once; its redelivery sends nothing and announces nothing", async () => {
    const order = await seedOrder(env);
    const commandId = "old-queued-1";
    await putOldCommand({ commandId, orderId: order.id, status: "QUEUED", createdAt: Date.now() - 60_000 });
    const before = updateCalls();

    await deliver(commandId, order.id);
    expect(updateCalls() - before).toBe(1);
    expect(commandEvents(commandId).map((e) => e.detailType)).toEqual(["CommandSucceeded"]);
    const stored = await env.dynamo.client.send(
      new GetItemCommand({
        TableName: env.dynamo.tableName,
        Key: { pk: { S: `COMMAND#${commandId}` }, sk: { S: "STATE" } },
        ConsistentRead: true,
      }),
    );
    expect(stored.Item?.status?.S).toBe("SUCCEEDED");
    expect(stored.Item?.attempts?.N).toBe("1");
    expect(stored.Item?.requestId?.S).toBe(`PB-old-${commandId}`);

    await deliver(commandId, order.id);
    expect(updateCalls() - before).toBe(1);
    expect(commandEvents(commandId)).toHaveLength(1);
  });

  it("an old SUCCEEDED command whose publish failed (eventPending, no marker) is announced once", async () => {
    const order = await seedOrder(env);
    const commandId = "old-pending-1";
    await putOldCommand({
      commandId,
      orderId: order.id,
      status: "SUCCEEDED",
      eventPending: true,
      createdAt: Date.now() - 60_000,
    });
    const before = updateCalls();

    await deliver(commandId, order.id);
    expect(commandEvents(commandId).map((e) => e.detailType)).toEqual(["CommandSucceeded"]);
    // Marked published by the new marker; the next redelivery owes nothing.
    await deliver(commandId, order.id);
    expect(commandEvents(commandId)).toHaveLength(1);
    expect(updateCalls()).toBe(before);
  });

  it("an old SUCCEEDED command whose event was published (flag removed) is not announced again", async () => {
    const order = await seedOrder(env);
    const commandId = "old-published-1";
    await putOldCommand({ commandId, orderId: order.id, status: "SUCCEEDED", createdAt: Date.now() - 60_000 });
    const before = updateCalls();

    await deliver(commandId, order.id);
    expect(commandEvents(commandId)).toEqual([]);
    expect(updateCalls()).toBe(before);
  });

  it("a marker of an earlier completion (the key reused after expiry) does not count as published", async () => {
    const order = await seedOrder(env);
    const commandId = "old-reused-1";
    const createdAt = Date.now() - 60_000;
    await putOldCommand({ commandId, orderId: order.id, status: "SUCCEEDED", eventPending: true, createdAt });
    await env.dynamo.client.send(
      new PutItemCommand({
        TableName: env.dynamo.tableName,
        Item: {
          pk: { S: `COMMAND#${commandId}` },
          sk: { S: "PUBLISHED" },
          kind: { S: "COMMAND_PUBLISHED" },
          commandId: { S: commandId },
          completedAt: { N: String(createdAt - 40 * DAY) },
        },
      }),
    );

    await deliver(commandId, order.id);
    expect(commandEvents(commandId).map((e) => e.detailType)).toEqual(["CommandSucceeded"]);
    await deliver(commandId, order.id);
    expect(commandEvents(commandId)).toHaveLength(1);
  });
});
