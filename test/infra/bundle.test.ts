import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PincodeFunction, REPO_ROOT } from "../../lib/constructs/pincode-function.ts";

const ENTRIES = ["callback", "callback-auth", "poller", "processor"] as const;

/** Plausible values for every runtime-contract variable, so a handler's cold-start env parse succeeds on import. */
const CONTRACT_ENV = {
  AWS_REGION: "ap-south-1",
  TABLE_NAME: "pincode-bridge-test",
  EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-test-events",
  POLL_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-test-poll",
  EVENT_BUS_NAME: "pincode-bridge-test",
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
  POWERTOOLS_SERVICE_NAME: "pincode-bridge-test",
  POWERTOOLS_METRICS_NAMESPACE: "PincodeBridge",
  LOG_LEVEL: "ERROR",
};

/**
 * Bundles every handler with the real PincodeFunction settings (local esbuild, no Docker, no network) and loads each
 * bundle in a fresh Node process as Lambda would: as an ES module exporting `handler`.
 */
describe("PincodeFunction bundles", () => {
  let outdir: string;
  const bundles = new Map<string, string>();

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "pincode-bridge-bundle-"));
    const app = new App({ outdir });
    const stack = new Stack(app, "BundleTest");
    const fns = ENTRIES.map(
      (name) =>
        [
          name,
          new PincodeFunction(stack, name, {
            name,
            entry: join(REPO_ROOT, "functions", name, "handler.ts"),
            description: name,
            memoryMb: 256,
            timeout: Duration.seconds(10),
            environment: {},
            logLevel: "ERROR",
            logRetention: RetentionDays.ONE_DAY,
            logRemovalPolicy: RemovalPolicy.DESTROY,
          }),
        ] as const,
    );
    app.synth();
    for (const [name, fn] of fns) {
      const code = (fn.function.node.defaultChild as unknown as { code: { s3Key?: string } }).code;
      const asset = readdirSync(outdir).find((d) => d.startsWith("asset.") && code.s3Key?.startsWith(d.slice(6)));
      if (asset) bundles.set(name, join(outdir, asset));
    }
  }, 120_000);

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it.each(ENTRIES)("bundles %s as one ESM file with a source map and the AWS SDK inside", (name) => {
    const dir = bundles.get(name);
    expect(dir, `no asset for ${name}`).toBeDefined();
    const code = readFileSync(join(dir as string, "index.mjs"), "utf8");

    expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
    expect(existsSync(join(dir as string, "index.mjs.map"))).toBe(true);
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
    expect(readdirSync(dir as string).sort()).toEqual(["index.mjs", "index.mjs.map"]);
  });

  it.each(ENTRIES)("loads the %s bundle under Node as an ES module exporting handler()", (name) => {
    const dir = bundles.get(name) as string;

    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(join(dir, "index.mjs"))}); console.log(typeof m.handler);`,
      ],
      { env: { PATH: process.env.PATH, ...CONTRACT_ENV, NODE_NO_WARNINGS: "1" }, encoding: "utf8", timeout: 30_000 },
    );

    expect(out.trim()).toBe("function");
  });
});
