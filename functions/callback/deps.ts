/** Builds the callback function's real dependencies once per container. */
import { createDynamoClient, createSecretsClient, createSqsClient } from "#adapters/aws-clients.ts";
import { createLogger, createMetrics } from "#adapters/observability.ts";
import { createQuarantineRepository } from "#adapters/quarantine-repository.ts";
import { createQueuePublisher } from "#adapters/queue-publisher.ts";
import { CallbackAuthSecretSchema, loadJsonSecret } from "#adapters/secrets.ts";
import type { CallbackDeps } from "./create-handler.ts";
import type { CallbackEnv } from "./env.ts";

export const SERVICE_NAME = "pincode-bridge-callback";

export function buildCallbackDeps(env: CallbackEnv): CallbackDeps {
  const secrets = createSecretsClient();
  return {
    authMode: env.CALLBACK_AUTH_MODE,
    // Cached per container by loadJsonSecret; a failed read is retried on the next request.
    loadAuthKeys: () => loadJsonSecret(secrets, env.CALLBACK_AUTH_SECRET_ARN, CallbackAuthSecretSchema),
    publisher: createQueuePublisher(createSqsClient()),
    eventsQueueUrl: env.EVENTS_QUEUE_URL,
    quarantine: createQuarantineRepository({ client: createDynamoClient(), tableName: env.TABLE_NAME }),
    logger: createLogger(SERVICE_NAME),
    metrics: createMetrics(SERVICE_NAME),
  };
}
