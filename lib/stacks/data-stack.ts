import { Duration, RemovalPolicy, SecretValue, Stack, type StackProps } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { NagSuppressions } from "cdk-nag";
import type { Construct } from "constructs";
import { BY_STORE_INDEX, TABLE_KEYS, TTL_ATTRIBUTE } from "../../functions/adapters/table.ts";
import type { StageConfig } from "../config/stage-config.ts";
import { QueueWithDlq } from "../constructs/queue-with-dlq.ts";

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/** AWS guidance for Lambda SQS sources: visibility timeout at least 6x the function timeout plus the batching window. */
export function visibilityTimeoutFor(functionTimeoutSeconds: number, batchingWindowSeconds = 0): Duration {
  return Duration.seconds(6 * functionTimeoutSeconds + batchingWindowSeconds);
}

/** Characters that would break the JSON the generated values are spliced into, or a shell that echoes them. */
const EXCLUDED_SECRET_CHARACTERS = `"'\\\`$`;

/**
 * Stateful resources: the orders table, the queues and their DLQs, the event bus and the secrets. Kept apart from
 * the functions so the app stack can be replaced freely while data stays put (and is retained in prod).
 */
export class DataStack extends Stack {
  /** Customer-managed key for the table and the queues: orders carry buyer PII, so decrypt access is auditable in
   * CloudTrail per key, can be revoked by key policy, and rotates yearly. */
  readonly dataKey: Key;
  readonly table: Table;
  readonly eventsQueue: QueueWithDlq;
  readonly pollQueue: QueueWithDlq;
  readonly commandsQueue: QueueWithDlq;
  readonly eventBus: EventBus;
  /** `{"clientId","clientSecret"}` issued by Pincode; created with a placeholder the operator replaces. */
  readonly pincodeCredentials: Secret;
  /** `{"clientId","clientSecret","signingKey","staticToken"?}` for Pincode calling our callback endpoint. */
  readonly callbackAuth: Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = `pincode-bridge-${config.stage}`;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.dataKey = new Key(this, "DataKey", {
      alias: `alias/${prefix}-data`,
      description: `pincode-bridge ${config.stage}: orders table and queues`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(config.retainData ? 30 : 7),
    });

    this.table = new Table(this, "Table", {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: config.retainData,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: BY_STORE_INDEX.name,
      partitionKey: { name: BY_STORE_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: BY_STORE_INDEX.sortKey, type: AttributeType.NUMBER },
      projectionType: ProjectionType.ALL,
    });

    const queueDefaults = {
      maxReceiveCount: config.queues.maxReceiveCount,
      encryptionKey: this.dataKey,
      removalPolicy,
    };
    this.eventsQueue = new QueueWithDlq(this, "Events", {
      ...queueDefaults,
      queueName: `${prefix}-events`,
      visibilityTimeout: visibilityTimeoutFor(
        config.processor.timeoutSeconds,
        config.processor.maxBatchingWindowSeconds,
      ),
    });
    this.pollQueue = new QueueWithDlq(this, "Poll", {
      ...queueDefaults,
      queueName: `${prefix}-poll`,
      visibilityTimeout: visibilityTimeoutFor(config.poller.timeoutSeconds),
    });
    // Consumed by the processor once the seller API lands; same timeout budget as the events queue.
    this.commandsQueue = new QueueWithDlq(this, "Commands", {
      ...queueDefaults,
      queueName: `${prefix}-commands`,
      fifo: true,
      visibilityTimeout: visibilityTimeoutFor(config.processor.timeoutSeconds),
    });

    this.eventBus = new EventBus(this, "Bus", { eventBusName: `pincode-bridge-${config.stage}` });

    this.pincodeCredentials = new Secret(this, "PincodeCredentials", {
      secretName: `pincode-bridge/${config.stage}/pincode-credentials`,
      description:
        "Pincode client credentials {clientId, clientSecret}. Created with a placeholder: replace with put-secret-value (docs/deploy.md).",
      // A generated placeholder keeps even the placeholder out of the template; clientId REPLACE_ME marks it unset.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ clientId: "REPLACE_ME" }),
        generateStringKey: "clientSecret",
        excludeCharacters: EXCLUDED_SECRET_CHARACTERS,
      },
      removalPolicy,
    });

    // CloudFormation can generate one value per secret, and the callback secret needs two (client secret and JWT
    // signing key), so each is generated in a seed secret and spliced in by dynamic reference at deploy time. Only
    // CloudFormation reads the seeds; no function is granted access to them.
    const seed = (name: string, length: number) =>
      new Secret(this, `CallbackAuthSeed${name}`, {
        secretName: `pincode-bridge/${config.stage}/callback-auth-seed/${name.toLowerCase()}`,
        description: "Deploy-time seed for the callback auth secret; not read at runtime.",
        generateSecretString: { passwordLength: length, excludeCharacters: EXCLUDED_SECRET_CHARACTERS },
        removalPolicy,
      });
    const clientSecretSeed = seed("ClientSecret", 48);
    const signingKeySeed = seed("SigningKey", 64);
    this.callbackAuth = new Secret(this, "CallbackAuth", {
      secretName: `pincode-bridge/${config.stage}/callback-auth`,
      description:
        "Credentials Pincode uses to call our callback endpoint {clientId, clientSecret, signingKey, staticToken?}.",
      secretObjectValue: {
        clientId: SecretValue.unsafePlainText(`${prefix}-pincode`),
        clientSecret: clientSecretSeed.secretValue,
        signingKey: signingKeySeed.secretValue,
      },
      removalPolicy,
    });

    NagSuppressions.addResourceSuppressions(
      [this.pincodeCredentials],
      [
        {
          id: "AwsSolutions-SMG4",
          reason:
            "Pincode issues these client credentials out of band; they cannot be rotated from our account. Rotation is a documented manual step (docs/deploy.md).",
        },
      ],
    );
    NagSuppressions.addResourceSuppressions(
      [this.callbackAuth, clientSecretSeed, signingKeySeed],
      [
        {
          id: "AwsSolutions-SMG4",
          reason:
            "Pincode holds a copy of the callback client secret (registered by email, PINCODE-API 3.1), so automatic rotation would break callbacks; rotation is a coordinated manual step (docs/deploy.md).",
        },
      ],
    );
  }
}
