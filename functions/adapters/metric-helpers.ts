/**
 * EMF metric helpers shared by the ingestion functions. Buffered metrics (no dimensions beyond the service) go out
 * when the handler's logMetrics middleware flushes; dimensioned ones are emitted at once as single metrics, because
 * Powertools applies one dimension set to everything it buffers.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { MetricSink } from "#pincode/metrics.ts";
import { MetricUnit } from "./observability.ts";

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export function countMetric(metrics: Metrics, name: string, value = 1): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

export function dimensionedMetric(
  metrics: Metrics,
  name: string,
  dimensions: Record<string, string>,
  value = 1,
  unit: Unit = MetricUnit.Count,
): void {
  const single = metrics.singleMetric();
  for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
  single.addMetric(name, unit, value);
}

/** The Pincode client's onMetric hook: `PincodeCalls` and `PincodeLatency` by endpoint and outcome. */
export function pincodeMetricSink(metrics: Metrics): MetricSink {
  // A single metric publishes on its first addMetric and then drops its dimensions, so each metric gets its own.
  const emit = (name: string, unit: Unit, value: number, endpoint: string, outcome: string) => {
    const single = metrics.singleMetric();
    single.addDimension("endpoint", endpoint);
    single.addDimension("outcome", outcome);
    single.addMetric(name, unit, value);
  };
  return (metric) => {
    emit("PincodeCalls", MetricUnit.Count, 1, metric.endpoint, metric.outcome);
    emit("PincodeLatency", MetricUnit.Milliseconds, metric.latencyMs, metric.endpoint, metric.outcome);
  };
}
