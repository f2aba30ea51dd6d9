/**
 * `pincode-bridge console --stage <stage>`: the console (issue 12) for a deployed stage, served on a loopback port;
 * its seller-API requests are forwarded signed with SigV4 and the standard credential chain
 * (console/proxy.ts), so nothing new is exposed on AWS. Local mode needs no command: `npm start` serves the same
 * page at http://127.0.0.1:$PORT/console.
 */
import type { Command } from "commander";
import { type CliContext, globals } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";

export interface ConsoleCommandDeps {
  /** Waits until the operator stops the server (Ctrl-C / SIGTERM); tests resolve it themselves. */
  untilStopped?: () => Promise<void>;
}

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });

/** The stage's seller API URL (stack output), region and credentials, as `--stage` commands use them. */
async function resolveStage(stage: string, region: string | undefined) {
  const [{ CloudFormationClient, DescribeStacksCommand }, { fromNodeProviderChain }, aws] = await Promise.all([
    import("@aws-sdk/client-cloudformation"),
    import("@aws-sdk/credential-providers"),
    import("../aws-target.ts"),
  ]);
  if (!region) throw new CliError(EXIT.CONFIG, "no AWS region", "pass --region <region> or set AWS_REGION");
  const credentials = fromNodeProviderChain();
  const stackName = aws.appStackName(stage);
  let outputs: Parameters<typeof aws.sellerApiUrlFrom>[0];
  try {
    const cfn = new CloudFormationClient({ region, credentials });
    outputs = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "CredentialsProviderError") {
      throw new CliError(EXIT.CONFIG, "no AWS credentials found", "run `aws sso login` or set AWS_PROFILE");
    }
    throw new CliError(
      EXIT.CONFIG,
      `cannot read stack ${stackName} in ${region}: ${name}`,
      "check --stage and --region",
    );
  }
  const apiUrl = aws.sellerApiUrlFrom(outputs);
  if (!apiUrl) {
    throw new CliError(
      EXIT.CONFIG,
      `stack ${stackName} has no ${aws.SELLER_API_URL_OUTPUT} output`,
      "deploy a release with the seller API",
    );
  }
  return { apiUrl, region, credentials };
}

export function registerConsole(program: Command, ctx: CliContext, deps: ConsoleCommandDeps = {}): void {
  program
    .command("console")
    .description(
      "serve the console for a deployed stage on localhost, signing its requests with your AWS credentials (local mode serves it itself at /console)",
    )
    .option("--port <port>", "loopback port to serve on (0: a free one)", "0")
    .action(async (options: { port: string }, cmd: Command) => {
      const g = globals(cmd);
      const stage = g.stage ?? ctx.env.PINCODE_BRIDGE_STAGE;
      if (!stage || g.local) {
        throw new CliError(
          EXIT.USAGE,
          "console needs --stage <stage>",
          "for local mode open the console link `npm start` prints first (http://127.0.0.1:3000/console)",
        );
      }
      if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535) {
        throw new CliError(EXIT.USAGE, "--port: expected a port number from 0 to 65535", "omit it for a free port");
      }
      const target = await resolveStage(stage, g.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION);
      const { startConsoleProxy } = await import("../../../console/proxy.ts");
      const proxy = await startConsoleProxy({ ...target, port: Number(options.port) });
      ctx.io.out(`console: ${proxy.consoleUrl}`);
      ctx.io.out(`  stage ${stage} (${target.region}): requests signed with your AWS credentials; Ctrl-C stops`);
      await (deps.untilStopped ?? untilSignal)();
      await proxy.stop();
    });
}
