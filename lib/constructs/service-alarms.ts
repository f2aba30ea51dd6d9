import { Duration } from "aws-cdk-lib";
import type { Method, Stage } from "aws-cdk-lib/aws-apigateway";
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { StageConfig } from "../config/stage-config.ts";
import { emfMetric, METRICS_NAMESPACE, serviceName } from "./emf-metrics.ts";

/**
 * A command QUEUED this long was missed by several sweeps (each runs a minute apart, re-sending after a 2-min grace):
 * the queue is unreachable or the sweep fails.
 */
export const COMMAND_QUEUED_ALARM_MINUTES = 10;

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
  /** A seller command still QUEUED long after the sweep should have re-sent it (functions/poller/stranded-commands.ts). */
  readonly commandQueued: Alarm;
  readonly functionErrors = new Map<string, Alarm>();
  readonly api5xx = new Map<string, Alarm>();
  /** Any callback quarantined (an authenticated body we could not accept): someone must look at it. */
  readonly quarantined: Alarm;
  /** Pincode answering 429 / 5xx to our calls (issue 10). */
  readonly pincodeRateLimited: Alarm;
  readonly pincodeServerErrors: Alarm;
  /** Seller commands that ended FAILED (issue 10). */
  readonly commandsFailed: Alarm;

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

    this.commandQueued = new Alarm(this, "CommandQueued", {
      alarmDescription:
        `A seller command has been QUEUED for more than ${COMMAND_QUEUED_ALARM_MINUTES} min: its message never reached` +
        " the commands queue and the poller's sweep could not re-send it. Search the poller's log for \"stranded\"," +
        " then the commands queue and its DLQ.",
      metric: emfMetric("OldestQueuedCommandAgeMs", "poller", {}, { statistic: "Maximum", period }),
      threshold: COMMAND_QUEUED_ALARM_MINUTES * 60_000,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.commandQueued.addAlarmAction(action);

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

    // Quarantined callbacks (CallbacksRejected with reason malformed or invalid) expire after 30 days unread: an
    // operator must see each one, so one in a period alarms.
    const rejected = (reason: string) =>
      emfMetric("CallbacksRejected", "callback", { reason }, { statistic: "Sum", period });
    this.quarantined = new Alarm(this, "CallbacksQuarantined", {
      alarmDescription:
        "Pincode sent a callback we authenticated but could not accept (no usable order id or requestContext, or not" +
        " JSON). It is quarantined with the reason and expires in 30 days: read it (QUARANTINE# items) and tell" +
        " Pincode or fix our parsing (docs/callbacks.md).",
      metric: new MathExpression({
        expression: "FILL(malformed, 0) + FILL(invalid, 0)",
        usingMetrics: { malformed: rejected("malformed"), invalid: rejected("invalid") },
        period,
        label: "Callbacks quarantined",
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.quarantined.addAlarmAction(action);

    // Issue 10: Pincode's 429s and 5xx, from the client's per-attempt PincodeCalls (every function, every endpoint).
    // Counts per period, not a share of all calls: an alarm takes one Metrics Insights query, and a share would need
    // two (docs/runbook.md). The operations dashboard shows calls by outcome beside it.
    const { pincodeErrors } = alarms;
    const pincodeOutcome = (id: string, outcome: string, threshold: number, meaning: string) => {
      const alarm = new Alarm(this, id, {
        alarmDescription:
          `Pincode answered ${meaning} to at least ${threshold} of our calls per ${alarms.periodMinutes} min for` +
          ` ${window(pincodeErrors.evaluationPeriods)} (PincodeCalls outcome=${outcome}, all functions).`,
        metric: pincodeCallsWithOutcome(outcome, period),
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: pincodeErrors.evaluationPeriods,
        datapointsToAlarm: pincodeErrors.evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      return alarm;
    };
    this.pincodeRateLimited = pincodeOutcome(
      "PincodeRateLimited",
      "rate_limited",
      pincodeErrors.rateLimitedThreshold,
      "429 (rate limited)",
    );
    this.pincodeServerErrors = pincodeOutcome(
      "PincodeServerErrors",
      "server_error",
      pincodeErrors.serverErrorThreshold,
      "5xx",
    );

    this.commandsFailed = new Alarm(this, "CommandsFailed", {
      alarmDescription:
        `At least ${alarms.commandsFailed.threshold} seller command(s) or submission(s) ended FAILED in` +
        ` ${alarms.periodMinutes} min: the action did not reach Pincode after every attempt. No event is published` +
        " for FAILED; the commands function's log names each (commandId / submissionId).",
      // Order commands count CommandsFailed; store toggles and listings fail per submission (SubmissionsFailed).
      metric: new MathExpression({
        expression: "FILL(orderCommands, 0) + FILL(submissions, 0)",
        usingMetrics: {
          orderCommands: emfMetric("CommandsFailed", "commands", {}, { statistic: "Sum", period }),
          submissions: emfMetric("SubmissionsFailed", "commands", {}, { statistic: "Sum", period }),
        },
        period,
        label: "Commands and submissions FAILED",
      }),
      threshold: alarms.commandsFailed.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.commandsFailed.addAlarmAction(action);
  }

  /** Every alarm of this construct. */
  get all(): Alarm[] {
    return [
      ...this.pollLag.values(),
      this.submissionPending,
      this.commandQueued,
      ...this.functionErrors.values(),
      ...this.api5xx.values(),
      this.quarantined,
      this.pincodeRateLimited,
      this.pincodeServerErrors,
      this.commandsFailed,
    ];
  }
}

/** PincodeCalls attempts with one outcome, summed over every function and endpoint (one Metrics Insights series). */
export function pincodeCallsWithOutcome(outcome: string, period: Duration): MathExpression {
  return new MathExpression({
    expression:
      `SELECT SUM(PincodeCalls) FROM SCHEMA("${METRICS_NAMESPACE}", endpoint, outcome, service)` +
      ` WHERE outcome = '${outcome}'`,
    usingMetrics: {},
    period,
    label: `Pincode calls ${outcome}`,
  });
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
