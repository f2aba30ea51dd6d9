import { Duration } from "aws-cdk-lib";
import type { Method, Stage } from "aws-cdk-lib/aws-apigateway";
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  type IWidget,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type EmfMetricName, emfMetric, emfSearch, type FunctionName } from "./emf-metrics.ts";
import { pollLagByStore } from "./service-alarms.ts";

export interface OperationsDashboardProps {
  readonly dashboardName: string;
  /** Stores the poller reconciles: one poll-lag line each. */
  /** The seed stores; unused since the poll-lag graph follows the stored stores (kept so callers need not change). */
  readonly storeIds?: readonly string[];
  readonly pollLagThresholdMs: number;
  /** The pending-submission alarm's threshold, drawn on its graph. */
  readonly submissionPendingThresholdMs?: number;
  readonly functions: Record<FunctionName, IFunction>;
  /** Work queues by label: depth and age of the oldest message. */
  readonly workQueues: Record<string, IQueue>;
  readonly workQueueMaxAgeSeconds: number;
  readonly deadLetterQueues: Record<string, IQueue>;
  /** API methods by label: 4xx, 5xx and latency. */
  readonly apiMethods: Record<string, Method>;
  readonly apiStage: Stage;
  readonly alarms: readonly IAlarm[];
}

const PERIOD = Duration.minutes(5);
const WIDTH = 8;
const HEIGHT = 6;

/**
 * The one page an operator opens: is traffic arriving and being accepted, are orders being written, is every store's
 * poller keeping up, is Pincode answering, are queues draining, are the functions and the API healthy.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const graph = (title: string, left: IMetric[], extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {}) =>
      new GraphWidget({ title, left, width: WIDTH, height: HEIGHT, period: PERIOD, ...extra });
    const sums = (fn: FunctionName, names: EmfMetricName[]) =>
      names.map((name) => emfMetric(name, fn, {}, { statistic: "Sum", period: PERIOD, label: name }));
    const perFunction = (metric: (fn: IFunction, label: string) => IMetric) =>
      Object.entries(props.functions).map(([label, fn]) => metric(fn, label));
    const perMethod = (metric: (m: Method, label: string) => IMetric) =>
      Object.entries(props.apiMethods).map(([label, m]) => metric(m, label));

    // Stores are data: graph every store the poller reports (the same query the poll-lag alarm evaluates).
    const pollLag: IMetric[] = [pollLagByStore(PERIOD)];

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            "**pincode-bridge**: callbacks and polls in, orders out. Alarms and what to do about them: `docs/deploy.md` (Operate).",
          width: 24,
          height: 1,
        }),
      ],
      [new AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: 24, height: 3 })],
      [
        graph("Callbacks accepted (by kind)", [
          emfSearch("CallbacksAccepted", { statistic: "Sum", period: PERIOD, fn: "callback" }),
        ]),
        graph("Callbacks rejected (by reason)", [
          emfSearch("CallbacksRejected", { statistic: "Sum", period: PERIOD, fn: "callback" }),
        ]),
        graph("Token endpoint", [
          ...sums("callback-auth", ["TokensIssued"]),
          emfSearch("TokenRequestsRejected", { statistic: "Sum", period: PERIOD, fn: "callback-auth" }),
        ]),
      ],
      [
        graph(
          "Orders written by the processor",
          sums("processor", ["OrdersUpserted", "OrdersStale", "OrdersDuplicate"]),
        ),
        graph("Processor work", [
          ...sums("processor", [
            "StatusChecksSkipped",
            "OrderEventsRepublished",
            "SubmissionResults",
            "UnknownCallbacksKept",
            "CallbacksQuarantined",
            "UnknownEnumValues",
            "TieStatusChecks",
            "StatusCheckOrderNotFound",
          ]),
        ]),
        graph("Processor record failures", sums("processor", ["RecordFailures", "PoisonMessages"])),
        graph("Odd field values dropped (by field path)", [
          emfSearch("OddFieldValues", { statistic: "Sum", period: PERIOD, fn: "processor" }),
        ]),
      ],
      [
        graph("Poll lag per store (max)", pollLag, {
          leftAnnotations: [{ value: props.pollLagThresholdMs, label: "alarm threshold" }],
          leftYAxis: { label: "ms", showUnits: false, min: 0 },
        }),
        graph(
          "Poll runs",
          sums("poller", [
            "PollTasksScheduled",
            "PollWindowsCompleted",
            "PollTaskFailures",
            "PollBudgetExhausted",
            "PollTasksSkippedLeased",
            // Issue 13: a task queued behind a newer run of its store; stores left for a later tick by the budget.
            "PollTasksSkippedAlreadyPolled",
            "PollTasksDeferred",
          ]),
        ),
        graph("Poll pages and order ids", sums("poller", ["PollPages", "PollOrderIds", "PollIdsSkippedFresh"])),
      ],
      // Issue 9: seller commands (functions/commands, docs/commands.md).
      [
        graph("Commands", sums("commands", ["CommandsSucceeded", "CommandsRejected", "CommandsFailed"])),
        graph(
          "Command work",
          sums("commands", [
            "CommandDuplicates",
            "CommandStatusChecks",
            "CommandAmbiguousFailures",
            "SubmissionsSent",
            "SubmissionsRejected",
            "SubmissionsFailed",
          ]),
        ),
        graph("Commands record failures", sums("commands", ["RecordFailures", "PoisonMessages"])),
      ],
      [
        graph("Seller API requests", sums("seller-api", ["SellerApiRequests", "SellerApiServerErrors"])),
        graph(
          "Oldest pending submission (max)",
          [emfMetric("OldestPendingSubmissionAgeMs", "poller", {}, { statistic: "Maximum", period: PERIOD })],
          {
            ...(props.submissionPendingThresholdMs
              ? { leftAnnotations: [{ value: props.submissionPendingThresholdMs, label: "alarm threshold" }] }
              : {}),
            leftYAxis: { label: "ms", showUnits: false, min: 0 },
          },
        ),
        graph(
          "Commands",
          sums("commands", ["SubmissionsSent", "CommandStatusChecks", "CommandAmbiguousFailures", "CommandDuplicates"]),
        ),
        graph("Stranded commands (poller's sweep)", [
          emfMetric("OldestQueuedCommandAgeMs", "poller", {}, { statistic: "Maximum", period: PERIOD }),
          emfMetric("StrandedCommandsResumed", "poller", {}, { statistic: "Sum", period: PERIOD }),
        ]),
      ],
      [
        graph(
          "Pincode calls (by function, endpoint, outcome)",
          [emfSearch("PincodeCalls", { statistic: "Sum", period: PERIOD })],
          { width: 12 },
        ),
        graph(
          "Pincode latency p99 (by endpoint and outcome)",
          [emfSearch("PincodeLatency", { statistic: "p99", period: PERIOD })],
          { width: 12 },
        ),
      ],
      [
        graph(
          "Queue depth (visible, max)",
          Object.entries(props.workQueues).map(([label, q]) =>
            q.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", period: PERIOD, label }),
          ),
        ),
        graph(
          "Age of oldest message (s, max)",
          Object.entries(props.workQueues).map(([label, q]) =>
            q.metricApproximateAgeOfOldestMessage({ statistic: "Maximum", period: PERIOD, label }),
          ),
          { leftAnnotations: [{ value: props.workQueueMaxAgeSeconds, label: "events backlog alarm" }] },
        ),
        graph(
          "DLQ depth (visible, max)",
          Object.entries(props.deadLetterQueues).map(([label, q]) =>
            q.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", period: PERIOD, label }),
          ),
        ),
      ],
      [
        graph(
          "Lambda errors",
          perFunction((fn, label) => fn.metricErrors({ statistic: "Sum", period: PERIOD, label })),
        ),
        graph(
          "Lambda throttles",
          perFunction((fn, label) => fn.metricThrottles({ statistic: "Sum", period: PERIOD, label })),
        ),
        graph(
          "Lambda duration p99 (ms)",
          perFunction((fn, label) => fn.metricDuration({ statistic: "p99", period: PERIOD, label })),
        ),
      ],
      [
        graph(
          "API 4xx",
          perMethod((m, label) => m.metricClientError(props.apiStage, { statistic: "Sum", period: PERIOD, label })),
        ),
        graph(
          "API 5xx",
          perMethod((m, label) => m.metricServerError(props.apiStage, { statistic: "Sum", period: PERIOD, label })),
        ),
        graph(
          "API latency p99 (ms)",
          perMethod((m, label) => m.metricLatency(props.apiStage, { statistic: "p99", period: PERIOD, label })),
        ),
      ],
    ];

    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
      widgets: rows,
    });
  }
}
