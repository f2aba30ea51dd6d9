import type { Duration } from "aws-cdk-lib";
import { MathExpression, Metric, type MetricOptions } from "aws-cdk-lib/aws-cloudwatch";

/** `POWERTOOLS_METRICS_NAMESPACE`, set on every function by PincodeFunction. */
export const METRICS_NAMESPACE = "PincodeBridge";

export type FunctionName = "callback" | "callback-auth" | "poller" | "processor" | "seller-api" | "commands";

/** Powertools adds `service` (= `POWERTOOLS_SERVICE_NAME`) to every EMF metric as a dimension. */
export const serviceName = (fn: FunctionName): string => `pincode-bridge-${fn}`;

export interface EmfMetricSpec {
  readonly emittedBy: readonly FunctionName[];
  /** The dimensions the code adds besides `service`. */
  readonly dimensions: readonly string[];
}

/**
 * Every EMF metric the functions emit, with its exact dimension set. CloudWatch stores a metric once per dimension
 * set, so a widget or alarm that names a different set finds no data: these must mirror the code
 * (`test/infra/emf-metrics.test.ts` checks them against it).
 */
export const EMF_METRICS = {
  // functions/callback/metrics.ts: one single metric per count, with its own dimension.
  CallbacksAccepted: { emittedBy: ["callback"], dimensions: ["kind"] },
  CallbacksRejected: { emittedBy: ["callback"], dimensions: ["reason"] },
  // Counted by the processor only since issue 11: the callback checks the envelope, not the order's enums.
  UnknownEnumValues: { emittedBy: ["processor"], dimensions: [] },
  // functions/callback-auth/create-handler.ts
  TokensIssued: { emittedBy: ["callback-auth"], dimensions: [] },
  TokenRequestsRejected: { emittedBy: ["callback-auth"], dimensions: ["reason"] },
  // functions/poller: buffered counts (service only) and the per-store lag.
  PollTasksScheduled: { emittedBy: ["poller"], dimensions: [] },
  PollTaskFailures: { emittedBy: ["poller"], dimensions: [] },
  PollTasksSkippedLeased: { emittedBy: ["poller"], dimensions: [] },
  PollTasksSkippedAlreadyPolled: { emittedBy: ["poller"], dimensions: [] },
  PollTasksDeferred: { emittedBy: ["poller"], dimensions: [] },
  PollWindowsCompleted: { emittedBy: ["poller"], dimensions: [] },
  PollBudgetExhausted: { emittedBy: ["poller"], dimensions: [] },
  PollPages: { emittedBy: ["poller"], dimensions: [] },
  PollOrderIds: { emittedBy: ["poller"], dimensions: [] },
  PollIdsSkippedFresh: { emittedBy: ["poller"], dimensions: [] },
  PollLagMs: { emittedBy: ["poller"], dimensions: ["storeId"] },
  // functions/poller/create-handler.ts: the scheduled run's view of the pending-submission index (service only).
  OldestPendingSubmissionAgeMs: { emittedBy: ["poller"], dimensions: [] },
  // functions/poller/stranded-commands.ts: the sweep of commands left QUEUED by a failed send (service only).
  StrandedCommandsResumed: { emittedBy: ["poller"], dimensions: [] },
  OldestQueuedCommandAgeMs: { emittedBy: ["poller"], dimensions: [] },
  // functions/processor: buffered counts (service only).
  OrdersUpserted: { emittedBy: ["processor"], dimensions: [] },
  OrdersStale: { emittedBy: ["processor"], dimensions: [] },
  OrdersDuplicate: { emittedBy: ["processor"], dimensions: [] },
  OrderEventsRepublished: { emittedBy: ["processor"], dimensions: [] },
  StatusChecksSkipped: { emittedBy: ["processor"], dimensions: [] },
  SubmissionResults: { emittedBy: ["processor"], dimensions: [] },
  UnknownCallbacksKept: { emittedBy: ["processor"], dimensions: [] },
  // Refused callbacks the processor wrote to quarantine (the callback queues them as callback.quarantined).
  CallbacksQuarantined: { emittedBy: ["processor"], dimensions: [] },
  RecordFailures: { emittedBy: ["processor", "commands"], dimensions: [] },
  PoisonMessages: { emittedBy: ["processor", "commands"], dimensions: [] },
  // functions/processor/ingest-order.ts: tolerant parsing, tie settling, final Status Check outcomes.
  OddFieldValues: { emittedBy: ["processor"], dimensions: ["field"] },
  TieStatusChecks: { emittedBy: ["processor"], dimensions: [] },
  StatusCheckOrderNotFound: { emittedBy: ["processor"], dimensions: [] },
  // functions/seller-api/create-handler.ts: buffered counts (service only); API Gateway has the per-method picture.
  SellerApiRequests: { emittedBy: ["seller-api"], dimensions: [] },
  SellerApiServerErrors: { emittedBy: ["seller-api"], dimensions: [] },
  CommandsSucceeded: { emittedBy: ["commands"], dimensions: [] },
  CommandsRejected: { emittedBy: ["commands"], dimensions: [] },
  CommandsFailed: { emittedBy: ["commands"], dimensions: [] },
  // functions/commands/execute.ts: buffered counts (service only).
  CommandDuplicates: { emittedBy: ["commands"], dimensions: [] },
  CommandStatusChecks: { emittedBy: ["commands"], dimensions: [] },
  CommandAmbiguousFailures: { emittedBy: ["commands"], dimensions: [] },
  SubmissionsSent: { emittedBy: ["commands"], dimensions: [] },
  SubmissionsRejected: { emittedBy: ["commands"], dimensions: [] },
  SubmissionsFailed: { emittedBy: ["commands"], dimensions: [] },
  // functions/adapters/metric-helpers.ts pincodeMetricSink: one record per HTTP attempt to Pincode.
  PincodeCalls: { emittedBy: ["poller", "processor", "commands"], dimensions: ["endpoint", "outcome"] },
  PincodeLatency: { emittedBy: ["poller", "processor", "commands"], dimensions: ["endpoint", "outcome"] },
} as const satisfies Record<string, EmfMetricSpec>;

export type EmfMetricName = keyof typeof EMF_METRICS;

const specOf = (name: EmfMetricName): EmfMetricSpec => EMF_METRICS[name];

/**
 * One EMF metric with exactly the dimension set the code emits. Throws at synth on a wrong function or dimension
 * set, which would otherwise deploy a widget or alarm that silently shows no data.
 */
export function emfMetric(
  name: EmfMetricName,
  fn: FunctionName,
  dimensions: Record<string, string> = {},
  options: MetricOptions = {},
): Metric {
  const spec = specOf(name);
  if (!spec.emittedBy.includes(fn)) throw new Error(`${name} is not emitted by the ${fn} function`);
  const given = Object.keys(dimensions).sort().join(",");
  const expected = [...spec.dimensions].sort().join(",");
  if (given !== expected) throw new Error(`${name} carries dimensions [${expected}] besides service, got [${given}]`);
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: serviceName(fn), ...dimensions },
    ...options,
  });
}

export interface EmfSearchOptions {
  readonly statistic: string;
  readonly period: Duration;
  /** Limit to one function's series; by default every function that emits the metric. */
  readonly fn?: FunctionName;
}

/**
 * One line per value of a metric's dynamic dimensions (reason, kind, endpoint/outcome): a CloudWatch SEARCH over the
 * metric's exact dimension set, labelled with those values. Dashboards only: alarms cannot use SEARCH.
 */
export function emfSearch(name: EmfMetricName, options: EmfSearchOptions): MathExpression {
  const spec = specOf(name);
  if (options.fn !== undefined && !spec.emittedBy.includes(options.fn)) {
    throw new Error(`${name} is not emitted by the ${options.fn} function`);
  }
  const schema = `{${[METRICS_NAMESPACE, "service", ...spec.dimensions].join(",")}}`;
  const service = options.fn === undefined ? "" : ` service="${serviceName(options.fn)}"`;
  const seconds = options.period.toSeconds();
  // Name the emitting function in the label only when more than one could be in the result.
  const labelDimensions = [
    ...(options.fn === undefined && spec.emittedBy.length > 1 ? ["service"] : []),
    ...spec.dimensions,
  ];
  return new MathExpression({
    expression: `SEARCH('${schema} MetricName="${name}"${service}', '${options.statistic}', ${seconds})`,
    usingMetrics: {},
    ...(labelDimensions.length > 0 ? { label: labelDimensions.map((d) => `\${PROP('Dim.${d}')}`).join(" ") } : {}),
    period: options.period,
  });
}
