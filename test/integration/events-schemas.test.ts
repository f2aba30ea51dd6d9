/**
 * Every domain event a real flow emits validates against its committed JSON Schema (docs/events/*.json), checked
 * with ajv, a validator independent of the zod schemas the files are generated from. The flow: a Pincode order is
 * ingested by the processor, accepted through the commands function, a command is refused by Pincode, a store
 * toggle and listings go out and their result callbacks (delivered by the sandbox over HTTP) are processed.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqsDriver } from "../../bin/local/sqs-driver.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { EVENT_DETAIL_SCHEMAS, eventJsonSchema } from "../../functions/adapters/event-schemas.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { submitListings, submitOrderActions, submitStoreToggle } from "../../functions/commands/submit.ts";
import { newEventsMessage, type SubmissionResultMessage } from "../../functions/core/messages.ts";
import { createProcessorHandler } from "../../functions/processor/create-handler.ts";
import { wireProcessorDeps } from "../../functions/processor/deps.ts";
import { type CommandsEnv, seedStore, startCommandsEnv, storeView } from "./commands.harness.ts";
import {
  captureStdout,
  context,
  type OutputCapture,
  sandboxClientConfig,
  snapshotMessage,
  sqsEventOf,
  testObservability,
} from "./ingestion.harness.ts";

const DOCS = join(import.meta.dirname, "..", "..", "docs", "events");
const detailTypes = Object.keys(EVENT_DETAIL_SCHEMAS) as (keyof typeof EVENT_DETAIL_SCHEMAS)[];
const committed = (detailType: string) => JSON.parse(readFileSync(join(DOCS, `${detailType}.json`), "utf8"));

describe("domain events and their JSON Schemas", () => {
  let env: CommandsEnv;
  let receiver: Server;
  const callbacks: Record<string, unknown>[] = [];
  let output: OutputCapture;

  beforeAll(async () => {
    env = await startCommandsEnv();
    receiver = createServer((req, res) => {
      let text = "";
      req.on("data", (c) => {
        text += c;
      });
      req.on("end", () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        callbacks.push(body);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "ACK", requestContext: body.requestContext }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const port = (receiver.address() as { port: number }).port;
    env.sandbox.registerCallback({
      url: `http://127.0.0.1:${port}/callbacks`,
      staticToken: "static-token-for-tests-only",
      subscriptions: ["STORE_UPDATE", "LISTING_UPDATE"],
    });
    await seedStore(env, "S01");
    output = captureStdout();
  });
  afterAll(async () => {
    output?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    await env?.stop();
  });

  it("commits the schemas generated from the zod definitions", () => {
    for (const detailType of detailTypes)
      expect(committed(detailType), detailType).toEqual(eventJsonSchema(detailType));
  });

  it("every event emitted by a real flow validates against its schema", async () => {
    const events = createRecordingEventPublisher();
    const processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events,
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("events-test"),
      }),
    );
    const commands = createSqsDriver({
      sqs: env.queues.client,
      queueUrl: env.queues.commandsQueueUrl,
      handler: createCommandsHandler(
        wireCommandsDeps({
          dynamo: env.dynamo.client,
          tableName: env.dynamo.tableName,
          events,
          pincode: sandboxClientConfig(env.sandbox),
          ...testObservability("events-test"),
        }),
      ),
    });

    // An order arrives (OrderChanged), is accepted through the bridge (CommandSucceeded, OrderChanged).
    const view = env.sandbox.createOrder({ storeId: "S01" });
    await processor(sqsEventOf([snapshotMessage(view)]), context());
    const orderId = String(view.id);
    await submitOrderActions(env.submit, { orderId, body: { actions: [{ type: "accept" }] } });
    await commands.drainUntilIdle();
    // A second order our view wrongly believes accepted: Pincode refuses "start" (CommandRejected).
    const other = env.sandbox.createOrder({ storeId: "S01" });
    await processor(sqsEventOf([snapshotMessage(other)]), context());
    await storeView(env, { ...other, orderState: "ACCEPTED", updatedAt: Number(other.updatedAt) + 1_000 } as never);
    await submitOrderActions(env.submit, { orderId: String(other.id), body: { actions: [{ type: "start" }] } });
    await commands.drainUntilIdle();
    // A third order whose accept has used up its attempts (as after four throttled deliveries): the bridge gives up
    // without sending (CommandFailed).
    const third = env.sandbox.createOrder({ storeId: "S01" });
    await processor(sqsEventOf([snapshotMessage(third)]), context());
    const spent = await submitOrderActions(env.submit, {
      orderId: String(third.id),
      body: { actions: [{ type: "accept" }] },
    });
    await env.dynamo.client.send(
      new UpdateItemCommand({
        TableName: env.dynamo.tableName,
        Key: {
          pk: { S: `COMMAND#${(spent.body as { commandId: string }).commandId}` },
          sk: { S: "STATE" },
        },
        UpdateExpression: "SET attempts = :spent, lastError = :why",
        ExpressionAttributeValues: { ":spent": { N: "4" }, ":why": { S: "HTTP 429" } },
      }),
    );
    await commands.drainUntilIdle();
    // A store toggle and listings: their result callbacks come back through the processor (SubmissionCompleted).
    await submitStoreToggle(env.submit, {
      storeId: "S01",
      body: { status: "DISABLED", validTill: Date.now() + 60_000 },
    });
    const listings = await submitListings(env.submit, {
      body: {
        listings: [
          { type: "INVENTORY", storeId: "S01", sku: "SKU-1", count: 5 },
          { type: "PRICE", storeId: "S01", sku: "SKU-2", mrp: 12, sellingPrice: 10 },
        ],
      },
    });
    expect(listings.status).toBe(202);
    await commands.drainUntilIdle();
    const deadline = Date.now() + 10_000;
    while (callbacks.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(callbacks).toHaveLength(2);
    await processor(
      sqsEventOf(
        callbacks.map((body) =>
          newEventsMessage<SubmissionResultMessage>({
            kind: "submission.result",
            submissionId: String(body.submissionId),
            requestId: String((body.requestContext as { requestId: string }).requestId),
            body,
          }),
        ),
      ),
      context(),
    );

    // The toggle reached Pincode: the sandbox's store S01 now refuses new orders.
    expect(() => env.sandbox.createOrder({ storeId: "S01" })).toThrow(/DISABLED/);
    const seen = new Set(events.all.map((e) => e.detailType));
    expect([...seen].sort()).toEqual([...detailTypes].sort());
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validators = new Map(detailTypes.map((t) => [t, ajv.compile(committed(t))]));
    for (const event of events.all) {
      const validate = validators.get(event.detailType);
      const valid = validate?.(JSON.parse(JSON.stringify(event.detail)));
      expect(valid, `${event.detailType}: ${JSON.stringify(validate?.errors)}`).toBe(true);
    }
    // No buyer data in any event: the sandbox's billing and delivery address never appear.
    const billing = (view as { billing?: { name?: string; phone?: string } }).billing;
    const text = JSON.stringify(events.all);
    if (billing?.name) expect(text).not.toContain(billing.name);
    if (billing?.phone) expect(text).not.toContain(billing.phone);
    const completed = events.all.filter((e) => e.detailType === "SubmissionCompleted").map((e) => e.detail);
    expect(completed).toHaveLength(2);
    expect(completed.find((d) => "type" in d && d.type === "listings")).toMatchObject({
      counts: { messages: 2 },
      messages: [
        { row: 0, serviceProviderItemId: "SKU-1" },
        { row: 1, serviceProviderItemId: "SKU-2" },
      ],
    });
  });

  it("an order view stored before items were summarised still yields a valid OrderChanged", async () => {
    const events = createRecordingEventPublisher();
    const processor = createProcessorHandler(
      wireProcessorDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events,
        pincode: sandboxClientConfig(env.sandbox),
        ...testObservability("events-test"),
      }),
    );
    // S02: the flow above disabled S01 through a real store toggle.
    const view = env.sandbox.createOrder({ storeId: "S02" });
    await processor(sqsEventOf([snapshotMessage(view)]), context());
    // Rewrite the stored summary the way the previous release wrote it: no `items`.
    const key = { pk: { S: `ORDER#${String(view.id)}` }, sk: { S: "VIEW" } };
    const stored = await env.dynamo.client.send(new GetItemCommand({ TableName: env.dynamo.tableName, Key: key }));
    const { items: _dropped, ...oldSummary } = JSON.parse(stored.Item?.summary?.S ?? "{}");
    await env.dynamo.client.send(
      new UpdateItemCommand({
        TableName: env.dynamo.tableName,
        Key: key,
        UpdateExpression: "SET summary = :s",
        ExpressionAttributeValues: { ":s": { S: JSON.stringify(oldSummary) } },
      }),
    );
    const accepted = { ...view, orderState: "ACCEPTED", updatedAt: Number(view.updatedAt) + 1_000 };
    await processor(sqsEventOf([snapshotMessage(accepted)]), context());

    const changed = events.all.filter((e) => e.detailType === "OrderChanged").at(-1);
    expect(changed?.detail).toMatchObject({ before: { orderState: "CREATED" }, after: { orderState: "ACCEPTED" } });
    const before = (changed?.detail as unknown as { before?: Record<string, unknown> } | undefined)?.before;
    expect(before).toBeDefined();
    expect(before?.items).toBeUndefined();
    const validate = new Ajv2020({ strict: true }).compile(committed("OrderChanged"));
    expect(validate(JSON.parse(JSON.stringify(changed?.detail))), JSON.stringify(validate.errors)).toBe(true);
  });
});
