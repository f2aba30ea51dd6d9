/**
 * Characters SQS refuses in a message body (U+FFFE, U+FFFF; fauxqs also refuses astral characters such as emoji) must
 * not turn a valid callback into an endless 503: the callback is queued and the processor reads back the same order.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackEvent } from "../support/api-gateway-event.ts";
import { type CallbackHarness, startCallbackHarness } from "./callback.harness.ts";

const ORDER_VIEW = readFileSync(new URL("../fixtures/pincode/order_view_callback.json", import.meta.url), "utf8");

let h: CallbackHarness;
beforeAll(async () => {
  h = await startCallbackHarness({ logLevel: "SILENT" });
});
afterAll(async () => {
  await h?.stop();
});

describe("callback bodies with characters SQS does not accept verbatim", () => {
  it.each([
    ["U+FFFF", "\uffff"],
    ["U+FFFE", "\ufffe"],
    ["an emoji (astral plane)", "\u{1F355}"],
  ])("ACKs an ORDER_VIEW whose item name holds %s and queues it unchanged", async (_what, character) => {
    // Prepare
    const body = JSON.parse(ORDER_VIEW) as { response: { items: { name: string }[] } };
    const item = body.response.items[0];
    if (!item) throw new Error("fixture has no item");
    item.name = `cold drink ${character}\\${character}`;
    await h.drainEvents();
    // Act
    const reply = await h.callbackHandler()(
      callbackEvent({ headers: { Authorization: `Bearer ${await h.token()}` }, body: JSON.stringify(body) }),
    );
    // Assess
    expect(reply.statusCode).toBe(200);
    const queued = await h.drainEvents();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ kind: "order.snapshot", order: body.response });
  });
});
