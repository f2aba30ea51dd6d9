import { Match, type Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { EMF_METRICS, METRICS_NAMESPACE } from "../../lib/constructs/emf-metrics.ts";
import { COMMAND_QUEUED_ALARM_MINUTES } from "../../lib/constructs/service-alarms.ts";
import { functionsByName, logicalId, refersTo, synthStage } from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type MetricRow = (string | Record<string, unknown>)[];
interface Widget {
  type: string;
  properties: { title?: string; metrics?: MetricRow[]; annotations?: unknown };
}

/** The dashboard JSON with every CloudFormation reference replaced by a marker naming the referenced resource. */
function dashboardOf(template: Template): { name: unknown; widgets: Widget[] } {
  const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard") as Resources);
  if (!dashboard) throw new Error("no dashboard");
  const body = dashboard.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] } | string;
  const text =
    typeof body === "string"
      ? body
      : body["Fn::Join"][1]
          .map((part) => (typeof part === "string" ? part : `REF:${JSON.stringify(part).replaceAll('"', "'")}`))
          .join("");
  return { name: dashboard.Properties.DashboardName, widgets: (JSON.parse(text) as { widgets: Widget[] }).widgets };
}

const widget = (template: Template, title: string): Widget => {
  const found = dashboardOf(template).widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`no widget '${title}'`);
  return found;
};

/** A graphed metric as `namespace, name, dim1, value1, ...` (without the rendering options). */
const plain = (row: MetricRow) => row.filter((x): x is string => typeof x === "string");
const expressions = (w: Widget) =>
  (w.properties.metrics ?? []).flatMap((row) => row.filter((x) => typeof x === "object").map((x) => x.expression));

const alarms = (template: Template) => Object.values(template.findResources("AWS::CloudWatch::Alarm") as Resources);

const POLL_LAG_QUERY =
  `SELECT MAX(PollLagMs) FROM SCHEMA("PincodeBridge", service, storeId) WHERE service = 'pincode-bridge-poller'` +
  " GROUP BY storeId ORDER BY MAX() DESC";
const pollLagAlarms = (template: Template) =>
  alarms(template).filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes("MAX(PollLagMs)"));

describe("operations dashboard", () => {
  it("is named pincode-bridge-<stage>", () => {
    synthStage("dev").appTemplate.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: "pincode-bridge-dev",
    });
    synthStage("prod").appTemplate.hasResourceProperties("AWS::CloudWatch::Dashboard", {
      DashboardName: "pincode-bridge-prod",
    });
  });

  it("graphs every EMF metric the functions emit, by its exact dimension set", () => {
    const { widgets } = dashboardOf(synthStage("prod").appTemplate);
    const rows = widgets.flatMap((w) => w.properties.metrics ?? []);
    const plainRows = rows.map(plain).filter((r) => r[0] === METRICS_NAMESPACE);
    const searches = rows.flatMap((row) => row.filter((x) => typeof x === "object").map((x) => String(x.expression)));

    for (const [name, spec] of Object.entries(EMF_METRICS)) {
      const schema = `{${[METRICS_NAMESPACE, "service", ...spec.dimensions].join(",")}}`;
      const asSearch = searches.some((e) => e.includes(`'${schema} MetricName="${name}"`));
      // A Metrics Insights query over the exact schema (used where stores are data: PollLagMs by storeId).
      const insightsSchema = `SCHEMA("${METRICS_NAMESPACE}", ${["service", ...spec.dimensions].join(", ")})`;
      const asQuery = searches.some((e) => e.startsWith(`SELECT MAX(${name}) FROM ${insightsSchema}`));
      // namespace, name, then service plus the catalogued dimensions as key/value pairs.
      const asMetric = plainRows.some(
        (r) =>
          r[1] === name &&
          r.length === 2 + 2 * (1 + spec.dimensions.length) &&
          r[2] === "service" &&
          spec.dimensions.every((d) => r.includes(d)),
      );
      expect(asSearch || asMetric || asQuery, name).toBe(true);
    }
  });

  it("breaks callback rejections down by reason and Pincode calls by endpoint and outcome with SEARCH", () => {
    const { appTemplate } = synthStage("dev");

    expect(expressions(widget(appTemplate, "Callbacks rejected (by reason)"))).toEqual([
      `SEARCH('{PincodeBridge,service,reason} MetricName="CallbacksRejected" service="pincode-bridge-callback"', 'Sum', 300)`,
    ]);
    expect(expressions(widget(appTemplate, "Pincode calls (by function, endpoint, outcome)"))).toEqual([
      `SEARCH('{PincodeBridge,service,endpoint,outcome} MetricName="PincodeCalls"', 'Sum', 300)`,
    ]);
  });

  it("draws one poll-lag line per store the poller reports (the alarm's query), with the alarm threshold", () => {
    const { appTemplate, config } = synthStage("prod");
    const lag = widget(appTemplate, "Poll lag per store (max)");

    // Stores are data: no store id is baked into the dashboard.
    expect(expressions(lag)).toEqual([POLL_LAG_QUERY]);
    expect(expressions(widget(synthStage("dev").appTemplate, "Poll lag per store (max)"))).toEqual([POLL_LAG_QUERY]);
    expect(JSON.stringify(lag.properties.annotations)).toContain(
      String(config.alarms.pollLag.thresholdMinutes * 60_000),
    );
  });

  it("shows queue depth and oldest-message age for the events and poll queues and the depth of all three DLQs", () => {
    const { appTemplate, data } = synthStage("dev");
    const queuesIn = (title: string, metric: string) =>
      (widget(appTemplate, title).properties.metrics ?? []).map((row) => {
        const [ns, name, , queue] = plain(row);
        return ns === "AWS/SQS" && name === metric ? queue : undefined;
      });
    const exportOf = (queue: unknown) => (ref: string | undefined) => refersTo(ref, logicalId(queue as never));

    for (const [title, metric] of [
      ["Queue depth (visible, max)", "ApproximateNumberOfMessagesVisible"],
      ["Age of oldest message (s, max)", "ApproximateAgeOfOldestMessage"],
    ] as const) {
      const refs = queuesIn(title, metric);
      expect(refs.some(exportOf(data.eventsQueue.queue)), title).toBe(true);
      expect(refs.some(exportOf(data.pollQueue.queue)), title).toBe(true);
    }
    const dlqs = queuesIn("DLQ depth (visible, max)", "ApproximateNumberOfMessagesVisible");
    for (const q of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(dlqs.some(exportOf(q.deadLetterQueue))).toBe(true);
    }
  });

  it("shows errors, throttles and p99 duration for each of the four functions", () => {
    const { appTemplate } = synthStage("dev");
    const ids = [...functionsByName(appTemplate).values()].map((f) => f.id);

    for (const [title, metric, stat] of [
      ["Lambda errors", "Errors", "Sum"],
      ["Lambda throttles", "Throttles", "Sum"],
      ["Lambda duration p99 (ms)", "Duration", "p99"],
    ] as const) {
      const rows = widget(appTemplate, title).properties.metrics ?? [];
      expect(
        rows.map((r) => plain(r).slice(0, 3)),
        title,
      ).toEqual(ids.map(() => ["AWS/Lambda", metric, "FunctionName"]));
      expect(rows.map((r) => r.find((x) => typeof x === "object")?.stat)).toEqual(ids.map(() => stat));
      for (const id of ids)
        expect(
          rows.some((r) => refersTo(r, id)),
          `${title} ${id}`,
        ).toBe(true);
    }
  });

  it("shows API Gateway 4xx, 5xx and p99 latency for the callback and token endpoints", () => {
    const { appTemplate } = synthStage("dev");

    for (const [title, metric] of [
      ["API 4xx", "4XXError"],
      ["API 5xx", "5XXError"],
      ["API latency p99 (ms)", "Latency"],
    ] as const) {
      const rows = (widget(appTemplate, title).properties.metrics ?? []).map(plain);
      expect(
        rows.map((r) => r.slice(0, 8)),
        title,
      ).toEqual(
        ["/pincode/callbacks", "/pincode/oauth/token"].map((resource) => [
          "AWS/ApiGateway",
          metric,
          "ApiName",
          "pincode-bridge-dev",
          "Method",
          "POST",
          "Resource",
          resource,
        ]),
      );
    }
  });
});

describe("service alarms", () => {
  it("alarms on PollLagMs with one Metrics Insights query grouped by storeId, whatever stores are configured", () => {
    for (const [stage, context] of [
      ["prod", { storeIds: "S01,S02" }],
      ["dev", {}],
    ] as const) {
      const { appTemplate, config } = synthStage(stage, context);
      const lagAlarms = pollLagAlarms(appTemplate);
      expect(lagAlarms, stage).toHaveLength(1);
      expect(lagAlarms[0]?.Properties).toMatchObject({
        Threshold: config.alarms.pollLag.thresholdMinutes * 60_000,
        ComparisonOperator: "GreaterThanThreshold",
        EvaluationPeriods: config.alarms.pollLag.evaluationPeriods,
        DatapointsToAlarm: config.alarms.pollLag.evaluationPeriods,
        Metrics: [{ Expression: POLL_LAG_QUERY, Period: config.alarms.periodMinutes * 60, ReturnData: true }],
      });
      // No static per-store alarm is left behind.
      expect(alarms(appTemplate).filter((a) => a.Properties.MetricName === "PollLagMs")).toEqual([]);
    }
  });

  it("treats missing poll lag as breaching in prod, so a poller that stopped running alarms", () => {
    expect(pollLagAlarms(appTemplateFor("prod"))[0]?.Properties.TreatMissingData).toBe("breaching");
    expect(pollLagAlarms(appTemplateFor("dev"))[0]?.Properties.TreatMissingData).toBe("notBreaching");
  });

  it("alarms when the oldest pending submission is older than submissionPendingAlarmMinutes", () => {
    for (const [context, minutes] of [
      [{}, 30],
      [{ submissionPendingAlarmMinutes: "45" }, 45],
    ] as const) {
      synthStage("dev", context).appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "PincodeBridge",
        MetricName: "OldestPendingSubmissionAgeMs",
        Dimensions: [{ Name: "service", Value: "pincode-bridge-poller" }],
        Statistic: "Maximum",
        Threshold: minutes * 60_000,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("alarms when a command has stayed QUEUED past the stranded-command sweep", () => {
    synthStage("dev").appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "PincodeBridge",
      MetricName: "OldestQueuedCommandAgeMs",
      Dimensions: [{ Name: "service", Value: "pincode-bridge-poller" }],
      Statistic: "Maximum",
      Threshold: COMMAND_QUEUED_ALARM_MINUTES * 60_000,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    });
  });

  it("alarms on poller and processor Lambda errors", () => {
    const { appTemplate, config } = synthStage("dev");
    const functions = functionsByName(appTemplate);

    for (const name of ["poller", "processor", "seller-api"]) {
      appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: functions.get(name)?.id } }],
        Statistic: "Sum",
        Threshold: config.alarms.functionErrors.threshold,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    }
  });

  it("alarms on 5xx answers from the callback endpoint", () => {
    const { appTemplate, config } = synthStage("dev");

    appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/ApiGateway",
      MetricName: "5XXError",
      Dimensions: Match.arrayWith([
        { Name: "ApiName", Value: "pincode-bridge-dev" },
        { Name: "Method", Value: "POST" },
        { Name: "Resource", Value: "/pincode/callbacks" },
      ]),
      Statistic: "Sum",
      Threshold: config.alarms.api5xx.threshold,
    });
  });

  it("routes every alarm to the alarm SNS topic", () => {
    const { appTemplate, service } = synthStage("prod");
    const topic = logicalId(service.alarms.topic);

    for (const alarm of alarms(appTemplate)) {
      expect(alarm.Properties.AlarmActions, String(alarm.Properties.MetricName)).toEqual([{ Ref: topic }]);
    }
    // DLQs x3, events backlog, poll lag (all stores), pending submission, command left QUEUED,
    // poller/processor/seller-api/commands errors, callback and token 5xx, quarantine, Pincode 429 and 5xx, commands
    // failed (issue 10).
    expect(alarms(appTemplate)).toHaveLength(17);
  });

  it("alarms on the first quarantined callback: rejected as malformed or invalid by the callback function", () => {
    const { appTemplate, config } = synthStage("dev");
    const period = config.alarms.periodMinutes * 60;
    const metric = (reason: string) => ({
      Id: reason,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: "PincodeBridge",
          MetricName: "CallbacksRejected",
          Dimensions: Match.arrayWith([
            { Name: "reason", Value: reason },
            { Name: "service", Value: "pincode-bridge-callback" },
          ]),
        },
        Period: period,
        Stat: "Sum",
      },
    });

    appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: "FILL(malformed, 0) + FILL(invalid, 0)" }),
        Match.objectLike(metric("malformed")),
        Match.objectLike(metric("invalid")),
      ]),
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
      AlarmActions: Match.anyValue(),
    });
  });
});

describe("issue 10 alarms: Pincode 429 and 5xx, commands FAILED", () => {
  it("alarms on Pincode's 429s and 5xx from every function's PincodeCalls, one Metrics Insights series each", () => {
    const { appTemplate, config } = synthStage("dev");
    const { pincodeErrors } = config.alarms;
    for (const [outcome, threshold] of [
      ["rate_limited", pincodeErrors.rateLimitedThreshold],
      ["server_error", pincodeErrors.serverErrorThreshold],
    ] as const) {
      appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Metrics: [
          Match.objectLike({
            Expression:
              `SELECT SUM(PincodeCalls) FROM SCHEMA("PincodeBridge", endpoint, outcome, service)` +
              ` WHERE outcome = '${outcome}'`,
            Period: config.alarms.periodMinutes * 60,
            ReturnData: true,
          }),
        ],
        Threshold: threshold,
        EvaluationPeriods: pincodeErrors.evaluationPeriods,
        DatapointsToAlarm: pincodeErrors.evaluationPeriods,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      });
    }
  });

  it("alarms on the first command or submission FAILED in a period", () => {
    const { appTemplate, config } = synthStage("dev");
    const metric = (name: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: {
            Namespace: "PincodeBridge",
            MetricName: name,
            Dimensions: [{ Name: "service", Value: "pincode-bridge-commands" }],
          },
          Stat: "Sum",
        }),
      });
    appTemplate.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: "FILL(orderCommands, 0) + FILL(submissions, 0)" }),
        metric("CommandsFailed"),
        metric("SubmissionsFailed"),
      ]),
      Threshold: config.alarms.commandsFailed.threshold,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  });
});

function appTemplateFor(stage: "dev" | "prod"): Template {
  return synthStage(stage, { storeIds: "S01,S02" }).appTemplate;
}
