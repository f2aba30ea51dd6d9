/**
 * The seller API's operations routes on the emulators: real handlers, API Gateway events, fauxqs queues with their
 * DLQs (the FIFO commands pair included) and dynalite holding quarantined callbacks written by the callback's own
 * quarantine repository (the item layout an earlier release wrote).
 */
import { readFileSync } from "node:fs";
import { type AttributeValue, DeleteItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { keyOf } from "../../functions/adapters/attributes.ts";
import { createPendingSubmissionIndex } from "../../functions/adapters/pending-submission-index.ts";
import { createQuarantineRepository } from "../../functions/adapters/quarantine-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import type { OpsQueues } from "../../functions/core/operations.ts";
import { createSellerApiHandler, type SellerApiHandler } from "../../functions/seller-api/create-handler.ts";
import { wireSellerApiDeps } from "../../functions/seller-api/deps.ts";
import { buildApiGatewayEvent } from "../support/api-gateway-event.ts";
import { drainBodies, testObservability } from "./ingestion.harness.ts";

const OPS_ROUTE_PATHS = {
  summary: "GET /v1/ops/summary",
  dlqs: "GET /v1/ops/dlqs",
  dlqMessages: "GET /v1/ops/dlqs/{queue}/messages",
  dlqRedrive: "POST /v1/ops/dlqs/{queue}/redrive",
  quarantine: "GET /v1/quarantine",
  quarantineReplay: "POST /v1/quarantine/{id}/replay",
} as const;

const ORDER_VIEW = readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8");
const NOW = Date.UTC(2026, 11, 2, 10, 0, 0);
/** Buyer data in the documented sample: must never appear in a list or a look inside without body=true. */
const SAMPLE_PII = ["8686868686", "Loren Lpsum"];

let dynamo: LocalDynamo;
let sqs: LocalQueues;
let queues: OpsQueues;
let api: SellerApiHandler;

type Parts = { path?: Record<string, string>; query?: Record<string, string>; body?: unknown };

/** An API Gateway event for a route of the table, as API Gateway builds it (resource, decoded path parameters). */
function event(route: string, parts: Parts) {
  const [method, resource] = route.split(" ") as [string, string];
  let path = resource;
  for (const [name, value] of Object.entries(parts.path ?? {})) {
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const built = buildApiGatewayEvent({
    method,
    path,
    resource,
    ...(parts.query ? { query: parts.query } : {}),
    ...(parts.body !== undefined
      ? { body: JSON.stringify(parts.body), headers: { "Content-Type": "application/json" } }
      : {}),
  });
  return { ...built, pathParameters: parts.path ?? null };
}

async function call(
  route: string,
  parts: { path?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  const result = await api(event(route, parts));
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read the JSON answer freely
  return { status: result.statusCode, text: result.body, json: JSON.parse(result.body) as Record<string, any> };
}

const send = (url: string, body: object, fifo?: { group: string; dedup: string }) =>
  sqs.client.send(
    new SendMessageCommand({
      QueueUrl: url,
      MessageBody: JSON.stringify(body),
      ...(fifo ? { MessageGroupId: fifo.group, MessageDeduplicationId: fifo.dedup } : {}),
    }),
  );

const snapshotBody = (orderId: string) => ({
  v: 1,
  kind: "order.snapshot",
  messageId: `m-${orderId}`,
  receivedAt: NOW,
  source: "callback",
  orderId,
  order: { id: orderId, billing: { name: "Loren Lpsum", phone: "8686868686" } },
});

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  sqs = await startLocalQueues({ visibilityTimeoutSeconds: 30 });
  queues = {
    events: { queueUrl: sqs.eventsQueueUrl, dlqUrl: sqs.eventsDlqUrl },
    poll: { queueUrl: sqs.pollQueueUrl, dlqUrl: sqs.pollDlqUrl },
    commands: { queueUrl: sqs.commandsQueueUrl, dlqUrl: sqs.commandsDlqUrl },
  };
  api = createSellerApiHandler(
    wireSellerApiDeps({
      dynamo: dynamo.client,
      sqs: sqs.client,
      tableName: dynamo.tableName,
      commandsQueueUrl: sqs.commandsQueueUrl,
      seedStoreIds: ["S01", "S02"],
      opsQueues: queues,
      now: () => NOW,
      ...testObservability("pincode-bridge-seller-api"),
    }),
  );
});
afterAll(async () => {
  await sqs?.stop();
  await dynamo?.stop();
});
beforeEach(async () => {
  for (const url of Object.values(queues).flatMap((q) => [q.queueUrl, q.dlqUrl])) await drainBodies(sqs.client, url);
});

describe("configuration", () => {
  it("answers 503 naming the missing variables when the queue URLs are not configured", async () => {
    const bare = createSellerApiHandler(
      wireSellerApiDeps({
        dynamo: dynamo.client,
        sqs: sqs.client,
        tableName: dynamo.tableName,
        commandsQueueUrl: sqs.commandsQueueUrl,
        ...testObservability("pincode-bridge-seller-api"),
      }),
    );

    const result = await bare(event(OPS_ROUTE_PATHS.summary, {}));

    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body)).toMatchObject({ error: "OPERATIONS_UNAVAILABLE" });
    expect(JSON.parse(result.body).message).toMatch(/EVENTS_DLQ_URL/);
  });
});

describe("DLQs", () => {
  it("lists each DLQ with its count and the queue it redrives to", async () => {
    await send(queues.events.dlqUrl, snapshotBody("O-1"));
    await send(queues.events.dlqUrl, snapshotBody("O-2"));
    await send(queues.commands.dlqUrl, { kind: "command.order", commandId: "c-1" }, { group: "O-1", dedup: "c-1" });

    const { status, json } = await call(OPS_ROUTE_PATHS.dlqs);

    expect(status).toBe(200);
    expect(json.dlqs).toEqual([
      expect.objectContaining({ queue: "events", messages: 2, dlqName: "pincode-bridge-events-dlq" }),
      expect.objectContaining({ queue: "poll", messages: 0 }),
      expect.objectContaining({ queue: "commands", messages: 1, redrivesTo: "pincode-bridge-commands.fifo" }),
    ]);
  });

  it("looks inside without consuming and without bodies unless asked", async () => {
    for (let i = 0; i < 12; i++) await send(queues.events.dlqUrl, snapshotBody(`O-${i}`));

    const first = await call(OPS_ROUTE_PATHS.dlqMessages, { path: { queue: "events" }, query: { limit: "12" } });
    const again = await call(OPS_ROUTE_PATHS.dlqMessages, { path: { queue: "events" } });

    expect(first.status).toBe(200);
    expect(first.json.shown).toBe(12);
    expect(new Set(first.json.items.map((m: { orderId: string }) => m.orderId)).size).toBe(12);
    expect(first.json.items[0]).toMatchObject({ kind: "order.snapshot", receiveCount: 1 });
    for (const pii of SAMPLE_PII) expect(first.text).not.toContain(pii);
    // Still all there and visible: the look consumed nothing.
    expect(again.json.messages).toBe(12);
    expect(again.json.shown).toBe(10);
    const withBody = await call(OPS_ROUTE_PATHS.dlqMessages, {
      path: { queue: "events" },
      query: { limit: "1", body: "true" },
    });
    expect(JSON.parse(withBody.json.items[0].body)).toMatchObject({ kind: "order.snapshot" });
  });

  it("names the problem for an unknown queue or a bad limit", async () => {
    const unknown = await call(OPS_ROUTE_PATHS.dlqMessages, { path: { queue: "orders" } });
    const badLimit = await call(OPS_ROUTE_PATHS.dlqMessages, { path: { queue: "events" }, query: { limit: "500" } });

    expect(unknown).toMatchObject({ status: 404, json: { error: "QUEUE_NOT_FOUND" } });
    expect(unknown.json.message).toContain("events, poll, commands");
    expect(badLimit).toMatchObject({ status: 400, json: { error: "INVALID_REQUEST" } });
    expect(badLimit.json.message).toMatch(/^limit: expected an integer from 1 to 50/);
  });

  it("redrives only after a dry run: the default moves nothing", async () => {
    await send(queues.events.dlqUrl, snapshotBody("O-1"));
    await send(queues.events.dlqUrl, snapshotBody("O-2"));

    const dry = await call(OPS_ROUTE_PATHS.dlqRedrive, { path: { queue: "events" } });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, messages: 2, wouldMove: 2 });
    expect(dry.json.sample).toHaveLength(2);

    const real = await call(OPS_ROUTE_PATHS.dlqRedrive, { path: { queue: "events" }, body: { dryRun: false } });
    expect(real.json).toMatchObject({ dryRun: false, moved: 2, failed: 0, remaining: 0, truncated: false });
    const moved = await drainBodies<{ orderId: string }>(sqs.client, queues.events.queueUrl);
    expect(moved.map((m) => m.orderId).sort()).toEqual(["O-1", "O-2"]);
    expect(await drainBodies(sqs.client, queues.events.dlqUrl)).toEqual([]);
  });

  it("redrives the FIFO commands DLQ keeping each message's group, and stops at max", async () => {
    // Deduplication ids unique to this test: FIFO queues drop a repeat inside 5 minutes.
    for (const id of ["c-1", "c-2", "c-3"]) {
      await send(
        queues.commands.dlqUrl,
        { kind: "command.order", commandId: id },
        { group: "O-7", dedup: `max-${id}` },
      );
    }

    const first = await call(OPS_ROUTE_PATHS.dlqRedrive, {
      path: { queue: "commands" },
      body: { dryRun: false, max: 2 },
    });
    const rest = await call(OPS_ROUTE_PATHS.dlqRedrive, { path: { queue: "commands" }, body: { dryRun: false } });

    expect(first.json).toMatchObject({ moved: 2, remaining: 1, truncated: true });
    expect(rest.json).toMatchObject({ moved: 1, remaining: 0, truncated: false });
    const peek = await call(OPS_ROUTE_PATHS.dlqMessages, { path: { queue: "commands" } });
    expect(peek.json.messages).toBe(0);
    const moved = await drainBodies<{ commandId: string }>(sqs.client, queues.commands.queueUrl);
    // One message group: FIFO order within the group survives the round trip.
    expect(moved.map((m) => m.commandId)).toEqual(["c-1", "c-2", "c-3"]);
  });

  it("refuses a redrive body it does not understand", async () => {
    const wrongType = await call(OPS_ROUTE_PATHS.dlqRedrive, { path: { queue: "poll" }, body: { dryRun: "no" } });
    const unknownField = await call(OPS_ROUTE_PATHS.dlqRedrive, { path: { queue: "poll" }, body: { force: true } });

    expect(wrongType).toMatchObject({ status: 400, json: { message: "dryRun: expected true or false" } });
    expect(unknownField.json.message).toBe("force: unknown field; expected dryRun, max");
  });
});

describe("quarantine", () => {
  const day = new Date(NOW).toISOString().slice(0, 10);

  async function quarantine(body: string, at: number, reason = "ORDER_VIEW response.id: expected string") {
    const repo = createQuarantineRepository({ client: dynamo.client, tableName: dynamo.tableName, now: () => at });
    return repo.put({
      code: "invalid",
      reason,
      body: new TextEncoder().encode(body),
      headers: { "content-type": "application/json", authorization: "Bearer secret-token-value" },
      callbackRequestId: "req-1",
    });
  }

  it("lists newest first with reasons and never bodies or headers, a page at a time", async () => {
    const older = await quarantine(ORDER_VIEW, NOW - 60_000);
    const newer = await quarantine(ORDER_VIEW, NOW - 1_000, "body is not valid JSON: syntax error at position 3");
    const yesterday = await quarantine(ORDER_VIEW, NOW - 86_400_000);

    const page1 = await call(OPS_ROUTE_PATHS.quarantine, { query: { limit: "2" } });
    const page2 = await call(OPS_ROUTE_PATHS.quarantine, { query: { limit: "2", cursor: page1.json.nextCursor } });

    expect(page1.status).toBe(200);
    const ids = [...page1.json.items, ...page2.json.items].map((i: { id: string }) => i.id);
    expect(ids.slice(0, 3)).toEqual([
      `${day}.${keys.quarantine(NOW - 1_000, newer.id).sk.replace("#", ".")}`,
      `${day}.${keys.quarantine(NOW - 60_000, older.id).sk.replace("#", ".")}`,
      expect.stringContaining(yesterday.id),
    ]);
    expect(page1.json.items[0]).toMatchObject({
      code: "invalid",
      reason: "body is not valid JSON: syntax error at position 3",
      receivedAt: NOW - 1_000,
      callbackRequestId: "req-1",
    });
    for (const text of [page1.text, page2.text]) {
      for (const pii of SAMPLE_PII) expect(text).not.toContain(pii);
      expect(text).not.toContain("secret-token-value");
      expect(text).not.toContain("content-type");
    }
    const oneDay = await call(OPS_ROUTE_PATHS.quarantine, { query: { day } });
    expect(oneDay.json.items.every((i: { day: string }) => i.day === day)).toBe(true);
  });

  it("names a bad day or cursor", async () => {
    const badDay = await call(OPS_ROUTE_PATHS.quarantine, { query: { day: "02/12/2026" } });
    const badCursor = await call(OPS_ROUTE_PATHS.quarantine, { query: { cursor: "not-a-cursor" } });

    expect(badDay).toMatchObject({ status: 400, json: { message: "day: expected a UTC date YYYY-MM-DD" } });
    expect(badCursor.json.message).toMatch(/^cursor: expected the nextCursor/);
  });

  it("replays a body that now passes the envelope check onto the events queue, exactly once", async () => {
    // Quarantined by an earlier, stricter release: the same bytes are a valid ORDER_VIEW today.
    const record = await quarantine(ORDER_VIEW, NOW - 5_000);
    const id = `${day}.${record.sk.replace("#", ".")}`;

    const first = await call(OPS_ROUTE_PATHS.quarantineReplay, { path: { id } });
    const second = await call(OPS_ROUTE_PATHS.quarantineReplay, { path: { id } });

    expect(first).toMatchObject({ status: 202, json: { status: "REPLAYED", kind: "order_view" } });
    expect(second).toMatchObject({ status: 200, json: { status: "ALREADY_REPLAYED", messageId: `replay-${id}` } });
    const queued = await drainBodies<Record<string, unknown>>(sqs.client, queues.events.queueUrl);
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ kind: "order.snapshot", source: "callback", messageId: `replay-${id}` });
    const listed = await call(OPS_ROUTE_PATHS.quarantine, { query: { day } });
    expect(listed.json.items.find((i: { id: string }) => i.id === id)).toMatchObject({ replayedAt: NOW });
  });

  it("keeps a body that still fails in quarantine and says why", async () => {
    const record = await quarantine('{"type":"ORDER_VIEW","requestContext":{"requestId":"r"}}', NOW - 2_000);
    const id = `${day}.${record.sk.replace("#", ".")}`;

    const result = await call(OPS_ROUTE_PATHS.quarantineReplay, { path: { id } });

    expect(result).toMatchObject({ status: 422, json: { error: "STILL_INVALID" } });
    expect(result.json.message).toMatch(/still fails the envelope check: ORDER_VIEW response/);
    expect(await drainBodies(sqs.client, queues.events.queueUrl)).toEqual([]);
  });

  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    const unknown = await call(OPS_ROUTE_PATHS.quarantineReplay, {
      path: { id: `${day}.001764669600000.00000000-0000-0000-0000-000000000000` },
    });
    const malformed = await call(OPS_ROUTE_PATHS.quarantineReplay, { path: { id: "abc" } });

    expect(unknown).toMatchObject({ status: 404, json: { error: "QUARANTINE_NOT_FOUND" } });
    expect(malformed).toMatchObject({ status: 400, json: { error: "INVALID_REQUEST" } });
  });
});

describe("summary", () => {
  it("counts submissions still waiting for Pincode's result from the pending index, oldest first", async () => {
    const index = createPendingSubmissionIndex(dynamo.client, dynamo.tableName);
    const submission = (id: string, extra: Record<string, AttributeValue>) =>
      dynamo.client.send(
        new PutItemCommand({
          TableName: dynamo.tableName,
          Item: { ...keyOf(keys.submission(id)), status: { S: "PENDING" }, ...extra },
        }),
      );
    await submission("sub-waiting", {});
    await submission("sub-answered", { processingStatus: { S: "COMPLETED" } });
    await submission("sub-refused", { status: { S: "REJECTED" } });
    const entries = [
      ["sub-answered", NOW - 600_000],
      ["sub-waiting", NOW - 300_000],
      ["sub-refused", NOW - 200_000],
    ] as const;
    for (const [id, since] of entries) await index.markPending(id, since);

    const { json } = await call(OPS_ROUTE_PATHS.summary);

    expect(json.pendingSubmissions).toEqual({ count: 1, oldestAgeMs: 300_000, capped: false });
    for (const [id, since] of entries) {
      await dynamo.client.send(
        new DeleteItemCommand({ TableName: dynamo.tableName, Key: keyOf(keys.pendingSubmission(since, id)) }),
      );
    }
  });

  it("shows queue and DLQ depths, quarantine counts, poll lag per store", async () => {
    await send(queues.poll.dlqUrl, { kind: "poll.store", storeId: "S01" });
    await send(queues.events.queueUrl, snapshotBody("O-9"));
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: {
          pk: { S: keys.pollCheckpoint("S01").pk },
          sk: { S: "POLL" },
          windowEnd: { N: String(NOW - 90_000) },
        },
      }),
    );

    const { status, json } = await call(OPS_ROUTE_PATHS.summary);

    expect(status).toBe(200);
    const byName = Object.fromEntries(json.queues.map((q: { name: string }) => [q.name, q]));
    expect(byName.events.queue.visible).toBe(1);
    expect(byName.poll.dlq.visible).toBe(1);
    expect(json.dlqMessages).toBe(1);
    expect(json.quarantine.days).toBe(7);
    expect(json.quarantine.total).toBe(Object.values(json.quarantine.byDay).reduce((a: number, b) => a + Number(b), 0));
    expect(json.stores).toEqual([
      { storeId: "S01", windowEnd: NOW - 90_000, lagMs: 90_000 },
      { storeId: "S02", windowEnd: null, lagMs: null },
    ]);
    expect(json.pendingSubmissions).toEqual({ count: 0, oldestAgeMs: null, capped: false });
  });
});
