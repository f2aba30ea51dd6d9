/**
 * AWS SDK clients, created once per module (cold start) and shared. On AWS they use the function's role and region;
 * locally and in tests an explicit endpoint points them at dynalite / fauxqs.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";

export interface ClientOptions {
  /** Emulator endpoint, e.g. http://127.0.0.1:8000. Omit on AWS. */
  endpoint?: string;
  region?: string;
}

const region = (o: ClientOptions) => o.region ?? process.env.AWS_REGION ?? "ap-south-1";
/** Emulators accept any credentials; never used on AWS, where the function role provides them. */
const emulatorCredentials = { accessKeyId: "local", secretAccessKey: "local" };

export function createDynamoClient(options: ClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient({
    region: region(options),
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: emulatorCredentials } : {}),
  });
}

export function createSqsClient(options: ClientOptions = {}): SQSClient {
  return new SQSClient({
    region: region(options),
    // fauxqs queue URLs use the host sqs.<region>.localhost; with an explicit endpoint, send to it instead.
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: emulatorCredentials, useQueueUrlAsEndpoint: false }
      : {}),
  });
}

export function createEventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient({
    region: region(options),
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: emulatorCredentials } : {}),
  });
}

export function createSecretsClient(options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient({ region: region(options) });
}
