/**
 * Fuzzed edge: the seller API (`/v1/*`). The real handler behind real API Gateway REST proxy events (resource and
 * pathParameters resolved from the route table as API Gateway resolves them, unknown paths on the `/v1/{proxy+}`
 * catch-all), on dynalite, fauxqs (the commands FIFO, the work queues and their DLQs) and an order from the sandbox.
 * Whatever arrives (any route with any method, odd or huge path ids and query values, bodies malformed, nested, of
 * wrong types, under wrong content types or a lying base64 flag, odd Idempotency-Key and other headers):
 *   - the handler answers and never 5xx while DynamoDB and SQS are up;
 *   - the answer is documented (docs/seller-api.md "Errors"): `{error, message}` with a documented code, never quoting
 *     a canary value;
 *   - a refused request queues nothing and writes nothing (queue depths and the table's item count unchanged).
 * Seller-API authentication is API Gateway's AWS_IAM (the function is never invoked unsigned); local mode's key
 * check is covered by test/integration/local-front-door.test.ts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEvent } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoClient, createSqsClient } from "../../functions/adapters/aws-clients.ts";
import { ROUTES, resolveGatewayRoute } from "../../functions/core/routes.ts";
import { CANCEL_REASONS } from "../../functions/pincode/schemas.ts";
import { createSellerApiHandler, type SellerApiHandler } from "../../functions/seller-api/create-handler.ts";
import { wireSellerApiDeps } from "../../functions/seller-api/deps.ts";
import { type CommandsEnv, seedOrder, startCommandsEnv } from "../integration/commands.harness.ts";
import { testObservability } from "../integration/ingestion.harness.ts";
import { buildApiGatewayEvent } from "../support/api-gateway-event.ts";
import {
  type BodyEncoding,
  bodyEncoding,
  canary,
  contentType,
  deeplyNested,
  fuzzRuns,
  leaks,
  malformed,
  oddHeaders,
  oddJson,
  oddString,
} from "./fuzz-support.ts";

/** docs/seller-api.md "Errors" (and the operations routes' own 404s, docs/cli.md). */
const DOCUMENTED: Record<number, readonly string[]> = {
  400: ["INVALID_REQUEST"],
  404: [
    "NOT_FOUND",
    "ORDER_NOT_FOUND",
    "STORE_NOT_FOUND",
    "COMMAND_NOT_FOUND",
    "SUBMISSION_NOT_FOUND",
    "QUEUE_NOT_FOUND",
    "QUARANTINE_NOT_FOUND",
  ],
  405: ["METHOD_NOT_ALLOWED"],
  409: ["TRANSITION_NOT_ALLOWED"],
  413: ["PAYLOAD_TOO_LARGE"],
  415: ["UNSUPPORTED_MEDIA_TYPE"],
  422: ["IDEMPOTENCY_KEY_REUSED", "STILL_INVALID"],
};
const SELLER_ROUTES = ROUTES.filter((r) => r.function === "sellerApi");
const ACTIONS = ["accept", "start", "complete", "cancel", "packing", "packed", "outForDelivery", "delivered"];

let env: CommandsEnv;
let api: SellerApiHandler;
let orderId: string;
const writes: string[] = [];
const WRITES = /^(Put|Update|Delete|BatchWrite|TransactWrite)Item|^SendMessage|^DeleteMessage|^ChangeMessageVisibility/;

beforeAll(async () => {
  env = await startCommandsEnv();
  const queues = env.queues;
  const observability = testObservability("seller-api-fuzz");
  observability.logger.setLogLevel("SILENT");
  api = createSellerApiHandler(
    wireSellerApiDeps({
      dynamo: env.dynamo.client,
      sqs: queues.client,
      tableName: env.dynamo.tableName,
      commandsQueueUrl: queues.commandsQueueUrl,
      seedStoreIds: ["S01", "S02"],
      opsQueues: opsQueuesOf(env),
      ...observability,
    }),
  );
  orderId = (await seedOrder(env, "S01")).id;
  // Every write the handler makes, to DynamoDB or SQS: a refusal must make none.
  const record = (client: { middlewareStack: { add: (...args: never[]) => void } }) =>
    (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const result = await next(args);
        // Only writes that took effect: a refused conditional write (e.g. retiring an unknown store) changed nothing.
        if (WRITES.test(String(context.commandName))) writes.push(String(context.commandName));
        return result;
      },
      { step: "initialize", name: "recordWrites" },
    );
  record(env.dynamo.client as never);
  record(env.queues.client as never);
  // The first request seeds the store directory: do it before counting writes.
  expect((await api(event({ method: "GET", path: "/v1/stores" }))).statusCode).toBe(200);
});
afterAll(() => env?.stop());

function event(parts: {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string | string[]>;
  body?: string | Uint8Array | null;
  encoding?: BodyEncoding;
}): APIGatewayProxyEvent {
  const resolved = resolveGatewayRoute(parts.method, parts.path);
  const built = buildApiGatewayEvent({
    method: parts.method,
    path: parts.path,
    ...(resolved ? { resource: resolved.route.path } : {}),
    ...(parts.query ? { query: parts.query } : {}),
    ...(parts.headers ? { headers: parts.headers } : {}),
    ...(parts.body !== undefined ? { body: parts.body } : {}),
    ...(parts.encoding === "base64" ? { base64: true } : {}),
  });
  if (resolved && Object.keys(resolved.params).length > 0) built.pathParameters = resolved.params;
  if (parts.encoding === "lying-base64" && built.body !== null && !built.isBase64Encoded) built.isBase64Encoded = true;
  return built;
}

/** A path parameter: the right one now and then, otherwise anything (percent-encoded as a client must). */
const pathValue = (name: string) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constant(name)
        .map((n) => (n === "orderId" ? orderId : n === "storeId" ? "S01" : n === "queue" ? "events" : "C-1")),
    },
    { weight: 1, arbitrary: fc.constantFrom("S02", "commands", "poll", "OD-NOPE", "2026-01-01.1.x") },
    { weight: 3, arbitrary: fc.oneof(oddString, canary).filter((s) => s !== "" && s !== "." && s !== "..") },
  );

/** A plausible body for the route, then maybe broken: a field replaced by any JSON value. */
function plausibleBody(route: string): fc.Arbitrary<Record<string, unknown>> {
  if (route.endsWith("/actions")) {
    const sensible = fc.record({ type: fc.constantFrom("accept", "packing", "packed", "start") });
    const cancel = fc.record({
      type: fc.constant("cancel"),
      reason: fc.constantFrom(...CANCEL_REASONS, "STORE_CLOSED"),
    });
    return fc.record({
      actions: fc.array(
        fc.oneof(
          sensible,
          cancel,
          fc.record(
            {
              type: fc.oneof(fc.constantFrom(...ACTIONS, "itemUnits", "invoice"), oddString),
              reason: fc.oneof(fc.constantFrom("ITEM_UNAVAILABLE", "BUYER_NO_CONTACT"), oddString, canary),
              itemId: oddString,
              units: fc.oneof(fc.integer({ min: -2, max: 5 }), oddJson),
              sellerInvoiceId: fc.oneof(oddString, canary),
            },
            { requiredKeys: ["type"] },
          ),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    });
  }
  if (route.endsWith("/availability")) {
    return fc.record(
      {
        status: fc.oneof(fc.constantFrom("ENABLED", "DISABLED"), oddString),
        validTill: fc.oneof(fc.constant(Date.now() + 3_600_000), oddJson),
      },
      { requiredKeys: ["status"] },
    );
  }
  if (route === "/v1/listings") {
    const money = fc.oneof(fc.integer({ min: 1, max: 1000 }), oddJson);
    const base = { storeId: fc.constantFrom("S01", "S02", "S99"), sku: fc.oneof(oddString, canary) };
    const row = fc.oneof(
      fc.record({ type: fc.constant("PRICE"), ...base, mrp: money, sellingPrice: money }),
      fc.record({
        type: fc.constant("INVENTORY"),
        ...base,
        count: fc.oneof(fc.integer({ min: -1, max: 50 }), oddJson),
      }),
      fc.record({
        type: fc.constant("STATUS"),
        ...base,
        status: fc.constantFrom("ACTIVE", "INACTIVE", "DELETED", "?"),
      }),
    );
    return fc.record({ listings: fc.array(row, { minLength: 1, maxLength: 3 }) });
  }
  if (route.startsWith("/v1/stores/")) {
    return fc.record(
      { name: fc.oneof(oddString, canary), automation: fc.oneof(oddJson, fc.record({ autoAccept: fc.boolean() })) },
      { requiredKeys: [] },
    );
  }
  return fc.dictionary(fc.string({ maxLength: 8 }), oddJson, { maxKeys: 3 });
}

const bodyFor = (route: string) =>
  fc.oneof(
    { weight: 5, arbitrary: plausibleBody(route).map((b) => JSON.stringify(b)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(plausibleBody(route), fc.string({ maxLength: 10 }), oddJson)
        .map(([b, key, value]) => JSON.stringify({ ...b, [key]: value })),
    },
    { weight: 2, arbitrary: oddJson.map((v) => JSON.stringify(v) ?? "") },
    { weight: 2, arbitrary: plausibleBody(route).chain((b) => malformed(JSON.stringify(b))) },
    { weight: 1, arbitrary: deeplyNested },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 1_048_577, max: 1_100_000 }).map((n) => JSON.stringify({ pad: "z".repeat(n) })),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );

const QUERY_NAMES = [
  "limit",
  "state",
  "storeId",
  "updatedSince",
  "cursor",
  "ordersSince",
  "orderIds",
  "minutes",
  "body",
  "day",
  "days",
  "max",
];

const hostile = fc
  .record({
    route: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...SELLER_ROUTES) },
      { weight: 4, arbitrary: fc.constantFrom(...SELLER_ROUTES.filter((r) => r.method !== "GET")) },
      {
        weight: 1,
        arbitrary: fc.constant({ method: "GET", path: "/v1/{proxy+}" } as unknown as (typeof SELLER_ROUTES)[number]),
      },
    ),
    methodOverride: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") },
    ),
  })
  .chain(({ route, methodOverride }) => {
    const names = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1] ?? "");
    return fc.record({
      method: fc.constant(methodOverride ?? route.method),
      template: fc.constant(route.path),
      params: fc.tuple(
        ...names.map((n) =>
          n === "proxy" ? fc.array(oddString, { minLength: 1, maxLength: 3 }).map((a) => a.join("/")) : pathValue(n),
        ),
      ),
      query: fc.dictionary(
        fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.string({ maxLength: 6 })),
        fc.oneof(oddString, canary),
        {
          maxKeys: 3,
        },
      ),
      body: fc.option(bodyFor(route.path), { freq: 4, nil: undefined }),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant("application/json") },
        { weight: 1, arbitrary: contentType },
      ),
      encoding: fc.oneof(
        { weight: 4, arbitrary: fc.constant<BodyEncoding>("plain") },
        { weight: 1, arbitrary: bodyEncoding },
      ),
      idempotencyKey: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 2, arbitrary: fc.uuid().map((u) => `"${u}"`) },
        { weight: 1, arbitrary: fc.oneof(oddString, canary) },
      ),
      headers: oddHeaders,
    });
  });

/** Near-valid writes (right route, method, ids and content type; plausible, maybe broken bodies): the deep checks. */
const nearValid = fc.constantFrom(...SELLER_ROUTES.filter((r) => r.method !== "GET")).chain((route) => {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
  return fc.record({
    method: fc.constant<string>(route.method),
    template: fc.constant<string>(route.path),
    params: fc.constant(
      names.map((n) =>
        n === "orderId" ? orderId : n === "storeId" ? "S01" : n === "queue" ? "events" : "2026-01-01.1.x",
      ),
    ),
    query: fc.constant<Record<string, string>>({}),
    body: fc.oneof(
      { weight: 4, arbitrary: plausibleBody(route.path).map((b) => JSON.stringify(b)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(plausibleBody(route.path), fc.string({ maxLength: 10 }), oddJson)
          .map(([b, key, value]) => JSON.stringify({ ...b, [key]: value })),
      },
    ) as fc.Arbitrary<string | Uint8Array | null | undefined>,
    contentType: fc.constant<string | undefined>("application/json"),
    encoding: fc.constant<BodyEncoding>("plain"),
    idempotencyKey: fc.option(
      fc.uuid().map((u) => `"${u}"`),
      { nil: undefined },
    ),
    headers: fc.constant<Record<string, string | string[]>>({}),
  });
});

const request = fc.oneof({ weight: 3, arbitrary: hostile }, { weight: 2, arbitrary: nearValid });

describe("fuzzed seller API edge", () => {
  it(
    "answers every request with a documented status; a refusal queues and writes nothing and quotes nothing",
    async () => {
      const seen = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const path = pathOf(r);
          const headers: Record<string, string | string[]> = { ...r.headers };
          if (r.contentType !== undefined) headers["Content-Type"] = r.contentType;
          if (r.idempotencyKey !== undefined) headers["Idempotency-Key"] = r.idempotencyKey;
          writes.length = 0;

          const reply = await api(
            event({
              method: r.method,
              path,
              query: r.query,
              headers,
              ...(r.body !== undefined ? { body: r.body } : {}),
              encoding: r.encoding,
            }),
          );

          seen.set(reply.statusCode, (seen.get(reply.statusCode) ?? 0) + 1);
          if (process.env.FUZZ_DEBUG)
            console.info(
              "DBG",
              r.method,
              path,
              String(r.body).slice(0, 80),
              reply.statusCode,
              reply.body.slice(0, 160),
            );
          expect(reply.statusCode, reply.body.slice(0, 300)).toBeLessThan(500);
          if (reply.statusCode === 204) return;
          const json = JSON.parse(reply.body) as Record<string, unknown>;
          if (reply.statusCode >= 400) {
            // A refused listings batch also names each bad row (docs/commands.md): `rows: [{index, message}]`;
            // 422 names the command the key belongs to (docs/commands.md).
            const extra =
              r.template === "/v1/listings" && reply.statusCode === 400
                ? ["rows"]
                : reply.statusCode === 422
                  ? ["commandId"]
                  : [];
            expect(
              Object.keys(json)
                .filter((k) => !extra.includes(k))
                .sort(),
            ).toEqual(["error", "message"]);
            expect(DOCUMENTED[reply.statusCode], `${reply.statusCode} ${reply.body.slice(0, 200)}`).toContain(
              json.error,
            );
            expect(String(json.message).length).toBeGreaterThan(10);
            expect(leaks(reply.body, []), reply.body.slice(0, 300)).toEqual([]);
            expect(writes, "writes sent for a refused request").toEqual([]);
            if (reply.statusCode === 405) expect(reply.headers?.Allow).toMatch(/^(GET|POST|PUT|DELETE)/);
          } else {
            expect([200, 201, 202]).toContain(reply.statusCode);
          }
        }),
        {
          numRuns: fuzzRuns(120),
          // Always tried first: valid writes (202), so every answer the check below expects is reached whatever the seed.
          examples: [
            [writeExample("/v1/orders/{orderId}/actions", [orderId], { actions: [{ type: "accept" }] })],
            [writeExample("/v1/stores/{storeId}/availability", ["S02"], { status: "ENABLED" })],
            [
              writeExample("/v1/listings", [], {
                listings: [{ type: "PRICE", storeId: "S02", sku: "SKU-FUZZ-1", mrp: 100, sellingPrice: 90 }],
              }),
            ],
            [writeExample("/v1/orders/{orderId}/actions", [orderId], { actions: [{ type: "accept" }] })],
          ],
        },
      );
      console.info(`seller API fuzz: answers by status ${JSON.stringify(Object.fromEntries(seen))}`);
      expect([...seen.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(5);
      expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 202, 400, 404, 405, 409, 413]));
    },
    30_000 + fuzzRuns(120) * 250,
  );

  it("refuses a validTill too far ahead with 400 (2^53 used to reach DynamoDB's marshaller: a 500)", async () => {
    for (const validTill of [2 ** 53, 1e20, Date.now() + 400 * 24 * 3_600_000]) {
      writes.length = 0;
      const reply = await api(
        event({
          method: "POST",
          path: "/v1/stores/S02/availability",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ status: "DISABLED", validTill }),
        }),
      );
      expect(reply.statusCode, reply.body).toBe(400);
      expect(JSON.parse(reply.body).message).toMatch(/^validTill: .*at most 366 days ahead$/);
      expect(writes).toEqual([]);
    }
  });

  it("answers 503 SERVICE_UNAVAILABLE, never 500, while SQS is unreachable, and a retry with the named commandId completes that same command once", async () => {
    // A genuine outage: the commands queue's endpoint refuses connections (nothing listens on the port).
    const downSqs = createSqsClient({ endpoint: `http://127.0.0.1:${await closedPort()}` });
    const observability = testObservability("seller-api-fuzz-outage");
    observability.logger.setLogLevel("SILENT");
    const down = createSellerApiHandler(
      wireSellerApiDeps({
        dynamo: env.dynamo.client,
        sqs: downSqs,
        tableName: env.dynamo.tableName,
        commandsQueueUrl: env.queues.commandsQueueUrl,
        seedStoreIds: ["S01", "S02"],
        opsQueues: opsQueuesOf(env),
        ...observability,
      }),
    );
    const fresh = (await seedOrder(env, "S02")).id;
    const json = JSON.stringify({ actions: [{ type: "accept" }] });
    const send = (handler: SellerApiHandler, headers: Record<string, string> = {}) =>
      handler(
        event({
          method: "POST",
          path: `/v1/orders/${fresh}/actions`,
          headers: { "Content-Type": "application/json", ...headers },
          body: json,
        }),
      );

    const failed = await send(down);
    expect(failed.statusCode).toBe(503);
    expect(failed.headers?.["Retry-After"]).toBe("5");
    const body = JSON.parse(failed.body) as { error: string; message: string; commandId: string };
    expect(body.error).toBe("SERVICE_UNAVAILABLE");
    expect(body.commandId).toMatch(/^[0-9a-f-]{36}$/);

    // Retried as the 503 says, once SQS is back: the same command, queued once; not a second command beside it.
    writes.length = 0;
    const retried = await send(api, { "Idempotency-Key": `"${body.commandId}"` });
    expect(retried.statusCode, retried.body).toBe(202);
    expect(JSON.parse(retried.body)).toMatchObject({ commandId: body.commandId, status: "QUEUED" });
    expect(writes.filter((w) => w.startsWith("SendMessage"))).toHaveLength(1);
    const commands = await api(event({ method: "GET", path: `/v1/orders/${fresh}/commands` }));
    expect((JSON.parse(commands.body) as { commands: unknown[] }).commands).toHaveLength(1);

    await fc.assert(
      fc.asyncProperty(nearValid, async (r) => {
        const reply = await down(
          event({
            method: r.method,
            path: pathOf(r),
            headers: { "Content-Type": "application/json" },
            ...(r.body !== undefined ? { body: r.body } : {}),
          }),
        );
        expect(reply.statusCode, reply.body.slice(0, 200)).not.toBe(500);
        if (reply.statusCode >= 500) {
          expect(reply.statusCode).toBe(503);
          expect(JSON.parse(reply.body).error).toBe("SERVICE_UNAVAILABLE");
        }
      }),
      { numRuns: fuzzRuns(25) },
    );
  });

  it("answers 503 SERVICE_UNAVAILABLE, never 500, while DynamoDB is unreachable", async () => {
    const observability = testObservability("seller-api-fuzz-outage");
    observability.logger.setLogLevel("SILENT");
    const down = createSellerApiHandler(
      wireSellerApiDeps({
        dynamo: createDynamoClient({ endpoint: `http://127.0.0.1:${await closedPort()}` }),
        sqs: env.queues.client,
        tableName: env.dynamo.tableName,
        commandsQueueUrl: env.queues.commandsQueueUrl,
        seedStoreIds: ["S01"],
        ...observability,
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(nearValid, hostile), async (r) => {
        const reply = await down(
          event({ method: r.method, path: pathOf(r), ...(r.body !== undefined ? { body: r.body } : {}) }),
        );
        expect(reply.statusCode).toBe(503);
        expect(JSON.parse(reply.body)).toMatchObject({ error: "SERVICE_UNAVAILABLE" });
      }),
      { numRuns: fuzzRuns(10) },
    );
  });
});

function opsQueuesOf({ queues }: CommandsEnv) {
  return {
    events: { queueUrl: queues.eventsQueueUrl, dlqUrl: queues.eventsDlqUrl },
    poll: { queueUrl: queues.pollQueueUrl, dlqUrl: queues.pollDlqUrl },
    commands: { queueUrl: queues.commandsQueueUrl, dlqUrl: queues.commandsDlqUrl },
  };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The concrete path for a generated request (parameters percent-encoded as a client must). */
/** A valid write in the generators' shape (for fast-check's `examples`). */
function writeExample(template: string, params: string[], body: object) {
  const route = SELLER_ROUTES.find((r) => r.path === template && r.method !== "GET");
  return {
    method: route?.method ?? "POST",
    template,
    params,
    query: {},
    body: JSON.stringify(body),
    contentType: "application/json",
    encoding: "plain" as BodyEncoding,
    idempotencyKey: undefined,
    headers: {},
  };
}

function pathOf(r: { template: string; params: readonly unknown[] }): string {
  let i = 0;
  return r.template.replace(/\{(\w+)\+?\}/g, (_m, name: string) => {
    const value = String(r.params[i++] ?? "");
    return name === "proxy" ? value.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(value);
  });
}
