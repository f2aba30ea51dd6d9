/**
 * Cold start: each function's bundle built exactly as PincodeFunction builds it (esbuild, ESM, node20, minified, the
 * same banner), beside a bundle of only the AWS SDK client(s) that function needs; and the module-initialisation time
 * of each bundle in a fresh `node` process (import() until `handler` exists), median of several runs.
 * Node's own start-up and Lambda's runtime/extension init are not included: the same for both sides.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";
import { median, type Row } from "./support.ts";

/** Same variables as test/infra/bundle.test.ts: a handler parses its environment at import. */
const CONTRACT_ENV = {
  AWS_REGION: "ap-south-1",
  AWS_ACCESS_KEY_ID: "bench",
  AWS_SECRET_ACCESS_KEY: "bench",
  TABLE_NAME: "pincode-bridge-bench",
  EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-bench-events",
  POLL_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-bench-poll",
  COMMANDS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-bench-commands.fifo",
  EVENT_BUS_NAME: "pincode-bridge-bench",
  PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com",
  PINCODE_AUTH_URL: "https://stg-identitymanager.phonepe.com",
  PINCODE_CREDENTIALS_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:pincode-credentials",
  CALLBACK_AUTH_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:callback-auth",
  CALLBACK_AUTH_MODE: "oauth",
  STORE_IDS: "S01",
  POLL_LOOKBACK_MS: "600000",
  POLL_SETTLE_MS: "30000",
  POLL_PAGE_SIZE: "10",
  POLL_TIME_BUDGET_MS: "45000",
  POWERTOOLS_SERVICE_NAME: "pincode-bridge-bench",
  POWERTOOLS_METRICS_NAMESPACE: "PincodeBridge",
  LOG_LEVEL: "ERROR",
};

/** The bare clients each function sends with: one command each, created once, as a minimal handler would. */
const CLIENTS: Record<string, { pkg: string; client: string; command: string }> = {
  sqs: { pkg: "@aws-sdk/client-sqs", client: "SQSClient", command: "SendMessageCommand" },
  dynamodb: { pkg: "@aws-sdk/client-dynamodb", client: "DynamoDBClient", command: "PutItemCommand" },
  secrets: { pkg: "@aws-sdk/client-secrets-manager", client: "SecretsManagerClient", command: "GetSecretValueCommand" },
  eventbridge: { pkg: "@aws-sdk/client-eventbridge", client: "EventBridgeClient", command: "PutEventsCommand" },
};

export const FUNCTION_CLIENTS: Record<string, string[]> = {
  callback: ["sqs"],
  "callback-auth": ["secrets"],
  poller: ["dynamodb", "sqs", "secrets"],
  processor: ["dynamodb", "eventbridge", "secrets"],
};

function bareEntry(clients: readonly string[]): string {
  const lines = clients.map((c, i) => {
    const spec = CLIENTS[c] as (typeof CLIENTS)[string];
    return `import { ${spec.client} as C${i}, ${spec.command} as K${i} } from "${spec.pkg}";\nconst c${i} = new C${i}({});`;
  });
  const sends = clients.map((_, i) => `await c${i}.send(new K${i}(event));`).join("\n  ");
  return `${lines.join("\n")}\nexport const handler = async (event) => {\n  ${sends}\n  return { statusCode: 200 };\n};\n`;
}

const BUILD_OPTIONS = {
  bundle: true,
  platform: "node" as const,
  format: "esm" as const,
  target: "node20",
  minify: true,
  mainFields: ["module", "main"],
  banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  logLevel: "error" as const,
};

async function bundle(outfile: string, entry: { file: string } | { contents: string }): Promise<number> {
  await build({
    ...BUILD_OPTIONS,
    outfile,
    ...("file" in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.contents, resolveDir: REPO_ROOT, loader: "js" as const } }),
  });
  return statSync(outfile).size;
}

/**
 * Module init of one bundle in a fresh `node`: wall time, and the CPU time the import used (user + system). On a
 * shared machine the wall clock also counts the time spent waiting for a core; the CPU time does not, and module
 * init has no I/O to wait for besides reading the file, so it is the steadier figure (the wall time is reported too).
 */
function initTimeMs(file: string): { wallMs: number; cpuMs: number } {
  const out = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const c = process.cpuUsage(); const t = performance.now(); const m = await import(${JSON.stringify(file)});` +
        `if (typeof m.handler !== "function") throw new Error("no handler");` +
        `const w = performance.now() - t; const u = process.cpuUsage(c);` +
        `process.stdout.write(JSON.stringify({ wallMs: w, cpuMs: (u.user + u.system) / 1000 }));`,
    ],
    { env: { PATH: process.env.PATH, ...CONTRACT_ENV, NODE_NO_WARNINGS: "1" }, encoding: "utf8", timeout: 60_000 },
  );
  return JSON.parse(out.trim()) as { wallMs: number; cpuMs: number };
}

export interface ColdStartResult {
  name: string;
  bytes: number;
  bareBytes: number;
  /** CPU time of the import, median. */
  initMs: number;
  bareInitMs: number;
  /** Wall time of the import, median. */
  initWallMs: number;
  bareInitWallMs: number;
}

export async function benchColdStart(
  runs: number,
  log: (line: string) => void,
  only?: readonly string[],
): Promise<{ rows: Row[]; results: ColdStartResult[] }> {
  const dir = mkdtempSync(join(tmpdir(), "pincode-bridge-bench-"));
  const rows: Row[] = [];
  const results: ColdStartResult[] = [];
  try {
    for (const [name, clients] of Object.entries(FUNCTION_CLIENTS)) {
      if (only && !only.includes(name)) continue;
      const mine = join(dir, `${name}.mjs`);
      const bare = join(dir, `${name}-bare.mjs`);
      const bytes = await bundle(mine, { file: join(REPO_ROOT, "functions", name, "handler.ts") });
      const bareBytes = await bundle(bare, { contents: bareEntry(clients) });
      // Alternate the two so machine noise falls on both sides alike.
      const mineTimes: Array<{ wallMs: number; cpuMs: number }> = [];
      const bareTimes: Array<{ wallMs: number; cpuMs: number }> = [];
      for (let i = 0; i < runs; i++) {
        bareTimes.push(initTimeMs(bare));
        mineTimes.push(initTimeMs(mine));
      }
      const result = {
        name,
        bytes,
        bareBytes,
        initMs: median(mineTimes.map((t) => t.cpuMs)),
        bareInitMs: median(bareTimes.map((t) => t.cpuMs)),
        initWallMs: median(mineTimes.map((t) => t.wallMs)),
        bareInitWallMs: median(bareTimes.map((t) => t.wallMs)),
      };
      results.push(result);
      log(
        `cold start ${name}: ${(bytes / 1024).toFixed(0)} KiB (bare ${clients.join("+")}: ${(bareBytes / 1024).toFixed(0)} KiB), init ${result.initMs.toFixed(1)} ms CPU (bare ${result.bareInitMs.toFixed(1)} ms), wall ${result.initWallMs.toFixed(1)} ms (bare ${result.bareInitWallMs.toFixed(1)} ms)`,
      );
      const label = `bare ${clients.map((c) => CLIENTS[c]?.pkg.replace("@aws-sdk/", "")).join(" + ")}`;
      const isCallback = name === "callback";
      rows.push({
        section: "cold start",
        figure: `${name} bundle, minified ESM`,
        value: bytes / 1024,
        unit: "KiB",
        limit: { label, value: bareBytes / 1024 },
        ...(isCallback ? { target: { ratio: 1.3, better: "lower" as const } } : {}),
      });
      rows.push({
        section: "cold start",
        figure: `${name} module init, CPU time, fresh node (median of ${runs})`,
        value: result.initMs,
        unit: "ms",
        limit: { label, value: result.bareInitMs },
        note: `wall ${result.initWallMs.toFixed(0)} ms vs ${result.bareInitWallMs.toFixed(0)} ms`,
        ...(isCallback ? { target: { ratio: 1.15, better: "lower" as const } } : {}),
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, results };
}
