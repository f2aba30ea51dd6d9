/**
 * The callback and token functions' EMF metrics, written by hand (issue 11): the same JSON lines Powertools Metrics
 * writes for a single metric and for its `ColdStart` metric, without Powertools in the bundle (its import was a
 * measurable part of the callback's init) and without the new Metrics instance (and Console) Powertools builds for
 * every single metric (about a tenth of the callback's own CPU per request).
 *
 * Same line, key for key: `{"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":…,"Dimensions":[["service",
 * <dimension>]],"Metrics":[{"Name":…,"Unit":"Count"}]}]},"service":…,<dimension>:…,<name>:<value>}` on stdout;
 * same switches (`POWERTOOLS_METRICS_DISABLED`, else `POWERTOOLS_DEV`, turn it off; `POWERTOOLS_METRICS_FUNCTION_NAME`
 * names the cold-start function). test/unit/callback-emf.test.ts holds the lines equal to Powertools' own.
 * Dashboards and alarms read these names and dimension sets (lib/constructs/emf-metrics.ts).
 */

/** What the callback's metric helpers need: Powertools' `Metrics` has this shape too (tests may pass one). */
export interface SingleMetricSink {
  addDimension(name: string, value: string): unknown;
  addMetric(name: string, unit: "Count", value: number): unknown;
}

export interface MetricsSink {
  singleMetric(): SingleMetricSink;
}

const DEFAULT_NAMESPACE = "default_namespace";
const TRUTHY = new Set(["1", "y", "yes", "t", "true", "on"]);
const FALSY = new Set(["0", "n", "no", "f", "false", "off"]);

/** Powertools' extended boolean parsing of an environment variable (an unreadable value throws, as it does). */
function envFlag(env: NodeJS.ProcessEnv, key: string): boolean {
  const value = (env[key]?.trim() || "false").toLowerCase();
  if (TRUTHY.has(value)) return true;
  if (FALSY.has(value)) return false;
  throw new Error(`Environment variable ${key} must be a boolean`);
}

function metricsDisabled(env: NodeJS.ProcessEnv): boolean {
  if (env.POWERTOOLS_METRICS_DISABLED !== undefined) return envFlag(env, "POWERTOOLS_METRICS_DISABLED");
  try {
    return envFlag(env, "POWERTOOLS_DEV");
  } catch {
    return false;
  }
}

export interface EmfMetricsOptions {
  namespace: string;
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /** Where a line goes (default: stdout, as Powertools writes it). */
  write?: (line: string) => void;
}

export class EmfMetrics implements MetricsSink {
  readonly #prefix: string;
  readonly #service: string;
  readonly #disabled: boolean;
  readonly #write: (line: string) => void;
  readonly #functionName: string | undefined;
  readonly #namespace: string;
  #coldStart: boolean;

  constructor(options: EmfMetricsOptions) {
    const env = options.env ?? process.env;
    this.#prefix = `{"_aws":{"Timestamp":`;
    this.#service = JSON.stringify(options.serviceName);
    this.#namespace = JSON.stringify(options.namespace || DEFAULT_NAMESPACE);
    this.#disabled = metricsDisabled(env);
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.#functionName = env.POWERTOOLS_METRICS_FUNCTION_NAME?.trim() || undefined;
    // Powertools counts a cold start only in an on-demand container (not provisioned concurrency).
    this.#coldStart = env.AWS_LAMBDA_INITIALIZATION_TYPE?.trim() === "on-demand";
  }

  /** One metric with at most one dimension besides `service`, written at once (Powertools' `singleMetric()`). */
  singleMetric(): SingleMetricSink {
    let dimension: [string, string] | undefined;
    return {
      addDimension: (name, value) => {
        if (name && value) dimension = [name, value];
      },
      addMetric: (name, unit, value) => this.#emit(name, unit, value, dimension),
    };
  }

  /** `ColdStart` (Count 1) on the container's first invocation, with `function_name` when known. */
  captureColdStartMetric(functionName?: string): void {
    if (!this.#coldStart) return;
    this.#coldStart = false;
    const name = this.#functionName ?? functionName?.trim();
    this.#emit("ColdStart", "Count", 1, name ? ["function_name", name] : undefined);
  }

  #emit(name: string, unit: string, value: number, dimension: [string, string] | undefined): void {
    if (this.#disabled) return;
    const metricName = JSON.stringify(name);
    const dimensionNames = dimension ? `["service",${JSON.stringify(dimension[0])}]` : `["service"]`;
    const dimensionValue = dimension ? `,${JSON.stringify(dimension[0])}:${JSON.stringify(dimension[1])}` : "";
    this.#write(
      `${this.#prefix}${Date.now()},"CloudWatchMetrics":[{"Namespace":${this.#namespace},"Dimensions":[${dimensionNames}],` +
        `"Metrics":[{"Name":${metricName},"Unit":${JSON.stringify(unit)}}]}]},"service":${this.#service}` +
        `${dimensionValue},${metricName}:${JSON.stringify(value)}}`,
    );
  }
}

export function createEmfMetrics(serviceName: string, env: NodeJS.ProcessEnv = process.env): EmfMetrics {
  return new EmfMetrics({ namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? "PincodeBridge", serviceName, env });
}
