/**
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` (the AWS SDK's standard variables): set, local mode and the
 * integration suite use an emulator that is already running instead of starting their own. Here the "already
 * running" emulators are a dynalite and a fauxqs started first; the attached side must create the same table and
 * queue topology through the public APIs, give each unnamed caller its own, and clean up only what it made.
 */
import { DescribeTableCommand, GetItemCommand, ListTablesCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  externalEndpoints,
  type LocalDynamo,
  type LocalQueues,
  startLocalDynamo,
  startLocalQueues,
} from "../../bin/local/emulators.ts";

let host: LocalDynamo;
let hostQueues: LocalQueues;
const saved = { ...externalEndpoints() };

beforeAll(async () => {
  [host, hostQueues] = await Promise.all([startLocalDynamo(), startLocalQueues({ prefix: "host" })]);
});
afterAll(async () => {
  await host?.stop();
  await hostQueues?.stop();
});
afterEach(() => {
  // restore what the run was started with (the DynamoDB Local suite sets one)
  for (const [key, value] of [
    ["AWS_ENDPOINT_URL_DYNAMODB", saved.dynamodb],
    ["AWS_ENDPOINT_URL_SQS", saved.sqs],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const tables = async () => (await host.client.send(new ListTablesCommand({}))).TableNames ?? [];

describe("AWS_ENDPOINT_URL_DYNAMODB", () => {
  it("reads the SDK's variables, an empty value counting as unset", () => {
    expect(externalEndpoints({ AWS_ENDPOINT_URL_DYNAMODB: " http://127.0.0.1:8000 " })).toEqual({
      dynamodb: "http://127.0.0.1:8000",
      sqs: undefined,
    });
    expect(externalEndpoints({ AWS_ENDPOINT_URL_DYNAMODB: "", AWS_ENDPOINT_URL_SQS: "  " })).toEqual({
      dynamodb: undefined,
      sqs: undefined,
    });
  });

  it("attaches to the running endpoint: a table of its own per caller, with the key layout, dropped at stop", async () => {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = host.endpoint;
    const [a, b] = await Promise.all([startLocalDynamo(), startLocalDynamo()]);
    expect(a.external && b.external).toBe(true);
    expect(a.endpoint).toBe(host.endpoint);
    expect(a.tableName).not.toBe(b.tableName);
    expect(await tables()).toEqual(expect.arrayContaining([a.tableName, b.tableName]));

    const key = { pk: { S: "ORDER#OD1" }, sk: { S: "VIEW" } };
    await a.client.send(new PutItemCommand({ TableName: a.tableName, Item: { ...key, storeId: { S: "S01" } } }));
    expect((await b.client.send(new GetItemCommand({ TableName: b.tableName, Key: key }))).Item).toBeUndefined();
    const described = await a.client.send(new DescribeTableCommand({ TableName: a.tableName }));
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toContain("byStore");

    await a.stop();
    await b.stop();
    const left = await tables();
    expect(left).not.toContain(a.tableName);
    expect(left).not.toContain(b.tableName);
  });

  it("keeps a named table (local mode's) at stop and finds it again on the next start", async () => {
    const first = await startLocalDynamo({ endpoint: host.endpoint, tableName: "pincode-bridge-kept" });
    const key = { pk: { S: "STORE#S01" }, sk: { S: "CONFIG" } };
    await first.client.send(new PutItemCommand({ TableName: first.tableName, Item: key }));
    await first.stop();
    const second = await startLocalDynamo({ endpoint: host.endpoint, tableName: "pincode-bridge-kept" });
    expect((await second.client.send(new GetItemCommand({ TableName: second.tableName, Key: key }))).Item).toEqual(key);
    await second.stop();
  });

  it("names the variable when the endpoint does not answer", async () => {
    await expect(startLocalDynamo({ endpoint: "http://127.0.0.1:9" })).rejects.toThrow(/AWS_ENDPOINT_URL_DYNAMODB/);
  });
});

describe("AWS_ENDPOINT_URL_SQS", () => {
  it("creates the queue topology through the SQS API: DLQs with redrive, the FIFO pair; removed at stop", async () => {
    process.env.AWS_ENDPOINT_URL_SQS = hostQueues.endpoint;
    const queues = await startLocalQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 1 });
    expect(queues.external).toBe(true);
    const { Attributes } = await queues.client.send(
      new GetQueueAttributesCommand({ QueueUrl: queues.commandsQueueUrl, AttributeNames: ["All"] }),
    );
    expect(Attributes?.FifoQueue).toBe("true");
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toMatchObject({ maxReceiveCount: expect.anything() });

    // the redrive works as on the embedded emulator: received once, not deleted → DLQ
    await queues.client.send(new SendMessageCommand({ QueueUrl: queues.eventsQueueUrl, MessageBody: '{"x":1}' }));
    const first = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsQueueUrl, WaitTimeSeconds: 1 }),
    );
    expect(first.Messages).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    await queues.client.send(new ReceiveMessageCommand({ QueueUrl: queues.eventsQueueUrl, WaitTimeSeconds: 0 }));
    const dlq = await queues.client.send(
      new ReceiveMessageCommand({ QueueUrl: queues.eventsDlqUrl, WaitTimeSeconds: 1 }),
    );
    expect(dlq.Messages?.[0]?.Body).toBe('{"x":1}');

    const prefix = queues.names.eventsQueueUrl.replace(/-events$/, "");
    await queues.stop();
    const listed = await hostQueues.client.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    expect(listed.QueueUrls ?? []).toEqual([]);
  });
});
