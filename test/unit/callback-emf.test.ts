/**
 * Issue 11: the callback and token functions write their EMF lines by hand (functions/adapters/emf-writer.ts) and
 * enter through a plain wrapper (functions/adapters/lambda-entry.ts) instead of Powertools Metrics and middy.
 * Dashboards and alarms read these lines, so each must be the very line Powertools wrote (only the Timestamp
 * differs): compared text for text here, for the callback's and the token endpoint's metrics and for ColdStart.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEmfMetrics, EmfMetrics, type MetricsSink } from "../../functions/adapters/emf-writer.ts";
import { lambdaEntry } from "../../functions/adapters/lambda-entry.ts";
import { callbackMetrics } from "../../functions/callback/metrics.ts";
import { captureStdout } from "../support/capture-stdout.ts";

const SERVICE = "pincode-bridge-callback";
const NAMESPACE = "PincodeBridge";

/** The line without its timestamp (the only part that may differ). */
const untimed = (line: string) => line.replace(/"Timestamp":\d+/, '"Timestamp":0');

async function linesOf(run: () => void | Promise<void>): Promise<string[]> {
  const { lines } = await captureStdout(async () => {
    await run();
  });
  return lines.map(untimed);
}

function emitAll(sink: MetricsSink): void {
  const callback = callbackMetrics(sink);
  callback.accepted("order_view");
  callback.accepted("unknown");
  callback.rejected("unauthorized");
  callback.rejected("quarantine_error");
  // The token endpoint's shapes: with a dimension, and without one.
  const rejected = sink.singleMetric();
  rejected.addDimension("reason", "invalid_client");
  rejected.addMetric("TokenRequestsRejected", "Count", 1);
  sink.singleMetric().addMetric("TokensIssued", "Count", 1);
}

const context = (functionName: string) =>
  ({
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:ap-south-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: "req-1",
    getRemainingTimeInMillis: () => 10_000,
  }) as unknown as Context;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("EMF lines written by hand, as Powertools Metrics writes them", () => {
  it("single metrics with and without a dimension", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    const powertools = await linesOf(() => emitAll(new Metrics({ namespace: NAMESPACE, serviceName: SERVICE })));
    const ours = await linesOf(() => emitAll(new EmfMetrics({ namespace: NAMESPACE, serviceName: SERVICE })));

    expect(powertools).toHaveLength(6);
    expect(ours).toEqual(powertools);
    expect(JSON.parse(ours[0] as string)).toMatchObject({ service: SERVICE, kind: "order_view", CallbacksAccepted: 1 });
  });

  it("write nothing when POWERTOOLS_METRICS_DISABLED (or, without it, POWERTOOLS_DEV) says so", async () => {
    for (const [variable, value] of [
      ["POWERTOOLS_METRICS_DISABLED", "true"],
      ["POWERTOOLS_METRICS_DISABLED", "1"],
      ["POWERTOOLS_DEV", "yes"],
    ] as const) {
      vi.unstubAllEnvs();
      if (variable === "POWERTOOLS_DEV") vi.stubEnv("POWERTOOLS_METRICS_DISABLED", undefined);
      vi.stubEnv(variable, value);
      const powertools = await linesOf(() => emitAll(new Metrics({ namespace: NAMESPACE, serviceName: SERVICE })));
      const ours = await linesOf(() => emitAll(createEmfMetrics(SERVICE)));
      expect(powertools.filter((l) => l.includes("_aws"))).toEqual([]);
      expect(ours).toEqual([]);
    }
  });

  it("ColdStart on the first on-demand invocation only, with function_name, as logMetrics wrote it", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    vi.stubEnv("POWERTOOLS_DEV", "false");
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    const handle = async () => ({ statusCode: 200, body: "" });

    const powertoolsMetrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE });
    const powertoolsLogger = new Logger({ serviceName: SERVICE });
    const viaMiddy = middy(handle)
      .use(injectLambdaContext(powertoolsLogger))
      .use(logMetrics(powertoolsMetrics, { captureColdStartMetric: true }));
    const ourLogger = new Logger({ serviceName: SERVICE });
    const viaEntry = lambdaEntry(handle, { logger: ourLogger, metrics: createEmfMetrics(SERVICE) });

    const emf = (lines: string[]) => lines.filter((l) => l.includes('"_aws"'));
    const powertools = emf(await linesOf(async () => void (await viaMiddy({}, context("callback-fn")))));
    const ours = emf(await linesOf(async () => void (await viaEntry({}, context("callback-fn")))));
    expect(powertools).toHaveLength(1);
    expect(ours).toEqual(powertools);
    expect(JSON.parse(ours[0] as string)).toMatchObject({ function_name: "callback-fn", ColdStart: 1 });

    // Warm invocations: no ColdStart (and the per-invocation "No application metrics" warning is gone).
    expect(emf(await linesOf(async () => void (await viaMiddy({}, context("callback-fn")))))).toEqual([]);
    expect(await linesOf(async () => void (await viaEntry({}, context("callback-fn"))))).toEqual([]);

    // The Lambda context reaches the logger's lines as injectLambdaContext put it there (warm by now).
    const logged = (logger: Logger) => linesOf(() => logger.info("callback accepted", { kind: "order_view" }));
    const strip = (lines: string[]) =>
      lines.map((l) => {
        const { timestamp: _t, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
    expect(strip(await logged(ourLogger))).toEqual(strip(await logged(powertoolsLogger)));
    expect(strip(await logged(ourLogger))[0]).toMatchObject({ function_request_id: "req-1", cold_start: false });
  });

  it("ColdStart without a function name, or named by POWERTOOLS_METRICS_FUNCTION_NAME; none when provisioned", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    const both = async (functionName: string | undefined) => {
      const powertools = await linesOf(() =>
        new Metrics({ namespace: NAMESPACE, serviceName: SERVICE }).captureColdStartMetric(functionName),
      );
      const ours = await linesOf(() => createEmfMetrics(SERVICE).captureColdStartMetric(functionName));
      expect(ours).toEqual(powertools);
      return ours;
    };
    expect(await both(undefined)).toHaveLength(1);
    expect(await both("  ")).toHaveLength(1);
    vi.stubEnv("POWERTOOLS_METRICS_FUNCTION_NAME", "named-by-env");
    expect(JSON.parse((await both("from-context"))[0] as string)).toMatchObject({ function_name: "named-by-env" });
    vi.stubEnv("AWS_LAMBDA_INITIALIZATION_TYPE", "provisioned-concurrency");
    expect(await both("from-context")).toEqual([]);
  });
});
