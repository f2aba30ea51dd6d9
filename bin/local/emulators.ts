/**
 * The AWS side of local mode and of the integration tests: dynalite for DynamoDB and fauxqs for SQS, each on a real
 * port, with the same table layout and queue topology (DLQs, FIFO commands queue) as the CDK data stack.
 *
 * The AWS SDK's standard `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS` (or the `endpoint` option) point either
 * side at an emulator that is already running (DynamoDB Local, AWS's own emulator; another SQS emulator) instead of
 * starting the embedded one. There, a caller that names no table (queue prefix) gets a fresh one of its own, deleted
 * at `stop()`, so parallel test files never share state; a caller that names one (local mode) keeps it.
 */
import { randomBytes } from "node:crypto";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { startFauxqs } from "fauxqs";
import { createDynamoClient, createSqsClient } from "../../functions/adapters/aws-clients.ts";
import { createTableInput } from "../../functions/adapters/table.ts";

export interface LocalDynamo {
  endpoint: string;
  /** Started elsewhere (AWS_ENDPOINT_URL_DYNAMODB), not the embedded dynalite. */
  external: boolean;
  port: number;
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

/** The standard SDK variables that name an already running emulator; empty counts as unset. */
export function externalEndpoints(env: NodeJS.ProcessEnv = process.env): { dynamodb?: string; sqs?: string } {
  const pick = (v: string | undefined) => (v && v.trim() !== "" ? v.trim() : undefined);
  return { dynamodb: pick(env.AWS_ENDPOINT_URL_DYNAMODB), sqs: pick(env.AWS_ENDPOINT_URL_SQS) };
}

const uniqueSuffix = () => randomBytes(4).toString("hex");

export async function startLocalDynamo(
  options: { port?: number; dataDir?: string; tableName?: string; host?: string; endpoint?: string } = {},
): Promise<LocalDynamo> {
  const external = options.endpoint ?? externalEndpoints().dynamodb;
  if (external) return attachDynamo(external, options.tableName);
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
    external: false,
    port,
    client,
    tableName,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function attachDynamo(endpoint: string, namedTable: string | undefined): Promise<LocalDynamo> {
  const client = createDynamoClient({ endpoint });
  const tableName = namedTable ?? `pincode-bridge-${uniqueSuffix()}`;
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    client.destroy();
    throw new Error(
      `DynamoDB endpoint ${endpoint} (AWS_ENDPOINT_URL_DYNAMODB) did not answer: ${(error as Error).message}`,
    );
  }
  const url = new URL(endpoint);
  return {
    endpoint,
    external: true,
    port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
    client,
    tableName,
    async stop() {
      // A table made for this caller alone goes with it; a named one (local mode's) is the user's data.
      if (!namedTable) await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
      client.destroy();
    },
  };
}

export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceNotFoundException") throw error;
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    // dynalite creates at once (createTableMs 0); DynamoDB Local and AWS answer CREATING first.
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
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
  /** Started elsewhere (AWS_ENDPOINT_URL_SQS), not the embedded fauxqs. */
  external: boolean;
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
  options: { port?: number; prefix?: string; endpoint?: string } & QueueSettings = {},
): Promise<LocalQueues> {
  const external = options.endpoint ?? externalEndpoints().sqs;
  if (external) return attachQueues(external, options);
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  const endpoint = server.address;
  const client = createSqsClient({ endpoint });
  const names = queueNames(options.prefix ?? "pincode-bridge");
  try {
    // The same path as for an outside endpoint: the topology is created through the SQS API (one code path).
    const { urls } = await createTopology(client, names, options);
    return {
      endpoint,
      external: false,
      port: server.port,
      client,
      names,
      ...urls,
      async stop() {
        client.destroy();
        await server.stop();
      },
    };
  } catch (error) {
    client.destroy();
    await server.stop();
    throw error;
  }
}

function queueNames(prefix: string): Record<keyof QueueTopology, string> {
  return {
    eventsQueueUrl: `${prefix}-events`,
    eventsDlqUrl: `${prefix}-events-dlq`,
    pollQueueUrl: `${prefix}-poll`,
    pollDlqUrl: `${prefix}-poll-dlq`,
    commandsQueueUrl: `${prefix}-commands.fifo`,
    commandsDlqUrl: `${prefix}-commands-dlq.fifo`,
  };
}

/**
 * The data stack's queues through the SQS API (on the embedded fauxqs and on any outside endpoint alike): each work
 * queue with its DLQ and redrive policy, the commands pair FIFO. `created` lists every queue URL made, in order, even
 * when a later step failed.
 */
async function createTopology(
  client: SQSClient,
  names: Record<keyof QueueTopology, string>,
  settings: QueueSettings,
  created: string[] = [],
): Promise<{ urls: QueueTopology; created: string[] }> {
  const visibility = String(settings.visibilityTimeoutSeconds ?? 30);
  const maxReceiveCount = String(settings.maxReceiveCount ?? 5);
  const create = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    created.push(QueueUrl!);
    return QueueUrl!;
  };
  const withDlq = async (name: string, dlqName: string, fifo: boolean) => {
    const fifoAttributes: Record<string, string> = fifo ? { FifoQueue: "true" } : {};
    const dlqUrl = await create(dlqName, { MessageRetentionPeriod: "1209600", ...fifoAttributes });
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }),
    );
    const queueUrl = await create(name, {
      VisibilityTimeout: visibility,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount }),
      ...(fifo ? { ...fifoAttributes, ContentBasedDeduplication: "false" } : {}),
    });
    return [queueUrl, dlqUrl] as const;
  };
  const [eventsQueueUrl, eventsDlqUrl] = await withDlq(names.eventsQueueUrl, names.eventsDlqUrl, false);
  const [pollQueueUrl, pollDlqUrl] = await withDlq(names.pollQueueUrl, names.pollDlqUrl, false);
  const [commandsQueueUrl, commandsDlqUrl] = await withDlq(names.commandsQueueUrl, names.commandsDlqUrl, true);
  return {
    urls: { eventsQueueUrl, eventsDlqUrl, pollQueueUrl, pollDlqUrl, commandsQueueUrl, commandsDlqUrl },
    created,
  };
}

/** The same topology on an SQS endpoint that is already running; a caller naming no prefix gets queues of its own. */
async function attachQueues(endpoint: string, options: { prefix?: string } & QueueSettings): Promise<LocalQueues> {
  const client = createSqsClient({ endpoint });
  const names = queueNames(options.prefix ?? `pincode-bridge-${uniqueSuffix()}`);
  const created: string[] = [];
  try {
    const { urls } = await createTopology(client, names, options, created);
    const url = new URL(endpoint);
    return {
      endpoint,
      external: true,
      port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
      client,
      names,
      ...urls,
      async stop() {
        // Queues made for this caller alone go with it; named ones (local mode's) are kept.
        if (!options.prefix) {
          for (const QueueUrl of created) await client.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {});
        }
        client.destroy();
      },
    };
  } catch (error) {
    client.destroy();
    throw new Error(`SQS endpoint ${endpoint} (AWS_ENDPOINT_URL_SQS) did not answer: ${(error as Error).message}`);
  }
}
