/**
 * The AWS side of local mode and of the integration tests: dynalite for DynamoDB and fauxqs for SQS, each on a real
 * port, with the same table layout and queue topology (DLQs, FIFO commands queue) as the CDK data stack.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { createDynamoClient, createSqsClient } from "../../functions/adapters/aws-clients.ts";
import { createTableInput } from "../../functions/adapters/table.ts";

export interface LocalDynamo {
  endpoint: string;
  port: number;
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

export async function startLocalDynamo(
  options: { port?: number; dataDir?: string; tableName?: string; host?: string } = {},
): Promise<LocalDynamo> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : Number(options.port);
  const endpoint = `http://${host}:${port}`;
  const client = createDynamoClient({ endpoint });
  const tableName = options.tableName ?? "pincode-bridge";
  await ensureTable(client, tableName);
  return {
    endpoint,
    port,
    client,
    tableName,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceNotFoundException") throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  }
}

export interface QueueTopology {
  eventsQueueUrl: string;
  eventsDlqUrl: string;
  pollQueueUrl: string;
  pollDlqUrl: string;
  commandsQueueUrl: string;
  commandsDlqUrl: string;
}

export interface LocalQueues extends QueueTopology {
  endpoint: string;
  port: number;
  client: SQSClient;
  /** Queue names, for fauxqs inspection. */
  names: Record<keyof QueueTopology, string>;
  stop(): Promise<void>;
}

export interface QueueSettings {
  /** Seconds a received message stays invisible (the Lambda visibility timeout). */
  visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount?: number;
}

export async function startLocalQueues(
  options: { port?: number; prefix?: string } & QueueSettings = {},
): Promise<LocalQueues> {
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  const prefix = options.prefix ?? "pincode-bridge";
  const visibility = String(options.visibilityTimeoutSeconds ?? 30);
  const maxReceiveCount = String(options.maxReceiveCount ?? 5);
  const names = {
    eventsQueueUrl: `${prefix}-events`,
    eventsDlqUrl: `${prefix}-events-dlq`,
    pollQueueUrl: `${prefix}-poll`,
    pollDlqUrl: `${prefix}-poll-dlq`,
    commandsQueueUrl: `${prefix}-commands.fifo`,
    commandsDlqUrl: `${prefix}-commands-dlq.fifo`,
  };
  const withDlq = (name: string, dlqName: string, fifo: boolean) => {
    const dlq = server.createQueue(dlqName, {
      attributes: { MessageRetentionPeriod: "1209600", ...(fifo ? { FifoQueue: "true" } : {}) },
    });
    const queue = server.createQueue(name, {
      attributes: {
        VisibilityTimeout: visibility,
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount }),
        ...(fifo ? { FifoQueue: "true", ContentBasedDeduplication: "false" } : {}),
      },
    });
    return [queue.queueUrl, dlq.queueUrl] as const;
  };
  const [eventsQueueUrl, eventsDlqUrl] = withDlq(names.eventsQueueUrl, names.eventsDlqUrl, false);
  const [pollQueueUrl, pollDlqUrl] = withDlq(names.pollQueueUrl, names.pollDlqUrl, false);
  const [commandsQueueUrl, commandsDlqUrl] = withDlq(names.commandsQueueUrl, names.commandsDlqUrl, true);
  const endpoint = server.address;
  const client = createSqsClient({ endpoint });
  return {
    endpoint,
    port: server.port,
    client,
    names,
    eventsQueueUrl,
    eventsDlqUrl,
    pollQueueUrl,
    pollDlqUrl,
    commandsQueueUrl,
    commandsDlqUrl,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}
