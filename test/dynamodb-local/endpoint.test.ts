/**
 * Proof that `npm run test:dynamodb-local` really runs on DynamoDB Local and not on the embedded dynalite: the
 * endpoint came from AWS_ENDPOINT_URL_DYNAMODB, and it answers TransactWriteItems, which dynalite does not implement.
 */
import { TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, startLocalDynamo } from "../../bin/local/emulators.ts";

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => dynamo?.stop());

describe("the suite's DynamoDB", () => {
  it("is the endpoint named by AWS_ENDPOINT_URL_DYNAMODB, with a table of this file's own", () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.external).toBe(true);
    expect(dynamo.endpoint).toBe(process.env.AWS_ENDPOINT_URL_DYNAMODB);
    expect(dynamo.tableName).toMatch(/^pincode-bridge-[0-9a-f]{8}$/);
  });

  it("is AWS's DynamoDB Local: it runs a transaction (dynalite answers UnknownOperationException)", async () => {
    await dynamo.client.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName: dynamo.tableName, Item: { pk: { S: "PROBE#1" }, sk: { S: "PROBE" } } } }],
      }),
    );
  });
});
