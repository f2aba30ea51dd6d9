/**
 * Builds the callback function's real dependencies once per container: one SQS client and nothing else from the AWS
 * SDK. The auth secret comes through the Parameters and Secrets Lambda extension (a layer, see app-stack), refused
 * callbacks travel to quarantine on the events queue (the processor writes them), so the bundle holds neither the
 * Secrets Manager nor the DynamoDB client (issue 11).
 */
import { createSqsClient } from "#adapters/aws-clients.ts";
import { createEmfMetrics, type EmfMetrics } from "#adapters/emf-writer.ts";
import { createLogger } from "#adapters/observability.ts";
import { createQueuePublisher } from "#adapters/queue-publisher.ts";
import { cachedOnSuccess, getSecretStringFromExtension } from "#adapters/secrets-extension.ts";
import { parseCallbackAuthKeys } from "#core/callback-auth.ts";
import type { CallbackDeps } from "./create-handler.ts";
import type { CallbackEnv } from "./env.ts";

export const SERVICE_NAME = "pincode-bridge-callback";

export function buildCallbackDeps(env: CallbackEnv): CallbackDeps & { metrics: EmfMetrics } {
  const secretId = env.CALLBACK_AUTH_SECRET_ARN;
  return {
    authMode: env.CALLBACK_AUTH_MODE,
    // Cached per container; a failed read is retried on the next request (503 meanwhile, Pincode retries).
    loadAuthKeys: cachedOnSuccess(async () =>
      parseCallbackAuthKeys(await getSecretStringFromExtension(secretId), secretId),
    ),
    publisher: createQueuePublisher(createSqsClient()),
    eventsQueueUrl: env.EVENTS_QUEUE_URL,
    logger: createLogger(SERVICE_NAME),
    metrics: createEmfMetrics(SERVICE_NAME),
  };
}
