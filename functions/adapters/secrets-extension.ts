/**
 * Reads a secret through the AWS Parameters and Secrets Lambda extension (a layer the CDK adds to the function):
 * one HTTP GET to localhost instead of a Secrets Manager SDK client in the bundle. The callback function uses it
 * (issue 11: its cold start should cost about what a bare SQS client costs). Node's own fetch, nothing bundled.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
 *   GET http://localhost:${PARAMETERS_SECRETS_EXTENSION_HTTP_PORT:-2773}/secretsmanager/get?secretId=<id>
 *   header X-Aws-Parameters-Secrets-Token: $AWS_SESSION_TOKEN
 *   -> the GetSecretValue response as JSON (`SecretString`, ...).
 * Errors name the secret id and the HTTP status, never the secret's content.
 */

export const DEFAULT_EXTENSION_PORT = 2773;

export interface SecretsExtensionOptions {
  /** Default: PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, else 2773. */
  port?: number;
  /** Default: AWS_SESSION_TOKEN (the extension refuses requests without it). */
  sessionToken?: string;
  /** Default: 127.0.0.1; tests point it at their own server. */
  host?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretUnavailableError";
  }
}

export async function getSecretStringFromExtension(
  secretId: string,
  options: SecretsExtensionOptions = {},
): Promise<string> {
  const env = options.env ?? process.env;
  const port = options.port ?? (Number(env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT) || DEFAULT_EXTENSION_PORT);
  const token = options.sessionToken ?? env.AWS_SESSION_TOKEN ?? "";
  const url = `http://${options.host ?? "127.0.0.1"}:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { "X-Aws-Parameters-Secrets-Token": token },
      signal: AbortSignal.timeout(options.timeoutMs ?? 3_000),
    });
  } catch (error) {
    throw new SecretUnavailableError(
      `secret ${secretId}: the Parameters and Secrets extension did not answer (${(error as Error).name})`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SecretUnavailableError(
      `secret ${secretId}: the Parameters and Secrets extension answered ${response.status}`,
    );
  }
  let secretString: unknown;
  try {
    secretString = (JSON.parse(text) as { SecretString?: unknown }).SecretString;
  } catch {
    throw new SecretUnavailableError(`secret ${secretId}: the extension's answer is not JSON`);
  }
  if (typeof secretString !== "string") {
    throw new SecretUnavailableError(`secret ${secretId} has no SecretString (binary secrets are not supported)`);
  }
  return secretString;
}

/**
 * Caches a loader's result per container; a failed load is not cached, so the next request retries (the callback
 * answers 503 meanwhile and Pincode retries).
 */
export function cachedOnSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = load();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}
