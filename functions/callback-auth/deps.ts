/** Builds the token endpoint's real dependencies once per container. */
import { createSecretsClient } from "#adapters/aws-clients.ts";
import { createEmfMetrics, type EmfMetrics } from "#adapters/emf-writer.ts";
import { createLogger } from "#adapters/observability.ts";
import { CallbackAuthSecretSchema, loadJsonSecret } from "#adapters/secrets.ts";
import type { CallbackAuthDeps } from "./create-handler.ts";
import type { CallbackAuthEnv } from "./env.ts";

export const SERVICE_NAME = "pincode-bridge-callback-auth";

export function buildCallbackAuthDeps(env: CallbackAuthEnv): CallbackAuthDeps & { metrics: EmfMetrics } {
  const secrets = createSecretsClient();
  return {
    authMode: env.CALLBACK_AUTH_MODE,
    loadAuthSecret: () => loadJsonSecret(secrets, env.CALLBACK_AUTH_SECRET_ARN, CallbackAuthSecretSchema),
    ...(env.CALLBACK_TOKEN_TTL_SECONDS ? { tokenTtlSeconds: env.CALLBACK_TOKEN_TTL_SECONDS } : {}),
    logger: createLogger(SERVICE_NAME),
    metrics: createEmfMetrics(SERVICE_NAME),
  };
}
