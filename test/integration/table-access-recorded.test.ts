/**
 * Emulators do not enforce IAM, so this test does. The real poller runs (scheduled fan-out from the store table, the
 * pending-submission report, a poll task against the sandbox with the shared rate budget, freshness reads of stored
 * orders) on its own DynamoDB client, every request it sends is recorded at the wire, and each must be allowed by ONE
 * statement of the grant the stack gives it (the same for a seller order action through the seller API's submit path
 * and the commands function) (functions/adapters/table-access.ts): action, every leading key of the
 * request (IAM ForAllValues:StringLike), the byStore index, and the attribute limit of its order reads.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { createSqsDriver, scheduledEvent } from "../../bin/local/sqs-driver.ts";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { createPendingSubmissionIndex } from "../../functions/adapters/pending-submission-index.ts";
import { createQueuedCommandIndex } from "../../functions/adapters/queued-command-index.ts";
import { rateBudgetOption } from "../../functions/adapters/rate-budget-store.ts";
import { createStoreConfigReader } from "../../functions/adapters/store-config-reader.ts";
import { FUNCTION_TABLE_USE, type FunctionTableUse, tableGrantsOf } from "../../functions/adapters/table-access.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { submitOrderActions, wireSubmitDeps } from "../../functions/commands/submit.ts";
import { newPollTask } from "../../functions/core/messages.ts";
import { OrderSchema } from "../../functions/pincode/schemas.ts";
import { createPollerHandler } from "../../functions/poller/create-handler.ts";
import { wirePollerDeps } from "../../functions/poller/deps.ts";
import { type Sandbox, startSandbox } from "../../sandbox/sandbox.ts";
import {
  captureStdout,
  context,
  type OutputCapture,
  recordingEvents,
  sandboxClientConfig,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

type Wire = Record<string, unknown>;
interface Call {
  action: string;
  leadingKeys: string[];
  index?: string;
  /** Attribute names a projected read asks for, or a PutItem writes (undefined: the whole item). */
  attributes?: string[];
  returnValues?: string;
}

const S = (v: unknown) => (v as { S?: string } | undefined)?.S ?? "";

/** What IAM sees of one DynamoDB request: the action, the partition key values, the index, the projection. */
function describeRequest(commandName: string, input: Wire): Call {
  const action = commandName.replace(/Command$/, "");
  const projected = (request: Wire) => {
    const expression = request.ProjectionExpression as string | undefined;
    if (!expression) return undefined;
    const names = (request.ExpressionAttributeNames ?? {}) as Record<string, string>;
    return expression.split(",").map((p) => names[p.trim()] ?? p.trim());
  };
  if (action === "BatchGetItem" || action === "BatchWriteItem") {
    const requests = Object.values(input.RequestItems as Record<string, unknown>);
    if (action === "BatchGetItem") {
      const request = requests[0] as Wire;
      const attributes = projected(request);
      return {
        action,
        leadingKeys: (request.Keys as Wire[]).map((k) => S(k.pk)),
        ...(attributes ? { attributes } : {}),
      };
    }
    return {
      action,
      leadingKeys: (requests[0] as Wire[]).map((r) => {
        const w = r as { PutRequest?: { Item: Wire }; DeleteRequest?: { Key: Wire } };
        return S(w.PutRequest?.Item.pk ?? w.DeleteRequest?.Key.pk);
      }),
    };
  }
  if (action === "Query") {
    const values = input.ExpressionAttributeValues as Record<string, unknown>;
    const index = input.IndexName as string | undefined;
    return { action, leadingKeys: [S(values[":pk"] ?? Object.values(values)[0])], ...(index ? { index } : {}) };
  }
  const key = (input.Key ?? input.Item) as Wire;
  // IAM's dynamodb:Attributes of a PutItem are the names of the item's attributes.
  const attributes = action === "PutItem" ? Object.keys(input.Item as Wire) : projected(input);
  const returnValues = input.ReturnValues as string | undefined;
  return {
    action,
    leadingKeys: [S(key.pk)],
    ...(attributes ? { attributes } : {}),
    ...(returnValues ? { returnValues } : {}),
  };
}

/** A DynamoDB client that records every request it sends (after the document client's marshalling). */
function recordingClient(endpoint: string): { client: DynamoDBClient; calls: Call[] } {
  const client = createDynamoClient({ endpoint });
  const calls: Call[] = [];
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      calls.push(describeRequest(String(ctx.commandName), args.input as Wire));
      return next(args);
    },
    { step: "build", name: "recordTableAccess" },
  );
  return { client, calls };
}

const glob = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);

/** IAM's verdict for one request under a function's table grants. */
function allowed(call: Call, use: FunctionTableUse): boolean {
  if (call.index) return use.byStoreIndex === true && call.action === "Query";
  return tableGrantsOf(use).some(
    (grant) =>
      grant.actions.includes(call.action as never) &&
      call.leadingKeys.every((pk) => grant.partitions.some((p) => glob(p, pk))) &&
      (!grant.attributes ||
        ((call.attributes?.every((a) => grant.attributes?.includes(a)) ?? false) &&
          (call.returnValues ?? "NONE") === "NONE")),
  );
}

describe("table access at the wire: every request the poller sends is allowed by its IAM grant", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;
  let sandbox: Sandbox;
  let output: OutputCapture;

  beforeAll(async () => {
    [dynamo, queues, sandbox] = await Promise.all([startLocalDynamo(), startLocalQueues(), startSandbox({ seed: 11 })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), queues?.stop(), sandbox?.stop()]);
  });
  beforeEach(() => {
    output = captureStdout();
  });
  afterEach(() => output.stop());

  it("fans out, reports pending submissions, polls with the shared budget and reads only freshness fields", async () => {
    // Prepare: a store with one order already stored (synced later than the window) and one not; a pending-index
    // entry whose submission does not exist (the scheduled run clears it).
    const store = "IAM1";
    const synced = sandbox.createOrder({ storeId: store });
    sandbox.createOrder({ storeId: store });
    await createOrderRepository(dynamo.client, dynamo.tableName).upsert({
      order: OrderSchema.parse(synced),
      source: "callback",
      receivedAt: Date.now() + 60_000,
      syncedAt: Date.now() + 60_000,
      messageId: "m-synced",
    });
    await createPendingSubmissionIndex(dynamo.client, dynamo.tableName).markPending("SUB-GONE", Date.now() - 1000);
    // A stranded order command (its send failed: no such queue) and an index entry whose command was never created:
    // the scheduled run's sweep re-links and re-sends the first and deletes the second's entry.
    const failingSubmit = wireSubmitDeps({
      dynamo: dynamo.client,
      sqs: queues.client,
      tableName: dynamo.tableName,
      commandsQueueUrl: queues.commandsQueueUrl.replace(/[^/]+$/, "missing.fifo"),
    });
    const body = { commandId: "iam-stranded", actions: [{ type: "accept" }] };
    await expect(submitOrderActions(failingSubmit, { orderId: String(synced.id), body })).rejects.toThrow();
    await createQueuedCommandIndex(dynamo.client, dynamo.tableName).markQueued("iam-never-created", Date.now() - 1000);
    const { client, calls } = recordingClient(dynamo.endpoint);
    const handler = createPollerHandler(
      wirePollerDeps({
        dynamo: client,
        tableName: dynamo.tableName,
        sqs: queues.client,
        pollQueueUrl: queues.pollQueueUrl,
        eventsQueueUrl: queues.eventsQueueUrl,
        storeIds: [store],
        storesFromTable: true,
        commands: { queueUrl: queues.commandsQueueUrl, graceMs: 0 },
        pincode: {
          ...sandboxClientConfig(sandbox),
          ...rateBudgetOption({ PINCODE_RATE_LIMIT_PER_S: "100" }, { dynamo: client, tableName: dynamo.tableName }),
        },
        settings: { lookbackMs: 60_000, settleMs: 0, initialLookbackMs: 60_000, timeBudgetMs: 20_000 },
        ...testObservability("poller-iam-test"),
      }),
    );

    // Act
    await handler(scheduledEvent(), context());
    const response = await handler(sqsEventOf([newPollTask(store, Date.now())]), context());
    client.destroy();

    // Assess: the run did its work, through every kind of access the poller holds...
    expect(response.batchItemFailures).toEqual([]);
    expect(output.metricTotals().get("PollIdsSkippedFresh")).toBe(1);
    const seen = new Set(calls.map((c) => `${c.action} ${c.leadingKeys[0]?.split("#")[0]}`));
    for (const expected of [
      "BatchGetItem ORDER",
      "Query STORES",
      "UpdateItem RATEBUDGET",
      "UpdateItem STORE",
      "Query SUBMISSIONS",
      "DeleteItem SUBMISSIONS",
      "Query COMMANDS",
      "BatchGetItem COMMAND",
      "PutItem ORDER",
      "BatchWriteItem COMMANDS",
    ]) {
      expect([...seen], expected).toContain(expected);
    }
    // ...and IAM would have allowed every single request.
    const refused = calls.filter((call) => !allowed(call, FUNCTION_TABLE_USE.poller));
    expect(refused).toEqual([]);
    // The grant is not vacuous: a whole-order read or an order write by the poller would be refused.
    expect(allowed({ action: "BatchGetItem", leadingKeys: ["ORDER#1"] }, FUNCTION_TABLE_USE.poller)).toBe(false);
    expect(allowed({ action: "PutItem", leadingKeys: ["ORDER#1"] }, FUNCTION_TABLE_USE.poller)).toBe(false);
    // Its one order write is a command pointer: a put with a view's attributes, or returning the old item, is refused.
    const view = { action: "PutItem", leadingKeys: ["ORDER#1"], attributes: ["pk", "sk", "order", "storeId"] };
    expect(allowed(view, FUNCTION_TABLE_USE.poller)).toBe(false);
    const pointer = ["pk", "sk", "kind", "commandId", "createdAt", "expiresAt"];
    const returning = { action: "PutItem", leadingKeys: ["ORDER#1"], attributes: pointer, returnValues: "ALL_OLD" };
    expect(allowed(returning, FUNCTION_TABLE_USE.poller)).toBe(false);
  });

  it("holds for a seller order action: submitted by the seller API, executed by the commands function", async () => {
    // Prepare: a stored order and its store config, as the processor and the seller API's store routes write them.
    const view = sandbox.createOrder({ storeId: "IAM2" });
    const order = OrderSchema.parse(view);
    const orders = createOrderRepository(dynamo.client, dynamo.tableName);
    const stored = await orders.upsert({
      order,
      source: "callback",
      receivedAt: Date.now(),
      syncedAt: Date.now(),
      messageId: "m-iam2",
    });
    await orders.clearPendingEvents(order.id, stored.view.version);
    await createStoreConfigReader(dynamo.client, dynamo.tableName).setAutomation(
      "IAM2",
      { autoAccept: false, packOnAccept: false },
      Date.now(),
    );
    const sellerApi = recordingClient(dynamo.endpoint);
    const commands = recordingClient(dynamo.endpoint);
    const submit = wireSubmitDeps({
      dynamo: sellerApi.client,
      sqs: queues.client,
      tableName: dynamo.tableName,
      commandsQueueUrl: queues.commandsQueueUrl,
    });
    const handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: commands.client,
        tableName: dynamo.tableName,
        events: recordingEvents(),
        pincode: {
          ...sandboxClientConfig(sandbox),
          ...rateBudgetOption(
            { PINCODE_RATE_LIMIT_PER_S: "100" },
            { dynamo: commands.client, tableName: dynamo.tableName },
          ),
        },
        ...testObservability("commands-iam-test"),
      }),
    );
    const driver = createSqsDriver({ sqs: queues.client, queueUrl: queues.commandsQueueUrl, handler });

    // Act
    const body = { commandId: "iam-accept", actions: [{ type: "accept" }] };
    expect((await submitOrderActions(submit, { orderId: order.id, body })).status).toBe(202);
    for (let i = 0; i < 10 && (await submit.commands.getCommand("iam-accept"))?.status !== "SUCCEEDED"; i++) {
      await driver.drainOnce({ waitTimeSeconds: 1 });
    }
    sellerApi.client.destroy();
    commands.client.destroy();

    // Assess: the action took effect, the order item kinds were touched as in production...
    expect((await submit.commands.getCommand("iam-accept"))?.status).toBe("SUCCEEDED");
    const kinds = (calls: Call[]) =>
      new Set(calls.flatMap((c) => c.leadingKeys.map((k) => `${c.action} ${k.split("#")[0]}`)));
    expect([...kinds(sellerApi.calls)]).toEqual(expect.arrayContaining(["BatchGetItem PUBLISHED", "PutItem COMMAND"]));
    expect([...kinds(commands.calls)]).toEqual(
      expect.arrayContaining(["BatchGetItem PUBLISHED", "BatchWriteItem ORDER", "UpdateItem RATEBUDGET"]),
    );
    // ...and each function's IAM grant allows every request it sent.
    expect(sellerApi.calls.filter((call) => !allowed(call, FUNCTION_TABLE_USE["seller-api"]))).toEqual([]);
    expect(commands.calls.filter((call) => !allowed(call, FUNCTION_TABLE_USE.commands))).toEqual([]);
  });
});
