/** What every command gets: output, environment, the target opener and a clock (tests substitute them). */
import type { Command } from "commander";
import type { ApiClient } from "./client.ts";
import type { Io } from "./output.ts";
import { openTarget, type TargetOptions } from "./target.ts";

export interface CliContext {
  io: Io;
  env: NodeJS.ProcessEnv;
  cwd: string;
  open(options: TargetOptions): Promise<ApiClient>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export function defaultContext(io: Io): CliContext {
  return {
    io,
    env: process.env,
    cwd: process.cwd(),
    open: (options) => openTarget(options, process.env),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  };
}

export interface GlobalOptions extends TargetOptions {
  json?: boolean;
}

/** The global options (--local, --stage, --region, --url, --json) as seen from any subcommand. */
export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export async function clientFor(ctx: CliContext, command: Command): Promise<ApiClient> {
  const o = globals(command);
  return ctx.open({
    ...(o.local ? { local: true } : {}),
    ...(o.stage ? { stage: o.stage } : {}),
    ...(o.region ? { region: o.region } : {}),
    ...(o.url ? { url: o.url } : {}),
  });
}
