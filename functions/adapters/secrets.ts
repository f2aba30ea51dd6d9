/**
 * Reads JSON secrets from Secrets Manager once per container and validates their shape, so a misconfigured secret
 * fails at cold start with a message naming the secret's field, never echoing a value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { z } from "zod";

export const PincodeCredentialsSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});
export type PincodeCredentials = z.infer<typeof PincodeCredentialsSchema>;

export const CallbackAuthSecretSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(16),
  /** HMAC key for the JWTs our token endpoint issues. */
  signingKey: z.string().min(32),
  /** Static-token fallback (PINCODE-API §3.1: Pincode says it will be deprecated). */
  staticToken: z.string().min(16).optional(),
});
export type CallbackAuthSecret = z.infer<typeof CallbackAuthSecretSchema>;

const cache = new Map<string, Promise<unknown>>();

export function loadJsonSecret<T>(client: SecretsManagerClient, secretId: string, schema: z.ZodType<T>): Promise<T> {
  const key = secretId;
  let pending = cache.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = (async () => {
      const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      let json: unknown;
      try {
        json = JSON.parse(result.SecretString ?? "");
      } catch {
        throw new Error(`secret ${secretId} is not a JSON object`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
        throw new Error(`secret ${secretId} is missing or has invalid fields: ${fields}`);
      }
      return parsed.data;
    })();
    // A failed read must not be cached: the next invocation retries.
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}
