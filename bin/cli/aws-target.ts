/**
 * A deployed stage as a target: the seller API URL from the app stack's outputs (CloudFormation DescribeStacks),
 * requests signed with SigV4 for execute-api with the standard credential chain (env, profile, SSO, instance role).
 * Loaded only for `--stage`, so local use never pays for the AWS SDK.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { CloudFormationClient, DescribeStacksCommand, type Output } from "@aws-sdk/client-cloudformation";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { SignatureV4 } from "@smithy/signature-v4";
import { type ApiClient, createHttpClient } from "./client.ts";
import { CliError, EXIT } from "./exit-codes.ts";

/** The app stack's name for a stage (lib/app/build-app.ts). */
export const appStackName = (stage: string) => `PincodeBridge-${stage}-App`;
/** The output holding the seller API's base URL. */
export const SELLER_API_URL_OUTPUT = "SellerApiUrl";

export function sellerApiUrlFrom(outputs: readonly Output[] | undefined): string | undefined {
  const exact = outputs?.find((o) => o.OutputKey === SELLER_API_URL_OUTPUT)?.OutputValue;
  return exact ?? outputs?.find((o) => /^SellerApi\w*Url/.test(o.OutputKey ?? ""))?.OutputValue;
}

export async function openAwsTarget(options: {
  stage: string;
  region?: string;
  env: NodeJS.ProcessEnv;
}): Promise<ApiClient> {
  const region = options.region ?? options.env.AWS_REGION ?? options.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new CliError(EXIT.CONFIG, "no AWS region", "pass --region <region> or set AWS_REGION");
  }
  const credentials = fromNodeProviderChain();
  const stackName = appStackName(options.stage);
  let outputs: Output[] | undefined;
  try {
    const cfn = new CloudFormationClient({ region, credentials });
    outputs = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "CredentialsProviderError") {
      throw new CliError(EXIT.CONFIG, "no AWS credentials found", "run `aws sso login` or set AWS_PROFILE");
    }
    if (name === "ValidationError") {
      throw new CliError(
        EXIT.CONFIG,
        `stack ${stackName} not found in ${region}`,
        "check --stage and --region; deploy with `npx cdk deploy -c stage=<stage>` (docs/deploy.md)",
      );
    }
    throw new CliError(EXIT.CONFIG, `cannot read stack ${stackName}: ${name}`, "check your AWS credentials and region");
  }
  const url = sellerApiUrlFrom(outputs);
  if (!url) {
    throw new CliError(
      EXIT.CONFIG,
      `stack ${stackName} has no ${SELLER_API_URL_OUTPUT} output`,
      "deploy a release with the seller API (npx cdk deploy -c stage=<stage>)",
    );
  }
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
  return createHttpClient({
    baseUrl: url,
    describe: `stage ${options.stage} (${region})`,
    sign: async ({ method, url: target, headers, body }) => {
      const signed = await signer.sign({
        method,
        protocol: target.protocol,
        hostname: target.hostname,
        ...(target.port ? { port: Number(target.port) } : {}),
        path: target.pathname,
        query: Object.fromEntries(target.searchParams.entries()),
        headers: { ...headers, host: target.host },
        ...(body !== undefined ? { body } : {}),
      });
      // fetch sets Host itself, to the value just signed.
      const { host: _host, ...rest } = signed.headers as Record<string, string>;
      return rest;
    },
  });
}
