#!/usr/bin/env node
/**
 * Local mode (`npm start`): the whole pipeline on one machine with no AWS account. See README "Local mode".
 */
import "./local/quiet.ts";
import { existsSync } from "node:fs";
import { describeStartError, loadLocalConfig } from "./local/config.ts";
import { startLocalPipeline } from "./local/pipeline.ts";
import { formatStatus, type StatusSnapshot } from "./local/status.ts";

// A .env file (see .env.example) fills in what the environment does not set.
if (existsSync(".env")) process.loadEnvFile(".env");
// Quiet by default: the terminal shows the status line; LOG_LEVEL=WARN or INFO shows the handlers' JSON logs.
process.env.POWERTOOLS_LOG_LEVEL ??= process.env.LOG_LEVEL ?? "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.AWS_REGION ??= "ap-south-1";

const config = (() => {
  try {
    return loadLocalConfig(process.env, process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
})();

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
const pipeline = await startLocalPipeline(config, log).catch((error: Error) => {
  console.error(describeStartError(error, config));
  process.exit(1);
});

const lines = [
  `console: ${pipeline.consoleUrl}  (open it; it asks once for the seller API key below)`,
  "",
  "pincode-bridge local mode",
  `  API (API Gateway routes)   ${pipeline.apiUrl}`,
  `    callbacks                POST ${pipeline.callbackUrl}`,
  `    callback OAuth token     POST ${pipeline.tokenUrl}  (client ${pipeline.callbackClient.clientId})`,
  `  seller API                 ${pipeline.apiUrl}/v1  (Authorization: Bearer ${pipeline.sellerApiKeyGenerated ? `${pipeline.sellerApiKey}; generated, kept in ${config.inMemory ? "memory" : "DATA_DIR"}; SELLER_API_KEY sets your own` : "<SELLER_API_KEY>"})`,
  `  DynamoDB (${pipeline.dynamo.external ? "AWS_ENDPOINT_URL_DYNAMODB)" : "dynalite)       "} ${pipeline.dynamo.endpoint}  table ${pipeline.dynamo.tableName}`,
  `    data                     ${pipeline.dynamo.external ? (config.inMemory ? "a fresh table, deleted at stop (--in-memory)" : "kept by that endpoint") : config.inMemory ? "in memory (--in-memory)" : config.dataDir}`,
  `  SQS (${pipeline.queues.external ? "AWS_ENDPOINT_URL_SQS)     " : "fauxqs)               "}${pipeline.queues.endpoint}`,
  `    events queue             ${pipeline.queues.eventsQueueUrl}`,
  `    DLQs                     ${[pipeline.queues.eventsDlqUrl, pipeline.queues.pollDlqUrl, pipeline.queues.commandsDlqUrl].join(" ")}`,
  pipeline.sandbox
    ? `  Pincode sandbox            ${pipeline.sandbox.url}  (admin ${pipeline.sandbox.adminUrl}; client ${pipeline.sandbox.clientId} / ${pipeline.sandbox.clientSecret}; seed ${pipeline.sandboxSeed}, SANDBOX_SEED=${pipeline.sandboxSeed} repeats it)`
    : `  Pincode                    ${pipeline.pincodeApiBaseUrl}  (auth ${pipeline.pincodeAuthUrl})`,
  `  stores                     ${config.STORE_IDS.join(", ")}; poll every ${config.POLL_INTERVAL_S}s`,
  `  demo orders                ${pipeline.sandbox && config.DEMO ? `on, a step (new order or a move) every ${config.DEMO_INTERVAL_S}s, ${Math.round(config.DEMO_CALLBACK_DROP_RATE * 100)}% of callbacks dropped, ${Math.round(config.DEMO_API_ERROR_RATE * 100)}% API errors (DEMO=0 turns it off)` : "off"}`,
  ...(pipeline.eventsFile ? [`  OrderChanged events        ${pipeline.eventsFile}`] : []),
  "",
  `  inspect: aws --endpoint-url ${pipeline.dynamo.endpoint} dynamodb scan --table-name ${pipeline.dynamo.tableName}`,
  `           aws --endpoint-url ${pipeline.queues.endpoint} sqs get-queue-attributes --queue-url ${pipeline.queues.eventsDlqUrl} --attribute-names All`,
  "  (any key and region work against the emulators; with no AWS config, prefix the commands with",
  "   AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1;",
  "   `aws sqs` needs a current AWS CLI v2: Debian's AWS CLI 2.9 speaks SQS's old query protocol, which fauxqs does not;",
  "   `npx pincode-bridge dlq list` reads the same through the seller API)",
  "",
  "ready. Ctrl-C stops.",
];
console.log(lines.join("\n"));

let last: StatusSnapshot | undefined;
const live = config.STATUS_LINE && process.stdout.isTTY;
const statusTimer = setInterval(
  async () => {
    try {
      last = await pipeline.status();
      const line = formatStatus(last);
      if (live) process.stdout.write(`\r\x1b[2K${line}`);
      else console.log(line);
    } catch {
      // the emulators may be stopping
    }
  },
  live ? 2_000 : 15_000,
);
statusTimer.unref();
if (!config.STATUS_LINE) clearInterval(statusTimer);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  clearInterval(statusTimer);
  if (live) process.stdout.write("\n");
  try {
    last = await pipeline.status();
  } catch {
    // keep the last one we had
  }
  await pipeline.stop();
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`stopped (${signal}) after ${minutes} min.`);
  if (last) console.log(`summary: ${formatStatus(last)} | OrderChanged events ${pipeline.counters.events}`);
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
