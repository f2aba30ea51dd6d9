/**
 * Which bridge the CLI talks to. Local mode: `--local` or PINCODE_BRIDGE_URL (default http://127.0.0.1:3000), with
 * SELLER_API_KEY as a Bearer key. AWS: `--stage <stage>` [`--region`], the seller API URL read from the stack's
 * outputs, requests signed with SigV4 and the standard credential chain (aws-target.ts, loaded only then).
 */
import { type ApiClient, createHttpClient } from "./client.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface TargetOptions {
  local?: boolean;
  stage?: string;
  region?: string;
  url?: string;
}

export const DEFAULT_LOCAL_URL = "http://127.0.0.1:3000";
/** Local mode refuses shorter keys; so do we, before a request leaks a typo. */
export const MIN_KEY_LENGTH = 16;

export async function openTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<ApiClient> {
  const stage = options.stage ?? env.PINCODE_BRIDGE_STAGE;
  if (options.local && stage && options.stage) {
    throw new CliError(EXIT.USAGE, "--local and --stage name two targets", "pass one of them");
  }
  if (stage && !options.local) {
    const { openAwsTarget } = await import("./aws-target.ts");
    return openAwsTarget({ stage, ...(options.region ? { region: options.region } : {}), env });
  }
  const url = options.url ?? env.PINCODE_BRIDGE_URL;
  if (!options.local && !url) {
    throw new CliError(
      EXIT.CONFIG,
      "no target: say which bridge to talk to",
      "pass --local (local mode, SELLER_API_KEY) or --stage <stage> for a deployed stack, or set PINCODE_BRIDGE_URL",
    );
  }
  return openLocalTarget(url ?? DEFAULT_LOCAL_URL, env.SELLER_API_KEY);
}

export function openLocalTarget(url: string, key: string | undefined): ApiClient {
  try {
    new URL(url);
  } catch {
    throw new CliError(EXIT.CONFIG, "PINCODE_BRIDGE_URL is not a URL", "expected e.g. http://127.0.0.1:3000");
  }
  const apiKey = key?.trim();
  if (!apiKey || apiKey.length < MIN_KEY_LENGTH) {
    throw new CliError(
      EXIT.CONFIG,
      apiKey ? `SELLER_API_KEY is shorter than ${MIN_KEY_LENGTH} characters` : "SELLER_API_KEY is not set",
      "set SELLER_API_KEY to the key local mode uses (it prints a generated one at start, or reads it from .env)",
    );
  }
  return createHttpClient({
    baseUrl: url,
    describe: `local mode at ${url}`,
    sign: async ({ headers }) => ({ ...headers, authorization: `Bearer ${apiKey}` }),
  });
}
