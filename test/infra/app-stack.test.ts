import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { envOf, functionsByName, logicalId, refersTo, synthStage } from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

const FUNCTION_NAMES = ["callback", "callback-auth", "poller", "processor", "commands", "seller-api"] as const;

function fn(name: string, stage: "dev" | "prod" = "dev") {
  const { appTemplate } = synthStage(stage);
  const found = functionsByName(appTemplate).get(name);
  if (!found) throw new Error(`function ${name} not in the app stack`);
  return found;
}

describe("app stack: functions", () => {
  it("builds exactly the six functions, all ARM64 on nodejs22.x with X-Ray", () => {
    const functions = functionsByName(synthStage("dev").appTemplate);

    expect([...functions.keys()].sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const f of functions.values()) {
      expect(f.props).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
      });
    }
  });

  it("gives every function its own log group with the stage's retention", () => {
    for (const stage of ["dev", "prod"] as const) {
      const { appTemplate, config } = synthStage(stage);
      const logGroups = appTemplate.findResources("AWS::Logs::LogGroup") as Resources;

      for (const name of FUNCTION_NAMES) {
        const f = fn(name, stage);
        const target = (f.props.LoggingConfig as { LogGroup: unknown }).LogGroup;
        const [id, group] = Object.entries(logGroups).find(([id]) => refersTo(target, id)) ?? [];
        expect(id, name).toBeDefined();
        expect(group?.Properties.RetentionInDays).toBe(config.logRetentionDays);
        expect(group?.DeletionPolicy).toBe(stage === "prod" ? "Retain" : "Delete");
      }
    }
  });

  it("sets the shared Powertools, log level and source-map variables", () => {
    for (const name of FUNCTION_NAMES) {
      expect(envOf(fn(name))).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: `pincode-bridge-${name}`,
        POWERTOOLS_METRICS_NAMESPACE: "PincodeBridge",
        LOG_LEVEL: "DEBUG",
      });
    }
    expect(envOf(fn("processor", "prod")).LOG_LEVEL).toBe("INFO");
  });

  it("gives each function only the runtime-contract variables it needs", () => {
    const shared = ["NODE_OPTIONS", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"];
    const expected: Record<(typeof FUNCTION_NAMES)[number], string[]> = {
      // No TABLE_NAME since issue 11 (quarantine goes through the queue); the extension layer's own settings.
      callback: [
        "EVENTS_QUEUE_URL",
        "CALLBACK_AUTH_SECRET_ARN",
        "CALLBACK_AUTH_MODE",
        "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED",
        "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE",
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT",
        "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL",
        "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS",
        "SECRETS_MANAGER_TIMEOUT_MILLIS",
        "SECRETS_MANAGER_TTL",
        "SSM_PARAMETER_STORE_TIMEOUT_MILLIS",
        "SSM_PARAMETER_STORE_TTL",
      ],
      "callback-auth": ["CALLBACK_AUTH_SECRET_ARN", "CALLBACK_AUTH_MODE"],
      poller: [
        "TABLE_NAME",
        "EVENTS_QUEUE_URL",
        "POLL_QUEUE_URL",
        "COMMANDS_QUEUE_URL",
        "PINCODE_API_BASE_URL",
        "PINCODE_AUTH_URL",
        "PINCODE_CREDENTIALS_SECRET_ARN",
        "PINCODE_EXTRA_CANCEL_REASONS",
        "PINCODE_EXTRA_ITEM_REASONS",
        "PINCODE_RATE_LIMIT_PER_S",
        "STORE_IDS",
        "POLL_LOOKBACK_MS",
        "POLL_SETTLE_MS",
        "POLL_PAGE_SIZE",
        "POLL_TIME_BUDGET_MS",
      ],
      processor: [
        "TABLE_NAME",
        "EVENT_BUS_NAME",
        "PINCODE_API_BASE_URL",
        "PINCODE_AUTH_URL",
        "PINCODE_CREDENTIALS_SECRET_ARN",
        "PINCODE_EXTRA_CANCEL_REASONS",
        "PINCODE_EXTRA_ITEM_REASONS",
        "COMMANDS_QUEUE_URL",
        "PINCODE_RATE_LIMIT_PER_S",
      ],
      commands: [
        "TABLE_NAME",
        "EVENT_BUS_NAME",
        "PINCODE_API_BASE_URL",
        "PINCODE_AUTH_URL",
        "PINCODE_CREDENTIALS_SECRET_ARN",
        "PINCODE_EXTRA_CANCEL_REASONS",
        "PINCODE_EXTRA_ITEM_REASONS",
        "PINCODE_RATE_LIMIT_PER_S",
      ],
      "seller-api": [
        "TABLE_NAME",
        "COMMANDS_QUEUE_URL",
        "STORE_IDS",
        // The seller API validates cancel and unit-cut reasons against the stage's tables.
        "PINCODE_EXTRA_CANCEL_REASONS",
        "PINCODE_EXTRA_ITEM_REASONS",
        // The operations routes (functions/seller-api/routes/ops-*.ts): the work queues and their DLQs.
        "EVENTS_QUEUE_URL",
        "EVENTS_DLQ_URL",
        "POLL_QUEUE_URL",
        "POLL_DLQ_URL",
        "COMMANDS_DLQ_URL",
      ],
    };

    for (const name of FUNCTION_NAMES) {
      expect(Object.keys(envOf(fn(name))).sort(), name).toEqual([...expected[name], ...shared].sort());
    }
  });

  it("points the contract variables at the data stack's resources and the stage's Pincode hosts", () => {
    const { data } = synthStage("prod");
    const poller = envOf(fn("poller", "prod"));
    const processor = envOf(fn("processor", "prod"));

    expect(refersTo(poller.TABLE_NAME, logicalId(data.table))).toBe(true);
    expect(refersTo(poller.EVENTS_QUEUE_URL, logicalId(data.eventsQueue.queue))).toBe(true);
    expect(refersTo(poller.POLL_QUEUE_URL, logicalId(data.pollQueue.queue))).toBe(true);
    expect(refersTo(poller.PINCODE_CREDENTIALS_SECRET_ARN, logicalId(data.pincodeCredentials))).toBe(true);
    expect(refersTo(processor.EVENT_BUS_NAME, logicalId(data.eventBus))).toBe(true);
    expect(refersTo(envOf(fn("callback", "prod")).CALLBACK_AUTH_SECRET_ARN, logicalId(data.callbackAuth))).toBe(true);
    expect(poller).toMatchObject({
      STORE_IDS: "S01,S02",
      PINCODE_API_BASE_URL: "https://shopping-network.phonepe.com",
      PINCODE_AUTH_URL: "https://identitymanager.phonepe.com",
      POLL_PAGE_SIZE: "10",
    });
    expect(envOf(fn("poller"))).toMatchObject({
      PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com",
      PINCODE_AUTH_URL: "https://stg-identitymanager.phonepe.com",
    });
    // No -c extraCancelReasons / extraItemReasons: the documented tables only.
    expect(processor).toMatchObject({ PINCODE_EXTRA_CANCEL_REASONS: "", PINCODE_EXTRA_ITEM_REASONS: "" });
  });

  it("never puts a secret value in a function's environment, only secret ARNs", () => {
    const { data } = synthStage("dev");
    const secretIds = [
      logicalId(data.pincodeCredentials),
      logicalId(data.callbackAuth),
      ...data.node
        .findAll()
        .filter((c) => c.node.id.startsWith("CallbackAuthSeed"))
        .map((c) => logicalId(c as never)),
    ];

    for (const name of FUNCTION_NAMES) {
      for (const [key, value] of Object.entries(envOf(fn(name)))) {
        const rendered = JSON.stringify(value);
        expect(rendered, `${name}.${key}`).not.toContain("resolve:secretsmanager");
        expect(rendered, `${name}.${key}`).not.toMatch(/SecretString/);
        if (secretIds.some((id) => refersTo(value, id))) expect(key, `${name}.${key}`).toMatch(/_SECRET_ARN$/);
      }
    }
  });
});

describe("app stack: triggers", () => {
  it("feeds the processor from the events queue with batch failure reporting and config batch size/concurrency", () => {
    const { data, appTemplate, config } = synthStage("dev");

    appTemplate.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: fn("processor").id },
      EventSourceArn: Match.objectLike({}),
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: config.processor.batchSize,
      ScalingConfig: { MaximumConcurrency: config.processor.maxConcurrency },
      MaximumBatchingWindowInSeconds: config.processor.maxBatchingWindowSeconds,
    });
    const mapping = Object.values(appTemplate.findResources("AWS::Lambda::EventSourceMapping") as Resources).find((m) =>
      refersTo(m.Properties.FunctionName, fn("processor").id),
    );
    expect(refersTo(mapping?.Properties.EventSourceArn, logicalId(data.eventsQueue.queue))).toBe(true);
    expect(config.processor).toMatchObject({ batchSize: 10, maxConcurrency: 5 });
  });

  it("feeds the poller from the poll queue one store at a time with batch failure reporting", () => {
    const { data, appTemplate, config } = synthStage("dev");
    const mappings = Object.values(appTemplate.findResources("AWS::Lambda::EventSourceMapping") as Resources);
    const poller = mappings.find((m) => refersTo(m.Properties.FunctionName, fn("poller").id));

    expect(mappings).toHaveLength(3); // processor, poller, commands (test/infra/commands.test.ts)
    expect(refersTo(poller?.Properties.EventSourceArn, logicalId(data.pollQueue.queue))).toBe(true);
    expect(poller?.Properties).toMatchObject({
      BatchSize: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: config.poller.maxConcurrency },
    });
  });

  it("invokes the poller on an EventBridge schedule at the configured rate", () => {
    const { appTemplate } = synthStage("dev");

    appTemplate.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      State: "ENABLED",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [fn("poller").id, "Arn"] } })],
    });
    appTemplate.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [fn("poller").id, "Arn"] },
    });
  });
});

describe("app stack: API", () => {
  it("routes POST /pincode/callbacks and POST /pincode/oauth/token to their functions by proxy integration", () => {
    const { appTemplate } = synthStage("dev");
    const resources = appTemplate.findResources("AWS::ApiGateway::Resource") as Resources;
    // Walks ParentId references up to the API root to rebuild the full path of a method's resource.
    const pathOf = (id: string): string => {
      const r = resources[id];
      if (!r) return "";
      const parent = r.Properties.ParentId as { Ref?: string };
      return `${parent.Ref ? pathOf(parent.Ref) : ""}/${r.Properties.PathPart as string}`;
    };
    const methods = Object.values(appTemplate.findResources("AWS::ApiGateway::Method") as Resources);
    const route = (name: string) => {
      const m = methods.find((x) => refersTo(x.Properties.Integration, fn(name).id));
      if (!m) throw new Error(`no method integrates ${name}`);
      return { method: m.Properties, path: pathOf((m.Properties.ResourceId as { Ref: string }).Ref) };
    };

    expect(route("callback")).toMatchObject({
      path: "/pincode/callbacks",
      method: { HttpMethod: "POST", Integration: { Type: "AWS_PROXY" } },
    });
    expect(route("callback-auth")).toMatchObject({
      path: "/pincode/oauth/token",
      method: { HttpMethod: "POST", Integration: { Type: "AWS_PROXY" } },
    });
    // Pincode's resources are exactly these; everything else is the seller API's, under /v1 (test/infra/seller-api.test.ts).
    const paths = Object.keys(resources).map(pathOf);
    expect(paths.filter((p) => !p.startsWith("/v1")).sort()).toEqual(
      ["/pincode", "/pincode/callbacks", "/pincode/oauth", "/pincode/oauth/token"].sort(),
    );
  });

  it("deploys a regional stage with access logs, tracing and throttling from config", () => {
    const { appTemplate, config } = synthStage("prod");

    appTemplate.hasResourceProperties("AWS::ApiGateway::RestApi", {
      EndpointConfiguration: { Types: ["REGIONAL"] },
    });
    appTemplate.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "prod",
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      // The stage default (`/*/*`); Pincode's two routes have their own entries (edge-protection.test.ts).
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ResourcePath: "/*",
          HttpMethod: "*",
          DataTraceEnabled: false,
          LoggingLevel: "ERROR",
          ThrottlingRateLimit: config.api.throttlingRateLimit,
          ThrottlingBurstLimit: config.api.throttlingBurstLimit,
        }),
      ]),
    });
  });
});

describe("app stack: alarms", () => {
  it("alarms on any message in each of the three DLQs and on a stale events queue", () => {
    const { data, appTemplate } = synthStage("dev");
    const alarms = Object.values(appTemplate.findResources("AWS::CloudWatch::Alarm") as Resources);
    const on = (queue: unknown, metric: string) =>
      alarms.find(
        (a) => a.Properties.MetricName === metric && refersTo(a.Properties.Dimensions, logicalId(queue as never)),
      )?.Properties;

    for (const q of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(on(q.deadLetterQueue, "ApproximateNumberOfMessagesVisible")).toMatchObject({
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [expect.anything()],
      });
    }
    expect(on(data.eventsQueue.queue, "ApproximateAgeOfOldestMessage")).toMatchObject({ Threshold: 300 });
    appTemplate.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
  });
});
