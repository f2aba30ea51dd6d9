/**
 * Stranded commands (a submit that recorded its command QUEUED but could not send its queue message, and a client
 * that never retried): the poller's scheduled run re-sends them after the grace period, as the client's replay would
 * (functions/poller/stranded-commands.ts). Real dynalite, fauxqs and the sandbox over HTTP; the failed send is a real
 * SQS error (a queue URL that does not exist on fauxqs). The poller's clock is moved past the grace period instead of
 * waiting for it.
 */
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSqsDriver, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { createQueuedCommandIndex } from "../../functions/adapters/queued-command-index.ts";
import { keys } from "../../functions/adapters/table.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import {
  createSqsCommandQueue,
  type SubmitDeps,
  submitOrderActions,
  submitStoreToggle,
} from "../../functions/commands/submit.ts";
import { requestFingerprint } from "../../functions/core/idempotency.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { STRANDED_COMMAND_GRACE_MS } from "../../functions/poller/stranded-commands.ts";
import { type CommandsEnv, drainCommands, seedOrder, seedStore, startCommandsEnv } from "./commands.harness.ts";
import {
  captureStdout,
  context,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  testObservability,
} from "./ingestion.harness.ts";

describe("stranded commands: the poller's sweep completes a submit whose queue send failed", () => {
  let env: CommandsEnv;
  let output: OutputCapture;
  /** The submit path with a commands queue that does not exist: every send fails (QueueDoesNotExist). */
  let failingSubmit: SubmitDeps;

  beforeAll(async () => {
    env = await startCommandsEnv();
    await seedStore(env, "S01");
    await seedStore(env, "S02"); // toggled DISABLED below; orders are made in S01
    failingSubmit = {
      ...env.submit,
      queue: createSqsCommandQueue(env.queues.client, env.queues.commandsQueueUrl.replace(/[^/]+$/, "missing.fifo")),
    };
  });
  afterAll(() => env?.stop());
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.stop());

  /** One scheduled poller run (no stores to poll: the fan-out is empty) with its clock at `at`. */
  async function pollerRun(at: number) {
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: env.dynamo.client,
        sqs: env.queues.client,
        tableName: env.dynamo.tableName,
        eventsQueueUrl: env.queues.eventsQueueUrl,
        pollQueueUrl: env.queues.pollQueueUrl,
        storeIds: [],
        commands: { queueUrl: env.queues.commandsQueueUrl },
        pincode: sandboxClientConfig(env.sandbox),
        now: () => at,
        ...testObservability("stranded-commands-test"),
      }),
    );
    output.clear();
    await handler(scheduledEvent({ time: new Date(at) }), context());
    return output.metricTotals();
  }

  /** Runs the commands function on whatever is on the commands queue until the command is final. */
  async function execute(commandId: string) {
    const handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events: recordingEvents(),
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("stranded-commands-test"),
      }),
    );
    const driver = createSqsDriver({ sqs: env.queues.client, queueUrl: env.queues.commandsQueueUrl, handler });
    for (let i = 0; i < 10; i++) {
      const status = (await env.submit.commands.getCommand(commandId))?.status;
      if (status !== "QUEUED" && status !== "SENT") break;
      await driver.drainOnce({ waitTimeSeconds: 1 });
    }
    return env.submit.commands.getCommand(commandId);
  }

  const queuedEntries = async () =>
    (
      await env.dynamo.client.send(
        new QueryCommand({
          TableName: env.dynamo.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: keys.queuedCommand(0, "").pk } },
          ConsistentRead: true,
        }),
      )
    ).Items?.map((i) => i.commandId?.S) ?? [];

  it("re-sends an order command after the grace period; the executor then runs it to SUCCEEDED", async () => {
    // Prepare: the submit records the command, then its send fails (the seller API would answer 503).
    const order = await seedOrder(env);
    const commandId = "stranded-order-1";
    const submittedAt = Date.now();
    await expect(
      submitOrderActions(failingSubmit, {
        orderId: order.id,
        idempotencyKey: commandId,
        body: { actions: [{ type: "accept" }] },
        now: submittedAt,
      }),
    ).rejects.toThrow();
    expect((await env.submit.commands.getCommand(commandId))?.status).toBe("QUEUED");
    expect(await queuedEntries()).toContain(commandId);
    expect(await drainCommands(env)).toEqual([]);

    // Act 1: within the grace period the sweep leaves it to the client's own retry.
    const early = await pollerRun(submittedAt + STRANDED_COMMAND_GRACE_MS - 1_000);
    expect(early.get("StrandedCommandsResumed")).toBe(0);
    expect(await drainCommands(env)).toEqual([]);

    // Act 2: past it, the sweep re-sends the message, and the commands function runs it against the sandbox.
    const later = submittedAt + STRANDED_COMMAND_GRACE_MS + 1_000;
    const metrics = await pollerRun(later);
    expect(metrics.get("StrandedCommandsResumed")).toBe(1);
    expect(metrics.get("OldestQueuedCommandAgeMs")).toBe(later - submittedAt);
    const command = await execute(commandId);

    // Assess: executed once, against Pincode (the sandbox), and the order lists it (its pointer was written).
    expect(command).toMatchObject({ status: "SUCCEEDED", attempts: 1, outcome: { orderState: "ACCEPTED" } });
    expect(env.sandbox.getOrder(order.id)?.orderState).toBe("ACCEPTED");
    expect((await env.submit.commands.listOrderCommands(order.id)).map((c) => c.commandId)).toEqual([commandId]);

    // The next run finds it past QUEUED: its entry is deleted and nothing is sent again.
    const after = await pollerRun(later + 60_000);
    expect(after.get("StrandedCommandsResumed")).toBe(0);
    expect(after.get("OldestQueuedCommandAgeMs")).toBe(0);
    expect(await queuedEntries()).not.toContain(commandId);
    expect(await drainCommands(env)).toEqual([]);
  });

  it("re-sends a store toggle's submission (its validTill not checked against the sweep's later clock)", async () => {
    const commandId = "stranded-toggle-1";
    const submittedAt = Date.now();
    // validTill passes before the sweep runs: the toggle was valid when submitted, and the sweep must not refuse it.
    const validTill = submittedAt + 60_000;
    await expect(
      submitStoreToggle(failingSubmit, {
        storeId: "S02",
        idempotencyKey: commandId,
        body: { status: "DISABLED", validTill },
        now: submittedAt,
      }),
    ).rejects.toThrow();
    expect((await env.submit.commands.getCommand(commandId))?.status).toBe("QUEUED");

    const metrics = await pollerRun(submittedAt + STRANDED_COMMAND_GRACE_MS + 1_000);
    expect(metrics.get("StrandedCommandsResumed")).toBe(1);
    const command = await execute(commandId);

    expect(command?.status).toBe("SUCCEEDED");
    const submissionId = command?.submissionIds?.[0] as string;
    const submission = await env.submit.submissions.get(submissionId);
    expect(submission).toMatchObject({ stage: "SUBMITTED", attempts: 1 });
    expect(submission?.messages[0]).toMatchObject({ data: { orderAcceptance: { status: "DISABLED", validTill } } });
    await pollerRun(submittedAt + STRANDED_COMMAND_GRACE_MS + 61_000);
    expect(await queuedEntries()).not.toContain(commandId);
  });

  it("deletes the entry of a command that already left QUEUED and re-sends nothing", async () => {
    // A healthy submit: its message is sent and the command runs; its entry stays until a sweep looks at it.
    const order = await seedOrder(env);
    const commandId = "healthy-order-1";
    const submittedAt = Date.now();
    const result = await submitOrderActions(env.submit, {
      orderId: order.id,
      idempotencyKey: commandId,
      body: { actions: [{ type: "accept" }] },
      now: submittedAt,
    });
    expect(result.status).toBe(202);
    expect((await execute(commandId))?.status).toBe("SUCCEEDED");
    expect(await queuedEntries()).toContain(commandId);
    const updates = env.sandbox.stats().calls;

    const metrics = await pollerRun(submittedAt + STRANDED_COMMAND_GRACE_MS + 1_000);
    expect(metrics.get("StrandedCommandsResumed")).toBe(0);
    expect(await queuedEntries()).not.toContain(commandId);
    expect(await drainCommands(env)).toEqual([]);
    expect(env.sandbox.stats().calls).toEqual(updates);
  });

  it("deletes an entry whose command was never created (the create failed after the entry was written)", async () => {
    const createdAt = Date.now() - STRANDED_COMMAND_GRACE_MS - 5_000;
    await createQueuedCommandIndex(env.dynamo.client, env.dynamo.tableName).markQueued("never-created-1", createdAt);
    expect(await queuedEntries()).toContain("never-created-1");

    const metrics = await pollerRun(Date.now());
    expect(metrics.get("StrandedCommandsResumed")).toBe(0);
    expect(await queuedEntries()).not.toContain("never-created-1");
    expect(await drainCommands(env)).toEqual([]);
    expect(await env.submit.commands.getCommand("never-created-1")).toBeUndefined();
  });

  it("still executes a QUEUED command the previous release wrote without an entry (the sweep does not see it)", async () => {
    // The command item exactly as the previous release's create wrote it: no queued-command index entry exists.
    const order = await seedOrder(env);
    const commandId = "old-release-queued-1";
    const createdAt = Date.now() - 10 * 60_000;
    await env.dynamo.client.send(
      new PutItemCommand({
        TableName: env.dynamo.tableName,
        Item: {
          pk: { S: `COMMAND#${commandId}` },
          sk: { S: "STATE" },
          kind: { S: "COMMAND" },
          commandId: { S: commandId },
          type: { S: "order-actions" },
          status: { S: "QUEUED" },
          requestHash: { S: requestFingerprint(`order-actions:${order.id}`, [{ type: "accept" }]) },
          request: { M: { orderId: { S: order.id }, actions: { L: [{ M: { type: { S: "accept" } } }] } } },
          orderId: { S: order.id },
          storeId: { S: "S01" },
          pincodeActions: { L: [{ M: { type: { S: "ORDER_STATE_UPDATE" }, orderState: { S: "ACCEPTED" } } }] },
          requestId: { S: `PB-old-${commandId}` },
          attempts: { N: "0" },
          inFlight: { BOOL: false },
          origin: { S: "api" },
          createdAt: { N: String(createdAt) },
          updatedAt: { N: String(createdAt) },
          expiresAt: { N: String(Math.floor((createdAt + 30 * 86_400_000) / 1000)) },
        },
      }),
    );

    // The sweep has no entry for it: nothing is re-sent.
    const metrics = await pollerRun(Date.now());
    expect(metrics.get("StrandedCommandsResumed")).toBe(0);
    expect(await drainCommands(env)).toEqual([]);

    // The client's replay still completes it as before: the pointer and the message are sent, the executor runs it.
    const replay = await submitOrderActions(env.submit, {
      orderId: order.id,
      idempotencyKey: commandId,
      body: { actions: [{ type: "accept" }] },
    });
    expect(replay).toEqual({ status: 202, body: { commandId, status: "QUEUED" } });
    expect(await execute(commandId)).toMatchObject({ status: "SUCCEEDED", requestId: `PB-old-${commandId}` });
  });
});
