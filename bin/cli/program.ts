/**
 * The `pincode-bridge` command line: global options, the command tree, and one place that turns every failure into
 * an exit code (exit-codes.ts) and a message saying what to do next. `run` is what bin/pincode-bridge.mjs calls and
 * what the tests call in-process.
 */
import { Command, CommanderError, Option } from "commander";
import { registerConsole } from "./commands/console.ts";
import { registerListings } from "./commands/listings.ts";
import { registerLookups } from "./commands/lookups.ts";
import { registerOps } from "./commands/ops.ts";
import { registerOrders } from "./commands/orders.ts";
import { registerStore } from "./commands/store.ts";
import type { CliContext } from "./context.ts";
import { CliError, EXIT, type ExitCode } from "./exit-codes.ts";
import { formatError } from "./output.ts";

export const EXIT_CODES_HELP = `
Targets:
  --local                 local mode (npm start): PINCODE_BRIDGE_URL (default http://127.0.0.1:3000) and
                          SELLER_API_KEY (Bearer key) from the environment or ./.env
  --stage <stage>         a deployed stage: the seller API URL from stack PincodeBridge-<stage>-App, requests
                          signed with SigV4 (AWS credentials from the standard chain: env, profile, SSO, role)

Exit codes:
  0  done (for an action: Pincode accepted it)
  1  refused or failed: Pincode rejected it, the state forbids it, rows not applied
  2  usage: wrong command line or request (400)
  3  configuration or authorisation: no target, no key or credentials, stack not found, 401/403
  4  not found: order, command, submission, queue or quarantined callback
  5  unavailable: the bridge cannot be reached, failed (5xx), or did not answer in time; safe to retry`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("pincode-bridge")
    .description("operate pincode-bridge: orders, stores, catalog, queues and quarantined callbacks")
    .addOption(new Option("--local", "talk to local mode (PINCODE_BRIDGE_URL, SELLER_API_KEY)").conflicts("stage"))
    .addOption(new Option("--stage <stage>", "talk to a deployed stage (AWS, SigV4)").env("PINCODE_BRIDGE_STAGE"))
    .option("--region <region>", "the stage's AWS region (default AWS_REGION)")
    .option("--url <url>", "local mode's URL (default PINCODE_BRIDGE_URL or http://127.0.0.1:3000)")
    .option("--json", "print JSON (the API's answers) instead of tables")
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .configureOutput({
      writeOut: (text) => ctx.io.out(text.replace(/\n$/, "")),
      writeErr: (text) => ctx.io.err(text.replace(/\n$/, "")),
    });
  registerOrders(program, ctx);
  registerStore(program, ctx);
  registerListings(program, ctx);
  registerLookups(program, ctx);
  registerOps(program, ctx);
  registerConsole(program, ctx);
  // Every command: usage errors throw (exit 2) instead of exiting the process, and --help works at every level.
  const configure = (command: Command) => {
    command.exitOverride().showHelpAfterError("(add --help for usage)");
    command.configureOutput({
      writeOut: (text) => ctx.io.out(text.replace(/\n$/, "")),
      writeErr: (text) => ctx.io.err(text.replace(/\n$/, "")),
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[], ctx: CliContext): Promise<ExitCode> {
  let wrote = false;
  const io = {
    ...ctx.io,
    out: (text: string) => {
      wrote = true;
      ctx.io.out(text);
    },
  };
  const program = buildProgram({ ...ctx, io });
  const json = argv.includes("--json");
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; everything else commander refuses is a usage error.
      if (error.exitCode === 0) return EXIT.OK;
      return EXIT.USAGE;
    }
    const cliError =
      error instanceof CliError
        ? error
        : new CliError(
            EXIT.UNAVAILABLE,
            `unexpected failure: ${(error as Error).message}`,
            "retry; if it persists, report it with the command you ran",
          );
    const { text, json: body } = formatError(cliError);
    ctx.io.err(text);
    // Under --json a script reads stdout: give it the error as JSON unless a result was printed already.
    if (json && !wrote) ctx.io.out(JSON.stringify(body, null, 2));
    return cliError.exitCode;
  }
}
