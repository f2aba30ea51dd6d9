import { Duration } from "aws-cdk-lib";
import type { Method, Stage } from "aws-cdk-lib/aws-apigateway";
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { StageConfig } from "../config/stage-config.ts";
import { emfMetric, METRICS_NAMESPACE, serviceName } from "./emf-metrics.ts";

export interface ServiceAlarmsProps {
  readonly topic: ITopic;
  readonly alarms: StageConfig["alarms"];
  /**
   * The seed stores (`-c storeIds`). Not used for the poll-lag alarm any more: stores are data, and the alarm's
   * Metrics Insights query follows whichever stores the poller reports, without a redeploy.
   */
  readonly storeIds?: readonly string[];
  /** Functions whose Lambda errors alarm, by a short label. */
  readonly functions: Record<string, IFunction>;
  /** API methods whose 5xx answers alarm, by a short label. */
  readonly apiMethods: Record<string, Method>;
  readonly apiStage: Stage;
}

/**
 * Alarms that mean "orders are not flowing": a store whose poller fell behind (or stopped reporting), the poller or
 * processor failing as a whole, and Pincode's calls to us failing. They publish to the alarm topic.
 */
export class ServiceAlarms extends Construct {
  /** One entry, {@link POLL_LAG_ALARM_KEY}: a multi-time-series alarm with one contributor per store. */
  readonly pollLag = new Map<string, Alarm>();
  /** A Store Toggle / Listing submission without its result callback for longer than the stage allows. */
  readonly submissionPending: Alarm;
  readonly functionErrors = new Map<string, Alarm>();
  readonly api5xx = new Map<string, Alarm>();

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { alarms } = props;
    const period = Duration.minutes(alarms.periodMinutes);
    const action = new SnsAction(props.topic);
    const window = (periods: number) => `${periods * alarms.periodMinutes} min`;

    const { pollLag } = alarms;
    // Stores are data (PUT/DELETE /v1/stores): a Metrics Insights query grouped by storeId makes every store the
    // poller reports a contributor of one alarm, so added stores are covered and retired ones drop out on their own.
    const lagAlarm = new Alarm(this, "PollLag", {
      alarmDescription:
        `A store's poll window end has been more than ${pollLag.thresholdMinutes} min behind` +
        (pollLag.missingDataBreaches ? ", or the poller reported no lag for any store," : "") +
        ` for ${window(pollLag.evaluationPeriods)}; the alarm names the store (contributor storeId). Dropped` +
        " callbacks for that store are not being recovered: check the poller's errors, the poll DLQ and the Pincode" +
        " credentials (docs/deploy.md, Operate).",
      metric: pollLagByStore(period),
      threshold: pollLag.thresholdMinutes * 60_000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: pollLag.evaluationPeriods,
      datapointsToAlarm: pollLag.evaluationPeriods,
      // The poller emits PollLagMs for every polled store on every run, failed runs included; silence means it is
      // not running.
      treatMissingData: pollLag.missingDataBreaches ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
    });
    lagAlarm.addAlarmAction(action);
    this.pollLag.set(POLL_LAG_ALARM_KEY, lagAlarm);

    const { submissionPending } = alarms;
    this.submissionPending = new Alarm(this, "SubmissionPending", {
      alarmDescription:
        `A Store Toggle or Listing submission has waited more than ${submissionPending.thresholdMinutes} min for` +
        " Pincode's result callback. Read it with GET /v1/submissions/{submissionId} (the poller logs the oldest" +
        " one's id) and check the callback endpoint's logs and the events DLQ.",
      metric: emfMetric("OldestPendingSubmissionAgeMs", "poller", {}, { statistic: "Maximum", period }),
      threshold: submissionPending.thresholdMinutes * 60_000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.submissionPending.addAlarmAction(action);

    const { functionErrors } = alarms;
    for (const [label, fn] of Object.entries(props.functions)) {
      const alarm = new Alarm(this, `${label}Errors`, {
        alarmDescription:
          `The ${label} function failed (crash or timeout) at least ${functionErrors.threshold} time(s) in each of` +
          ` ${functionErrors.evaluationPeriods} consecutive ${alarms.periodMinutes}-min periods. Its messages retry and` +
          " then land in a DLQ: read its log group.",
        metric: fn.metricErrors({ statistic: "Sum", period }),
        threshold: functionErrors.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: functionErrors.evaluationPeriods,
        datapointsToAlarm: functionErrors.evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.functionErrors.set(label, alarm);
    }

    const { api5xx } = alarms;
    for (const [label, method] of Object.entries(props.apiMethods)) {
      const alarm = new Alarm(this, `${label}Api5xx`, {
        alarmDescription:
          `${method.httpMethod} ${method.resource.path} answered 5xx at least ${api5xx.threshold} time(s) per` +
          ` ${alarms.periodMinutes} min for ${window(api5xx.evaluationPeriods)}: Pincode retries, but its callbacks` +
          " are not being accepted. Read the function's log group.",
        metric: method.metricServerError(props.apiStage, { statistic: "Sum", period }),
        threshold: api5xx.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: api5xx.evaluationPeriods,
        datapointsToAlarm: api5xx.evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.api5xx.set(label, alarm);
    }
  }
}

export const POLL_LAG_ALARM_KEY = "byStore";

/** PollLagMs per store: one time series per storeId the poller reported in the period (Metrics Insights). */
export function pollLagByStore(period: Duration): MathExpression {
  return new MathExpression({
    expression:
      `SELECT MAX(PollLagMs) FROM SCHEMA("${METRICS_NAMESPACE}", service, storeId)` +
      ` WHERE service = '${serviceName("poller")}' GROUP BY storeId ORDER BY MAX() DESC`,
    usingMetrics: {},
    period,
    label: "PollLagMs by store",
  });
}
