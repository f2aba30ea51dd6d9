import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { BY_STORE_INDEX, TTL_ATTRIBUTE } from "../../functions/adapters/table.ts";
import { logicalId, synthStage } from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;

describe("data stack: queues", () => {
  it("gives the events, poll and commands queues a DLQ with maxReceiveCount from config", () => {
    // Prepare
    const { data, dataTemplate, config } = synthStage("dev");

    // Act
    const queues = [data.eventsQueue, data.pollQueue, data.commandsQueue];

    // Assess
    for (const q of queues) {
      const props = (dataTemplate.findResources("AWS::SQS::Queue") as Resources)[logicalId(q.queue)]?.Properties;
      expect(props?.RedrivePolicy).toEqual({
        deadLetterTargetArn: { "Fn::GetAtt": [logicalId(q.deadLetterQueue), "Arn"] },
        maxReceiveCount: config.queues.maxReceiveCount,
      });
    }
    expect(config.queues.maxReceiveCount).toBe(5);
  });

  it("keeps DLQ messages for 14 days", () => {
    const { data, dataTemplate } = synthStage("dev");
    const queues = dataTemplate.findResources("AWS::SQS::Queue") as Resources;

    for (const q of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(queues[logicalId(q.deadLetterQueue)]?.Properties.MessageRetentionPeriod).toBe(FOURTEEN_DAYS);
    }
  });

  it("lets every queue and DLQ carry a 1 MiB message, so a 256 KiB callback plus its envelope always fits", () => {
    const { data, dataTemplate } = synthStage("dev");
    const queues = dataTemplate.findResources("AWS::SQS::Queue") as Resources;

    for (const q of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(queues[logicalId(q.queue)]?.Properties.MaximumMessageSize).toBe(1_048_576);
      expect(queues[logicalId(q.deadLetterQueue)]?.Properties.MaximumMessageSize).toBe(1_048_576);
    }
  });

  it("makes the commands queue and its DLQ FIFO without content-based deduplication", () => {
    const { data, dataTemplate } = synthStage("dev");
    const queues = dataTemplate.findResources("AWS::SQS::Queue") as Resources;

    const commands = queues[logicalId(data.commandsQueue.queue)]?.Properties;
    const dlq = queues[logicalId(data.commandsQueue.deadLetterQueue)]?.Properties;

    expect(commands).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      QueueName: "pincode-bridge-dev-commands.fifo",
    });
    expect(dlq).toMatchObject({ FifoQueue: true, QueueName: "pincode-bridge-dev-commands-dlq.fifo" });
    expect(queues[logicalId(data.eventsQueue.queue)]?.Properties.FifoQueue).toBeUndefined();
  });

  it("encrypts every queue with the customer-managed data key", () => {
    const { data, dataTemplate } = synthStage("dev");
    const queues = Object.values(dataTemplate.findResources("AWS::SQS::Queue") as Resources);

    expect(queues).toHaveLength(6);
    for (const q of queues) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ "Fn::GetAtt": [logicalId(data.dataKey), "Arn"] });
    }
    dataTemplate.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
  });

  it("denies non-TLS access to every queue", () => {
    const { dataTemplate } = synthStage("dev");
    const policies = Object.values(dataTemplate.findResources("AWS::SQS::QueuePolicy") as Resources);
    const protectedQueues = policies.flatMap((p) => p.Properties.Queues as unknown[]);

    expect(protectedQueues).toHaveLength(6);
    for (const p of policies) {
      expect((p.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "sqs:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
  });

  it("sets each work queue's visibility timeout to at least 6x its consumer's timeout", () => {
    const { data, dataTemplate, config } = synthStage("dev");
    const queues = dataTemplate.findResources("AWS::SQS::Queue") as Resources;
    const visibility = (q: { queue: unknown }) =>
      queues[logicalId(q.queue as never)]?.Properties.VisibilityTimeout as number;

    expect(visibility(data.eventsQueue)).toBeGreaterThanOrEqual(6 * config.processor.timeoutSeconds);
    expect(visibility(data.pollQueue)).toBeGreaterThanOrEqual(6 * config.poller.timeoutSeconds);
    expect(visibility(data.commandsQueue)).toBeGreaterThanOrEqual(6 * config.processor.timeoutSeconds);
  });
});

describe("data stack: table", () => {
  it("has the pk/sk key schema, the byStore GSI over storeId + updatedAt and the TTL attribute", () => {
    const { dataTemplate } = synthStage("dev");

    dataTemplate.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_STORE_INDEX.name,
          KeySchema: [
            { AttributeName: "storeId", KeyType: "HASH" },
            { AttributeName: "updatedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: "storeId", AttributeType: "S" },
        { AttributeName: "updatedAt", AttributeType: "N" },
      ]),
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it("enables point-in-time recovery and encrypts with the customer-managed data key", () => {
    const { data, dataTemplate } = synthStage("dev");

    dataTemplate.hasResourceProperties("AWS::DynamoDB::Table", {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: "KMS",
        KMSMasterKeyId: { "Fn::GetAtt": [logicalId(data.dataKey), "Arn"] },
      },
    });
  });

  it("retains the table, queues, key and secrets in prod", () => {
    const { dataTemplate } = synthStage("prod");

    for (const type of ["AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key", "AWS::SecretsManager::Secret"]) {
      const resources = Object.values(dataTemplate.findResources(type) as Resources);
      expect(resources.length, type).toBeGreaterThan(0);
      for (const r of resources) expect(r.DeletionPolicy, type).toBe("Retain");
    }
    dataTemplate.hasResourceProperties("AWS::DynamoDB::Table", { DeletionProtectionEnabled: true });
  });

  it("destroys the table, queues, key and secrets with the stack in dev", () => {
    const { dataTemplate } = synthStage("dev");

    for (const type of ["AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::KMS::Key", "AWS::SecretsManager::Secret"]) {
      for (const r of Object.values(dataTemplate.findResources(type) as Resources)) {
        expect(r.DeletionPolicy, type).toBe("Delete");
      }
    }
  });
});

describe("data stack: bus and secrets", () => {
  it("names the event bus pincode-bridge-<stage>", () => {
    synthStage("dev").dataTemplate.resourceCountIs("AWS::Events::EventBus", 1);
    synthStage("dev").dataTemplate.hasResourceProperties("AWS::Events::EventBus", { Name: "pincode-bridge-dev" });
    synthStage("prod").dataTemplate.hasResourceProperties("AWS::Events::EventBus", {
      Name: "pincode-bridge-prod",
    });
  });

  it("generates the Pincode credentials placeholder instead of writing one into the template", () => {
    const { dataTemplate } = synthStage("dev");

    dataTemplate.hasResourceProperties("AWS::SecretsManager::Secret", {
      Name: "pincode-bridge/dev/pincode-credentials",
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ clientId: "REPLACE_ME" }),
        GenerateStringKey: "clientSecret",
      }),
      SecretString: Match.absent(),
    });
  });

  it("builds the callback auth secret from generated values only, by dynamic reference", () => {
    const { data, dataTemplate } = synthStage("dev");
    const secret = (dataTemplate.findResources("AWS::SecretsManager::Secret") as Resources)[
      logicalId(data.callbackAuth)
    ];
    const rendered = JSON.stringify(secret?.Properties.SecretString);

    expect(secret?.Properties.Name).toBe("pincode-bridge/dev/callback-auth");
    expect(rendered).toContain('\\"clientId\\":\\"pincode-bridge-dev-pincode\\"');
    // Both secret fields resolve from generated seed secrets at deploy time, never from a literal.
    expect(rendered).toMatch(/clientSecret\\":\\"\{\{resolve:secretsmanager:/);
    expect(rendered).toMatch(/signingKey\\":\\"\{\{resolve:secretsmanager:/);
  });
});
