import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Duration } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { countMetric, dimensionedMetric, pincodeMetricSink } from "../../functions/adapters/metric-helpers.ts";
import { createMetrics } from "../../functions/adapters/observability.ts";
import { callbackMetrics } from "../../functions/callback/metrics.ts";
import {
  EMF_METRICS,
  type EmfMetricName,
  emfMetric,
  emfSearch,
  METRICS_NAMESPACE,
} from "../../lib/constructs/emf-metrics.ts";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";
import { captureStdout } from "../support/capture-stdout.ts";

const FUNCTIONS_DIR = join(REPO_ROOT, "functions");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The runtime code a function's bundle is built from: its own folder plus the shared adapters and Pincode client. */
function sourceOf(fn: string): string {
  return ["", "adapters", "pincode"]
    .flatMap((dir) => (dir === "" ? sourceFiles(join(FUNCTIONS_DIR, fn)) : sourceFiles(join(FUNCTIONS_DIR, dir))))
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
}

const allSource = sourceFiles(FUNCTIONS_DIR).map((file) => ({
  file: relative(REPO_ROOT, file),
  text: readFileSync(file, "utf8"),
}));

/** EMF records Powertools wrote: metric names with the dimension keys of their (first) dimension set. */
function emitted(records: Record<string, unknown>[]): { names: string[]; dimensions: string[] }[] {
  return records.flatMap((r) => {
    const aws = r._aws as {
      CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
    };
    return (aws?.CloudWatchMetrics ?? []).map((m) => ({
      names: m.Metrics.map((x) => x.Name),
      dimensions: [...(m.Dimensions[0] ?? [])].sort(),
    }));
  });
}

describe("EMF metric catalogue (lib/constructs/emf-metrics.ts) against the functions' code", () => {
  it("names only metrics that each listed function's code emits", () => {
    for (const [name, spec] of Object.entries(EMF_METRICS)) {
      for (const fn of spec.emittedBy) {
        expect(sourceOf(fn), `${name} in functions/${fn}`).toContain(`"${name}"`);
      }
    }
  });

  it("catalogues every metric name the functions emit", () => {
    // The shapes metrics are emitted through in functions/: countMetric, dimensionedMetric, single-metric count
    // helpers and direct addMetric calls.
    const patterns = [
      /countMetric\(\s*(?:deps\.)?metrics,\s*"(\w+)"/g,
      /dimensionedMetric\(\s*(?:deps\.)?metrics,\s*"(\w+)"/g,
      // PascalCase only: a local `count("FAILED")` over outcome values is not a metric.
      /\bcount\(\s*"([A-Z][a-z]\w*)"/g,
      /addMetric\(\s*"(\w+)"/g,
    ];
    const found = new Set<string>();
    for (const { text } of allSource) {
      for (const pattern of patterns) for (const match of text.matchAll(pattern)) if (match[1]) found.add(match[1]);
    }

    expect(found.size).toBeGreaterThan(20);
    expect([...found].filter((name) => !(name in EMF_METRICS)).sort(), "add them to EMF_METRICS").toEqual([]);
  });

  it("uses the dimension keys that dimensionedMetric call sites pass", () => {
    const calls = allSource.flatMap(({ file, text }) =>
      [...text.matchAll(/dimensionedMetric\(\s*(?:deps\.)?metrics,\s*"(\w+)",\s*\{([^}]*)\}/g)].map((m) => ({
        file,
        name: m[1] as EmfMetricName,
        keys: (m[2] ?? "")
          .split(",")
          .map((part) => part.split(":")[0]?.trim() ?? "")
          .filter(Boolean)
          .sort(),
      })),
    );

    expect(calls.map((c) => c.name)).toContain("PollLagMs");
    for (const call of calls) {
      expect([...EMF_METRICS[call.name].dimensions].sort(), `${call.name} in ${call.file}`).toEqual(call.keys);
    }
  });

  it("matches the dimension sets Powertools writes for the shared emitters", async () => {
    const metrics = createMetrics("pincode-bridge-test");
    const callback = callbackMetrics(metrics);

    const { records } = await captureStdout(async () => {
      callback.accepted("order_view");
      callback.rejected("invalid");
      callback.unknownEnumValues(2);
      pincodeMetricSink(metrics)({
        endpoint: "/tsp/order/v1/status",
        family: "status",
        outcome: "success",
        status: 200,
        latencyMs: 12,
        attempt: 1,
      });
      dimensionedMetric(metrics, "PollLagMs", { storeId: "S01" }, 5);
      countMetric(metrics, "OrdersUpserted");
      metrics.publishStoredMetrics();
    });
    const byName = new Map(emitted(records).flatMap((e) => e.names.map((n) => [n, e.dimensions] as const)));

    for (const name of [
      "CallbacksAccepted",
      "CallbacksRejected",
      "UnknownEnumValues",
      "PincodeCalls",
      "PincodeLatency",
      "PollLagMs",
      "OrdersUpserted",
    ] as const) {
      expect(byName.get(name), name).toEqual(["service", ...EMF_METRICS[name].dimensions].sort());
    }
  });
});

describe("EMF metric builders", () => {
  it("build a metric with service plus exactly the catalogued dimensions, and refuse any other set", () => {
    const lag = emfMetric("PollLagMs", "poller", { storeId: "S01" });

    expect(lag.namespace).toBe(METRICS_NAMESPACE);
    expect(lag.dimensions).toEqual({ service: "pincode-bridge-poller", storeId: "S01" });
    expect(() => emfMetric("PollLagMs", "poller")).toThrow(/PollLagMs carries dimensions \[storeId\]/);
    expect(() => emfMetric("OrdersUpserted", "poller")).toThrow(/not emitted by the poller function/);
  });

  it("search over the metric's exact dimension set, labelled by its dynamic dimensions", () => {
    const search = emfSearch("CallbacksRejected", { statistic: "Sum", period: Duration.minutes(5), fn: "callback" });

    expect(search.expression).toBe(
      `SEARCH('{PincodeBridge,service,reason} MetricName="CallbacksRejected" service="pincode-bridge-callback"', 'Sum', 300)`,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudWatch's dynamic label syntax, not a JS template
    expect(search.label).toBe("${PROP('Dim.reason')}");
  });
});
