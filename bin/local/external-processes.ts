/**
 * dynalite, fauxqs and the Pincode sandbox each in a `node` child process of its own (issue 11): local mode in one
 * process can use one core at most, and under load its emulators, sandbox and functions all queued behind each other.
 * Each child listens on a free port and reports it back; the endpoints come back as the variables local mode already
 * honours for an emulator or a Pincode that runs elsewhere (AWS_ENDPOINT_URL_DYNAMODB / _SQS, PINCODE_*), so the
 * pipeline takes the same paths it takes for DynamoDB Local or a staging Pincode.
 *
 *   const external = await startExternalProcesses({ sandbox: { SANDBOX_SEED: "7", SANDBOX_RATE_LIMIT_PER_S: "20" } });
 *   const config = loadLocalConfig({ ...myEnv, ...external.env }, ["--in-memory"]);
 *   const pipeline = await startLocalPipeline(config);
 *   await external.sandbox.registerCallback({ url: pipeline.callbackUrl, tokenUrl: pipeline.tokenUrl, ...pipeline.callbackClient });
 *   await external.sandbox.createOrder({ storeId: "S01" });
 *   ...
 *   await pipeline.stop(); await external.stop();
 *
 * Only the processes started here are ever signalled. They also end by themselves when this process ends, however it
 * ends (external-child.ts exits when its IPC channel closes), and `exit` kills them if they are still running.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { httpSandboxControl, type SandboxControl } from "../../sandbox/control.ts";
import type { ChildMessage, ExternalKind } from "./external-child.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CHILD = join(import.meta.dirname, "external-child.ts");

export interface ExternalProcessesOptions {
  /** Start dynalite (default true). */
  dynamodb?: boolean;
  /** Start fauxqs (default true). */
  sqs?: boolean;
  /**
   * Start the sandbox (default: yes, with its defaults), with these `npm run sandbox` variables: SANDBOX_SEED,
   * SANDBOX_STORES, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_UPDATED_AT, SANDBOX_RATE_LIMIT_PER_S,
   * SANDBOX_RATE_LIMITS, SANDBOX_RATE_LIMIT_BURST_S. `false`: no sandbox.
   */
  sandbox?: Record<string, string> | false;
  /** Where the children listen (default 127.0.0.1). */
  host?: string;
  /** How long one child may take to report its port (default 60 s: a loaded machine starts `tsx` slowly). */
  readyTimeoutMs?: number;
  /** The children's stderr, a line at a time (the sandbox reports failed callbacks there). */
  log?: (line: string) => void;
}

export interface ExternalProcesses {
  /** dynalite's endpoint (AWS_ENDPOINT_URL_DYNAMODB), when started. */
  dynamodbEndpoint: string | undefined;
  /** fauxqs's endpoint (AWS_ENDPOINT_URL_SQS), when started. */
  sqsEndpoint: string | undefined;
  /** The sandbox's base URL, when started. */
  sandboxUrl: string | undefined;
  /** Drives the sandbox over its admin API; throws when no sandbox was started. */
  sandbox: SandboxControl;
  /**
   * Local mode's variables for these processes: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS and PINCODE_API_BASE_URL,
   * PINCODE_AUTH_URL, PINCODE_CLIENT_ID, PINCODE_CLIENT_SECRET (only those started). Local mode treats the sandbox
   * as an outside Pincode: its budget defaults to 10 calls/s unless PINCODE_RATE_LIMIT_PER_S is set.
   */
  env: Record<string, string>;
  /** Process ids, for tools that report them (and the test that checks none is left). */
  pids: Partial<Record<ExternalKind, number>>;
  stop(): Promise<void>;
}

interface Started {
  kind: ExternalKind;
  child: ChildProcess;
  endpoint: string;
}

function spawnChild(
  kind: ExternalKind,
  env: Record<string, string>,
  options: ExternalProcessesOptions,
  children: Set<ChildProcess>,
): Promise<Started> {
  const child = fork(CHILD, [kind], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env, EXTERNAL_HOST: options.host ?? "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (child.stderr) {
    const lines = createInterface({ input: child.stderr });
    lines.on("line", (line) => options.log?.(`${kind}: ${line}`));
  }
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${kind} child did not report ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`${kind} child exited before it was ready (code ${code}, signal ${signal})`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.off("exit", onExit);
      reject(error);
    }
    child.once("exit", onExit);
    child.once("error", fail);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "failed") return fail(new Error(`${kind} child failed to start: ${message.message}`));
      clearTimeout(timer);
      child.off("exit", onExit);
      resolve({ kind, child, endpoint: message.endpoint });
    });
  });
}

/** Signals one child and waits for it to exit: SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startExternalProcesses(options: ExternalProcessesOptions = {}): Promise<ExternalProcesses> {
  const children = new Set<ChildProcess>();
  // Still running when this process exits (an uncaught exception, process.exit): killed, synchronously.
  const killOnExit = () => {
    for (const child of children) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);
  const stop = async () => {
    await Promise.all([...children].map((child) => stopChild(child)));
    process.off("exit", killOnExit);
  };

  const sandboxEnv = options.sandbox === false ? undefined : (options.sandbox ?? {});
  const wanted: Array<[ExternalKind, Record<string, string>]> = [];
  if (options.dynamodb !== false) wanted.push(["dynamodb", {}]);
  if (options.sqs !== false) wanted.push(["sqs", {}]);
  if (sandboxEnv) wanted.push(["sandbox", sandboxEnv]);

  const results = await Promise.allSettled(wanted.map(([kind, env]) => spawnChild(kind, env, options, children)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const started = new Map(
    results.map((r) => {
      const s = (r as PromiseFulfilledResult<Started>).value;
      return [s.kind, s] as const;
    }),
  );
  const endpoint = (kind: ExternalKind) => started.get(kind)?.endpoint;
  const env: Record<string, string> = {};
  const dynamodbEndpoint = endpoint("dynamodb");
  const sqsEndpoint = endpoint("sqs");
  const sandboxUrl = endpoint("sandbox");
  if (dynamodbEndpoint) env.AWS_ENDPOINT_URL_DYNAMODB = dynamodbEndpoint;
  if (sqsEndpoint) env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
  if (sandboxUrl && sandboxEnv) {
    env.PINCODE_API_BASE_URL = sandboxUrl;
    env.PINCODE_AUTH_URL = sandboxUrl;
    env.PINCODE_CLIENT_ID = sandboxEnv.SANDBOX_CLIENT_ID || "sandbox-client";
    env.PINCODE_CLIENT_SECRET = sandboxEnv.SANDBOX_CLIENT_SECRET || "sandbox-secret";
  }
  const control = sandboxUrl ? httpSandboxControl(sandboxUrl) : undefined;
  return {
    dynamodbEndpoint,
    sqsEndpoint,
    sandboxUrl,
    get sandbox(): SandboxControl {
      if (!control) throw new Error("no sandbox was started (options.sandbox is false)");
      return control;
    },
    env,
    pids: Object.fromEntries([...started].map(([kind, s]) => [kind, s.child.pid as number])),
    stop,
  };
}
