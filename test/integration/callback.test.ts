/**
 * The callback endpoint end to end on the emulators: the real handler, API Gateway REST proxy events, fauxqs for the
 * events queue and dynalite for quarantine (written by the real processor from the `callback.quarantined` message the
 * callback queues). Every rejected request is checked to have queued nothing but its quarantine message.
 */
import { readFileSync } from "node:fs";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createQuarantineRepository, MAX_STORED_BODY_BYTES } from "../../functions/adapters/quarantine-repository.ts";
import { MAX_CALLBACK_BODY_BYTES } from "../../functions/callback/create-handler.ts";
import { callbackEvent, formEncode } from "../support/api-gateway-event.ts";
import { captureStdout, emfMetrics } from "../support/capture-stdout.ts";
import { AUTH_SECRET, type CallbackHarness, startCallbackHarness } from "./callback.harness.ts";

const fixtureText = (name: string) => readFileSync(new URL(`../fixtures/pincode/${name}`, import.meta.url), "utf8");
const ORDER_VIEW = fixtureText("order_view_callback.json");
const EXPECTED_ACK = JSON.parse(fixtureText("callback_expected_ack.json"));
const SUBMISSION_RESULT = fixtureText("store_toggle_submission_callback.json");
const orderView = () => JSON.parse(ORDER_VIEW) as Record<string, unknown> & { response: Record<string, unknown> };
/** Buyer PII in the documented sample: must never reach a log line or an error message. */
const SAMPLE_PII = ["8686868686", "Loren Lpsum", "410 Lorem Lpsum"];

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

let h: CallbackHarness;
let handler: Handler;
let bearer: string;

/** Invokes the handler, capturing what it logs and the EMF metrics it emits. */
async function call(event: APIGatewayProxyEvent, fn: Handler = handler) {
  const { result, lines, records } = await captureStdout(() => fn(event));
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    json: JSON.parse(result.body) as Record<string, unknown>,
    output: lines.join("\n"),
    records,
  };
}

const authed = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  callbackEvent({
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json", ...headers },
    body,
  });

beforeAll(async () => {
  h = await startCallbackHarness();
  handler = h.callbackHandler();
  bearer = await h.token();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(async () => {
  await h.drainEvents();
});

describe("accepted callbacks", () => {
  it.each([
    ["as JSON", ORDER_VIEW, "application/json"],
    ["as a form-encoded body that is the raw JSON (A1)", ORDER_VIEW, "application/x-www-form-urlencoded"],
    ["as percent-encoded JSON", encodeURIComponent(ORDER_VIEW), "application/x-www-form-urlencoded"],
    ["as JSON in a form field", formEncode({ payload: ORDER_VIEW }), "application/x-www-form-urlencoded"],
    ["as JSON in a form field, labelled JSON", formEncode({ data: ORDER_VIEW }), "application/json"],
  ])("ACKs the documented ORDER_VIEW sample sent %s and queues one order.snapshot", async (_how, body, type) => {
    // Act
    const reply = await call(authed(body, { "Content-Type": type }));
    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers["Content-Type"]).toBe("application/json");
    expect(reply.json).toEqual(EXPECTED_ACK);
    const queued = await h.drainEvents();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      kind: "order.snapshot",
      source: "callback",
      requestId: "OMS2402220921362644329327",
      orderId: "OD2401121901140533863584",
      order: orderView().response,
    });
    expect(emfMetrics(reply.records, "CallbacksAccepted")[0]).toMatchObject({
      kind: "order_view",
      CallbacksAccepted: 1,
    });
    expect(reply.records).toContainEqual(
      expect.objectContaining({
        message: "callback accepted",
        kind: "order_view",
        requestId: "OMS2402220921362644329327",
        orderId: "OD2401121901140533863584",
      }),
    );
  });

  it("accepts a base64-encoded API Gateway body and an O-Bearer token", async () => {
    const event = callbackEvent({
      headers: { authorization: `O-Bearer ${bearer}` },
      body: ORDER_VIEW,
      base64: true,
    });
    const reply = await call(event);
    expect(reply.status).toBe(200);
    expect(await h.drainEvents()).toHaveLength(1);
  });

  it("accepts the static token in oauth+static mode", async () => {
    const reply = await call(
      callbackEvent({ headers: { Authorization: `Bearer ${AUTH_SECRET.staticToken}` }, body: ORDER_VIEW }),
    );
    expect(reply.status).toBe(200);
    expect(await h.drainEvents()).toHaveLength(1);
  });

  it("queues a submission result (no type, §3.4) as submission.result and echoes its requestContext", async () => {
    const reply = await call(authed(SUBMISSION_RESULT));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: "ACK", requestContext: { requestId: "R212121231231" } });
    const queued = await h.drainEvents();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({
      kind: "submission.result",
      submissionId: "28327398273927392",
      requestId: "R212121231231",
      body: JSON.parse(SUBMISSION_RESULT),
    });
  });

  it("keeps an unknown callback kind as callback.unknown", async () => {
    const body = {
      type: "RETURN_VIEW",
      requestContext: { requestId: "RQ-unknown-1", transactionId: "OD1", channel: "X" },
      response: { id: "RT1" },
    };
    const reply = await call(authed(JSON.stringify(body)));
    expect(reply.status).toBe(200);
    // The echo is exact, including fields we do not know.
    expect(reply.json).toEqual({ status: "ACK", requestContext: body.requestContext });
    const queued = await h.drainEvents();
    expect(queued).toEqual([
      expect.objectContaining({
        kind: "callback.unknown",
        callbackType: "RETURN_VIEW",
        requestId: "RQ-unknown-1",
        body,
      }),
    ]);
    expect(emfMetrics(reply.records, "CallbacksAccepted")[0]).toMatchObject({ kind: "unknown" });
  });

  it("accepts a body of exactly 256 KiB", async () => {
    const padded = ORDER_VIEW + " ".repeat(MAX_CALLBACK_BODY_BYTES - Buffer.byteLength(ORDER_VIEW));
    expect(Buffer.byteLength(padded)).toBe(MAX_CALLBACK_BODY_BYTES);
    const reply = await call(authed(padded));
    expect(reply.status).toBe(200);
    expect(await h.drainEvents()).toHaveLength(1);
  });

  it("logs order facts but no buyer PII; unknown enum values are left to the processor", async () => {
    const body = orderView();
    body.response.orderState = "AWAITING_PICKUP";
    const reply = await call(authed(JSON.stringify(body)));
    expect(reply.status).toBe(200);
    // Issue 8: the edge checks the envelope only; the processor counts odd values (UnknownEnumValues).
    expect(emfMetrics(reply.records, "UnknownEnumValues")).toEqual([]);
    expect(reply.output).toContain("OD2401121901140533863584");
    for (const pii of SAMPLE_PII) expect(reply.output).not.toContain(pii);
    expect(reply.output).not.toContain(bearer);
    const [queued] = await h.drainEvents();
    expect(queued?.kind === "order.snapshot" && queued.order.orderState).toBe("AWAITING_PICKUP");
  });

  const tolerated: Array<[string, (order: Record<string, unknown>) => void]> = [
    ["an unreadable updatedAt", (o) => (o.updatedAt = "yesterday")],
    ["null optional fields", (o) => Object.assign(o, { clientOrderInfo: null, promised: null, fulfillments: null })],
    [
      "a numeric string price and a numeric createdAt",
      (o) => Object.assign(o, { createdAt: 1713773187000, items: [{ price: "700" }] }),
    ],
    ["a wrong-typed nested object", (o) => (o.billing = "not an object")],
  ];
  it.each(tolerated)("ACKs an ORDER_VIEW with %s and queues it exactly as received (issue 8)", async (_case, edit) => {
    // Prepare
    const body = orderView();
    edit(body.response);
    // Act
    const reply = await call(authed(JSON.stringify(body)));
    // Assess
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(EXPECTED_ACK);
    const queued = await h.drainEvents();
    expect(queued).toEqual([expect.objectContaining({ kind: "order.snapshot", order: body.response })]);
  });
});

describe("rejected callbacks queue nothing but their quarantine message", () => {
  const expired = async () => h.token(Date.now() - 60 * 60 * 1000);

  it.each([
    ["no Authorization header", async () => ({}), 'Bearer realm="pincode-callbacks"'],
    [
      "a token signed with another key",
      async () => ({ Authorization: `Bearer ${bearer.slice(0, -4)}AAAA` }),
      "invalid_token",
    ],
    ["an expired token", async () => ({ Authorization: `Bearer ${await expired()}` }), "invalid_token"],
    ["a wrong static token", async () => ({ Authorization: "Bearer not-the-static-token" }), "invalid_token"],
    ["a Basic header", async () => ({ Authorization: "Basic dXNlcjpwYXNz" }), "invalid_token"],
  ])("401 for %s, nothing stored", async (_case, headers, challenge) => {
    // Prepare
    const event = callbackEvent({ headers: await headers(), body: ORDER_VIEW });
    // Act
    const reply = await call(event);
    // Assess
    expect(reply.status).toBe(401);
    expect(reply.json.error).toBe("UNAUTHORIZED");
    expect(reply.headers["WWW-Authenticate"]).toContain(challenge);
    expect(await h.drainEvents()).toEqual([]);
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: "unauthorized" });
  });

  it("401 in oauth mode for the static token", async () => {
    const oauthOnly = h.callbackHandler({ authMode: "oauth" });
    const reply = await call(
      callbackEvent({ headers: { Authorization: `Bearer ${AUTH_SECRET.staticToken}` }, body: ORDER_VIEW }),
      oauthOnly,
    );
    expect(reply.status).toBe(401);
    expect(await h.drainEvents()).toEqual([]);
  });

  it("413 for a body over 256 KiB, before authentication, nothing stored", async () => {
    const big = ORDER_VIEW + " ".repeat(MAX_CALLBACK_BODY_BYTES + 1 - Buffer.byteLength(ORDER_VIEW));
    const event = authed(big);
    const reply = await call(event);
    expect(reply.status).toBe(413);
    expect(reply.json).toEqual({
      error: "PAYLOAD_TOO_LARGE",
      message: "body is 262145 bytes; the limit is 262144 bytes (256 KiB)",
    });
    expect(await h.drainEvents()).toEqual([]);
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
    // Unauthenticated and too large: still 413, still nothing stored.
    expect((await call(callbackEvent({ body: big }))).status).toBe(413);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: "too_large" });
  });

  const withoutOrderId = () => {
    const body = orderView();
    delete body.response.id;
    return JSON.stringify(body);
  };

  it.each([
    [
      "malformed JSON",
      () => '{"type":"ORDER_VIEW","requestContext":',
      "MALFORMED_BODY",
      "malformed",
      "body is not valid JSON",
    ],
    ["an empty body", () => "", "MALFORMED_BODY", "malformed", "body is empty"],
    ["a JSON array", () => "[]", "MALFORMED_BODY", "malformed", "body must be a JSON object, got an array"],
    ["a form without JSON", () => "a=1&b=2", "MALFORMED_BODY", "malformed", "none holds a JSON object"],
    ["an ORDER_VIEW without response.id", withoutOrderId, "INVALID_CALLBACK", "invalid", "ORDER_VIEW response.id:"],
    [
      "an ORDER_VIEW whose response.id is a number",
      () => JSON.stringify({ ...orderView(), response: { ...orderView().response, id: 8686868686 } }),
      "INVALID_CALLBACK",
      "invalid",
      "ORDER_VIEW response.id: expected a non-empty string, got a number",
    ],
    [
      "an ORDER_VIEW without requestContext.requestId",
      () => JSON.stringify({ ...orderView(), requestContext: { transactionId: "OD1" } }),
      "INVALID_CALLBACK",
      "invalid",
      "ORDER_VIEW requestContext.requestId: expected a non-empty string, got missing",
    ],
    [
      "an unknown kind without requestContext",
      () => JSON.stringify({ type: "RETURN_VIEW", response: { id: "RT1" } }),
      "INVALID_CALLBACK",
      "invalid",
      'callback of type "RETURN_VIEW": requestContext:',
    ],
  ])("400 for %s: quarantined with the reason, nothing queued", async (_case, body, error, code, reason) => {
    // Prepare
    const event = authed(body(), { Cookie: "session=abc", "X-Api-Key": "key-123", "X-Trace": "t-1" });
    // Act
    const reply = await call(event);
    // Assess
    expect(reply.status).toBe(400);
    expect(reply.json.error).toBe(error);
    expect(String(reply.json.message)).toContain(reason);
    expect(Object.keys(reply.json).sort()).toEqual(["error", "message"]);
    const queued = await h.drainEvents();
    expect(queued.map((m) => m.kind)).toEqual(["callback.quarantined"]);
    expect(JSON.stringify(queued)).not.toContain(bearer);
    expect(JSON.stringify(queued)).not.toContain("key-123");
    // Nothing is in the table until the processor writes it (at-least-once: a redelivery writes nothing new).
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
    expect(await h.processQueued(queued)).toEqual([]);
    expect(await h.processQueued(queued)).toEqual([]);
    const items = await h.quarantined(event.requestContext.requestId);
    expect(items).toHaveLength(1);
    const item = items[0] ?? {};
    expect(item.pk?.S).toMatch(/^QUARANTINE#\d{4}-\d{2}-\d{2}$/);
    expect(item.code?.S).toBe(code);
    expect(item.reason?.S).toBe(reply.json.message);
    expect(item.body?.S ?? "").toBe(body());
    expect(item.sourceIp?.S).toBe("127.0.0.1");
    expect(Number(item.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
    // Credentials never stored; other headers kept for diagnosis.
    const stored = Object.keys(item.headers?.M ?? {});
    expect(stored).toContain("x-trace");
    expect(stored).not.toContain("authorization");
    expect(stored).not.toContain("cookie");
    expect(stored).not.toContain("x-api-key");
    expect(JSON.stringify(item)).not.toContain(bearer);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: code });
    expect(reply.records).toContainEqual(
      expect.objectContaining({
        message: "callback rejected",
        rejection: code,
        status: 400,
        detail: reply.json.message,
        quarantineId: item.quarantineId?.S,
      }),
    );
    expect(item.quarantineId?.S).toBe(queued[0]?.messageId);
  });

  it("keeps buyer PII out of logs and the error message when an ORDER_VIEW is quarantined", async () => {
    const reply = await call(
      authed(JSON.stringify({ ...orderView(), response: { ...orderView().response, id: 8686868686 } })),
    );
    expect(reply.status).toBe(400);
    for (const pii of SAMPLE_PII) {
      expect(reply.output).not.toContain(pii);
      expect(String(reply.json.message)).not.toContain(pii);
    }
    await h.drainEvents();
  });

  it("503 when the events queue write fails, nothing half-written, so Pincode retries", async () => {
    // Prepare: a queue URL on the emulator that does not exist.
    const broken = h.callbackHandler({ eventsQueueUrl: `${h.queues.eventsQueueUrl}-missing` });
    const event = authed(ORDER_VIEW);
    // Act
    const reply = await call(event, broken);
    // Assess
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({
      error: "QUEUE_UNAVAILABLE",
      message: "the callback could not be queued; retry later",
    });
    expect(await h.drainEvents()).toEqual([]);
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: "queue_error" });
    // The retry Pincode makes succeeds once the queue is back.
    expect((await call(authed(ORDER_VIEW))).status).toBe(200);
    expect(await h.drainEvents()).toHaveLength(1);
  });

  it("503 when an invalid body cannot be quarantined: never answer 400 for a body we did not keep", async () => {
    // The quarantine message travels on the events queue: a queue that refuses it means nothing was kept.
    const broken = h.callbackHandler({ eventsQueueUrl: `${h.queues.eventsQueueUrl}-missing` });
    const event = authed(withoutOrderId());
    const reply = await call(event, broken);
    expect(reply.status).toBe(503);
    expect(reply.json.error).toBe("QUARANTINE_UNAVAILABLE");
    expect(await h.drainEvents()).toEqual([]);
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: "quarantine_error" });
  });

  it("500 with our error shape when something unexpected throws, nothing queued", async () => {
    const broken = h.callbackHandler({
      now: () => {
        throw new RangeError("clock unavailable");
      },
    });
    const reply = await call(authed(ORDER_VIEW), broken);
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({
      error: "INTERNAL_ERROR",
      message: "the callback could not be processed; retry later",
    });
    expect(await h.drainEvents()).toEqual([]);
    expect(emfMetrics(reply.records, "CallbacksRejected")[0]).toMatchObject({ reason: "internal_error" });
  });

  it("503 when the auth secret cannot be read, nothing stored", async () => {
    const broken = h.callbackHandler({
      loadAuthKeys: async () => {
        throw new Error("ResourceNotFoundException");
      },
    });
    const event = authed(ORDER_VIEW);
    const reply = await call(event, broken);
    expect(reply.status).toBe(503);
    expect(reply.json.error).toBe("AUTH_UNAVAILABLE");
    expect(await h.drainEvents()).toEqual([]);
    expect(await h.quarantined(event.requestContext.requestId)).toEqual([]);
  });
});

describe("stored messages outlive code", () => {
  it("processes an order.snapshot exactly as the previous release's callback queued it", async () => {
    // Prepare: the body text the zod-built message of the previous release serialised to (field order included).
    const order = { ...orderView().response, id: "ODPREVIOUSRELEASE1" };
    const previous = `{"v":1,"messageId":"6f1c1d2e-0b7a-4c55-9d57-3c2f3f1f0a11","receivedAt":1736935200000,"kind":"order.snapshot","source":"callback","requestId":"OMS-PREVIOUS-1","orderId":"ODPREVIOUSRELEASE1","order":${JSON.stringify(order)}}`;
    // Act
    const failures = await h.processQueued([previous]);
    // Assess
    expect(failures).toEqual([]);
    const view = await h.dynamo.client.send(
      new GetItemCommand({
        TableName: h.dynamo.tableName,
        Key: { pk: { S: "ORDER#ODPREVIOUSRELEASE1" }, sk: { S: "VIEW" } },
      }),
    );
    expect(view.Item?.orderId?.S).toBe("ODPREVIOUSRELEASE1");
  });

  it("processes what this release's callback queues for the same callback the same way", async () => {
    const body = orderView();
    body.response.id = "ODTHISRELEASE1";
    expect((await call(authed(JSON.stringify(body)))).status).toBe(200);
    const queued = await h.drainEvents();
    expect(await h.processQueued(queued)).toEqual([]);
    const view = await h.dynamo.client.send(
      new GetItemCommand({
        TableName: h.dynamo.tableName,
        Key: { pk: { S: "ORDER#ODTHISRELEASE1" }, sk: { S: "VIEW" } },
      }),
    );
    expect(view.Item?.orderId?.S).toBe("ODTHISRELEASE1");
  });
});

describe("quarantine repository on dynalite", () => {
  it("stores an oversized body truncated and flagged, within DynamoDB's item limit", async () => {
    // Prepare
    const repo = createQuarantineRepository({ client: h.dynamo.client, tableName: h.dynamo.tableName });
    const body = Buffer.from("€".repeat(150_000), "utf8"); // 450,000 bytes, 3-byte characters
    // Act
    const record = await repo.put({ code: "invalid", reason: "test", body, headers: {}, apiRequestId: "big-1" });
    // Assess
    const [item] = await h.quarantined("big-1");
    expect(item?.quarantineId?.S).toBe(record.id);
    expect(item?.bodyTruncated?.BOOL).toBe(true);
    expect(Number(item?.bodyBytes?.N)).toBe(450_000);
    const stored = item?.body?.S ?? "";
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(MAX_STORED_BODY_BYTES);
    expect(stored).toMatch(/^€+$/);
  });

  it("keeps a body that is not UTF-8 as bytes", async () => {
    const repo = createQuarantineRepository({ client: h.dynamo.client, tableName: h.dynamo.tableName });
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    await repo.put({ code: "malformed", reason: "body is not valid UTF-8", body, headers: {}, apiRequestId: "bin-1" });
    const [item] = await h.quarantined("bin-1");
    expect(item?.bodyEncoding?.S).toBe("binary");
    expect(Buffer.from(item?.body?.B ?? new Uint8Array())).toEqual(body);
  });
});
