import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalQueues, startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";

describe("local emulators", () => {
  let dynamo: LocalDynamo;
  let queues: LocalQueues;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    queues = await startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 1 });
  });
  afterAll(async () => {
    await dynamo?.stop();
    await queues?.stop();
  });

  it("creates the table with its key layout", async () => {
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: { pk: { S: "ORDER#OD1" }, sk: { S: "VIEW" }, storeId: { S: "S01" }, updatedAt: { N: "1" } },
      }),
    );
    const got = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: "ORDER#OD1" }, sk: { S: "VIEW" } } }),
    );
    expect(got.Item?.storeId?.S).toBe("S01");
  });

  it("moves a message received maxReceiveCount times to the DLQ", async () => {
    await queues.client.send(new SendMessageCommand({ QueueUrl: queues.eventsQueueUrl, MessageBody: '{"x":1}' }));
    const first = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsQueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(first.Messages).toHaveLength(1);
    // not deleted: after the visibility timeout it is redriven instead of redelivered
    await new Promise((r) => setTimeout(r, 1100));
    const again = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsQueueUrl, WaitTimeSeconds: 0 }),
    );
    expect(again.Messages ?? []).toHaveLength(0);
    const dlq = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsDlqUrl, WaitTimeSeconds: 1 }),
    );
    expect(dlq.Messages?.[0]?.Body).toBe('{"x":1}');
  });
});
