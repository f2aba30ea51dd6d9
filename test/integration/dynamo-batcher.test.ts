/**
 * The processor's read/write coalescing on dynalite: what concurrent callers ask in the same turn travels in one
 * BatchGetItem / BatchWriteItem, each caller gets exactly its own answer, and failures reach every caller.
 * Requests are counted with a middleware on the real client (what it sends over the wire), not a mock.
 */
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";
import { createDynamoBatcher } from "../../functions/adapters/dynamo-batcher.ts";

let dynamo: LocalDynamo;
let sent: string[];
const client = () => {
  const c = createDynamoClient({ endpoint: dynamo.endpoint });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "countCommands" },
  );
  return c;
};

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});
beforeEach(() => {
  sent = [];
});

const item = (pk: string, value: string) => ({ pk: { S: pk }, sk: { S: "X" }, value: { S: value } });

describe("DynamoBatcher", () => {
  it("answers concurrent gets with one strongly consistent BatchGetItem, absent keys as undefined", async () => {
    const c = client();
    for (const id of ["a", "b", "c"]) {
      await c.send(new PutItemCommand({ TableName: dynamo.tableName, Item: item(`BATCH#${id}`, id) }));
    }
    sent = [];
    const batcher = createDynamoBatcher(c, dynamo.tableName);
    const got = await Promise.all(
      ["a", "b", "c", "missing", "a"].map((id) => batcher.get({ pk: `BATCH#${id}`, sk: "X" })),
    );
    expect(got.map((i) => i?.value?.S)).toEqual(["a", "b", "c", undefined, "a"]);
    expect(sent).toEqual(["BatchGetItemCommand"]);
  });

  it("writes concurrent puts with BatchWriteItem, 25 per request, the last put of a key winning", async () => {
    const batcher = createDynamoBatcher(client(), dynamo.tableName);
    const puts = Array.from({ length: 30 }, (_, i) => batcher.put(item(`BATCHW#${i}`, `v${i}`)));
    puts.push(batcher.put(item("BATCHW#0", "last")));
    await Promise.all(puts);
    expect(sent).toEqual(["BatchWriteItemCommand", "BatchWriteItemCommand"]);
    sent = [];
    const check = createDynamoBatcher(client(), dynamo.tableName);
    expect((await check.get({ pk: "BATCHW#0", sk: "X" }))?.value?.S).toBe("last");
    expect((await check.get({ pk: "BATCHW#29", sk: "X" }))?.value?.S).toBe("v29");
  });

  it("fails every caller of a request that fails, and the next turn starts afresh", async () => {
    const broken = createDynamoBatcher(client(), "no-such-table");
    const results = await Promise.allSettled([
      broken.get({ pk: "A", sk: "X" }),
      broken.get({ pk: "B", sk: "X" }),
      broken.put(item("C", "c")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    const working = createDynamoBatcher(client(), dynamo.tableName);
    await expect(working.put(item("BATCH#after", "ok"))).resolves.toBeUndefined();
  });
});
