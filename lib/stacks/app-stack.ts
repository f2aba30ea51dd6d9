import { join } from "node:path";
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { CfnAlarm } from "aws-cdk-lib/aws-cloudwatch";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import {
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
} from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { NagSuppressions } from "cdk-nag";
import type { Construct } from "constructs";
import { FUNCTION_TABLE_USE } from "../../functions/adapters/table-access.ts";
import { gatewayRoutes, type RouteFunction } from "../../functions/core/routes.ts";
import type { StageConfig } from "../config/stage-config.ts";
import { EdgeProtection } from "../constructs/edge-protection.ts";
import { OperationsDashboard } from "../constructs/operations-dashboard.ts";
import { PincodeFunction, REPO_ROOT } from "../constructs/pincode-function.ts";
import { QueueAlarms } from "../constructs/queue-alarms.ts";
import { ServiceAlarms } from "../constructs/service-alarms.ts";
import { grantTableUse } from "../constructs/table-grants.ts";
import type { DataStack } from "./data-stack.ts";

export interface AppStackProps extends StackProps {
  readonly config: StageConfig;
  readonly data: DataStack;
}

/** Pincode's two routes (functions/core/routes.ts), throttled apart. */
export const CALLBACK_ROUTE_PATH = "/pincode/callbacks";
export const TOKEN_ROUTE_PATH = "/pincode/oauth/token";

/** Execution logs at ERROR without bodies (they may carry tokens or buyer data), and per-method metrics. */
const METHOD_OBSERVABILITY = {
  loggingLevel: MethodLoggingLevel.ERROR,
  dataTraceEnabled: false,
  metricsEnabled: true,
} as const;

/**
 * What the seller API's operations routes do on each DLQ: count, look inside (receive, then visibility back to 0)
 * and redrive (receive, delete once re-sent). No PurgeQueue: nothing in the API throws messages away.
 */
export const OPS_DLQ_ACTIONS = [
  "sqs:GetQueueAttributes",
  "sqs:ReceiveMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:DeleteMessage",
] as const;
/**
 * The stateless half: API Gateway for Pincode's callbacks and token requests, the four functions, the poll schedule,
 * the SQS event sources, the alarms and the operations dashboard.
 */
export class AppStack extends Stack {
  readonly api: RestApi;
  readonly callback: PincodeFunction;
  readonly callbackAuth: PincodeFunction;
  readonly poller: PincodeFunction;
  readonly processor: PincodeFunction;
  /** The seller API (`/v1/*`, AWS_IAM). */
  readonly sellerApi: PincodeFunction;
  /** API Gateway methods by route key (`"GET /v1/orders"`, `"ANY /v1/{proxy+}"`), built from the route table. */
  readonly apiMethods = new Map<string, Method>();
  /** Issue 9: executes seller commands from the FIFO commands queue. */
  readonly commands: PincodeFunction;
  /** Optional buyer-data retention (docs/buyer-data.md): only with `buyerDataRetentionDays`. */
  readonly buyerDataPurge?: PincodeFunction;
  readonly alarms: QueueAlarms;
  readonly serviceAlarms: ServiceAlarms;
  readonly dashboard: OperationsDashboard;
  /** The optional WAF web ACL (`-c wafRateLimitPer5Min=N`). */
  readonly edgeProtection?: EdgeProtection;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const functionsDir = join(REPO_ROOT, "functions");
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const entry = (name: string) => join(functionsDir, name, "handler.ts");
    // Optional buyer-data retention: the processor and commands functions enter final orders in the retention index.
    const retentionEnv: Record<string, string> =
      config.buyerDataRetentionDays === undefined
        ? {}
        : { BUYER_DATA_RETENTION_DAYS: String(config.buyerDataRetentionDays) };
    const shared = {
      logLevel: config.logLevel,
      logRetention: config.logRetentionDays,
      logRemovalPolicy: removalPolicy,
    };

    if (config.storeIds.length === 0) {
      const message =
        "No store ids configured: the poller will not reconcile any store. Pass -c storeIds=S01,S02 (docs/deploy.md).";
      // Normal for a dev or CI synth; in prod it means dropped callbacks would never be recovered.
      if (config.stage === "prod") Annotations.of(this).addWarningV2("pincode-bridge:no-store-ids", message);
      else Annotations.of(this).addInfo(message);
    }
    // Cross-stack references stay strong (export/import): cdk.json sets @aws-cdk/core:defaultCrossStackReferences to
    // "strong" so the data stack cannot be deleted, or have an output this stack uses removed, while it is in use.

    const pincodeEnv = {
      PINCODE_API_BASE_URL: config.pincode.apiBaseUrl,
      PINCODE_AUTH_URL: config.pincode.authUrl,
      PINCODE_CREDENTIALS_SECRET_ARN: data.pincodeCredentials.secretArn,
      // Reason tables extended per stage: every function that validates requests to Pincode reads these.
      PINCODE_EXTRA_CANCEL_REASONS: config.extraReasons.cancel.join(","),
      PINCODE_EXTRA_ITEM_REASONS: config.extraReasons.item.join(","),
      // One Pincode budget for the stack, paced through the table (docs/rate-budget.md).
      PINCODE_RATE_LIMIT_PER_S: String(config.pincodeRateLimit.perSecond),
      ...(Object.keys(config.pincodeRateLimit.families).length > 0
        ? {
            PINCODE_RATE_LIMITS: Object.entries(config.pincodeRateLimit.families)
              .map(([family, rate]) => `${family}:${rate}`)
              .join(","),
          }
        : {}),
    };

    this.callback = new PincodeFunction(this, "Callback", {
      ...shared,
      name: "callback",
      entry: entry("callback"),
      description: "Pincode callbacks: authenticate, validate, queue, ACK",
      memoryMb: config.callback.memoryMb,
      timeout: Duration.seconds(config.callback.timeoutSeconds),
      environment: {
        EVENTS_QUEUE_URL: data.eventsQueue.queue.queueUrl,
        CALLBACK_AUTH_SECRET_ARN: data.callbackAuth.secretArn,
        CALLBACK_AUTH_MODE: config.callbackAuthMode,
      },
      // Issue 11: the auth secret through the extension's localhost API, no Secrets Manager client in the bundle.
      paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
        cacheSize: 10,
        logLevel: ParamsAndSecretsLogLevel.WARN,
      }),
    });
    this.callbackAuth = new PincodeFunction(this, "CallbackAuth", {
      ...shared,
      name: "callback-auth",
      entry: entry("callback-auth"),
      description: "OAuth client-credentials token endpoint Pincode calls before each callback",
      memoryMb: config.callbackAuth.memoryMb,
      timeout: Duration.seconds(config.callbackAuth.timeoutSeconds),
      environment: {
        CALLBACK_AUTH_SECRET_ARN: data.callbackAuth.secretArn,
        CALLBACK_AUTH_MODE: config.callbackAuthMode,
      },
    });
    this.poller = new PincodeFunction(this, "Poller", {
      ...shared,
      name: "poller",
      entry: entry("poller"),
      description: "Reconciliation: fans out one poll task per store, then pages Order Poll per store",
      memoryMb: config.poller.memoryMb,
      timeout: Duration.seconds(config.poller.timeoutSeconds),
      environment: {
        ...pincodeEnv,
        TABLE_NAME: data.table.tableName,
        EVENTS_QUEUE_URL: data.eventsQueue.queue.queueUrl,
        POLL_QUEUE_URL: data.pollQueue.queue.queueUrl,
        // The scheduled run re-sends commands left QUEUED by a submit that failed half-way (stranded-commands.ts).
        COMMANDS_QUEUE_URL: data.commandsQueue.queue.queueUrl,
        STORE_IDS: config.storeIds.join(","),
        POLL_LOOKBACK_MS: String(config.poller.lookbackMs),
        POLL_SETTLE_MS: String(config.poller.settleMs),
        POLL_PAGE_SIZE: String(config.poller.pageSize),
        POLL_TIME_BUDGET_MS: String(config.poller.timeBudgetMs),
        // Adaptive polling (docs/scale.md): only with -c pollIntervalMinS / pollIntervalMaxS.
        ...(config.poller.adaptive
          ? {
              POLL_INTERVAL_MIN_S: String(config.poller.adaptive.minSeconds),
              POLL_INTERVAL_MAX_S: String(config.poller.adaptive.maxSeconds),
              POLL_SCHEDULE_S: String(config.poller.intervalMinutes * 60),
            }
          : {}),
      },
    });
    this.processor = new PincodeFunction(this, "Processor", {
      ...shared,
      name: "processor",
      entry: entry("processor"),
      description: "Applies order snapshots and poll hits to the table, emits domain events",
      memoryMb: config.processor.memoryMb,
      timeout: Duration.seconds(config.processor.timeoutSeconds),
      environment: {
        ...pincodeEnv,
        TABLE_NAME: data.table.tableName,
        EVENT_BUS_NAME: data.eventBus.eventBusName,
        // Issue 9: per-store automation (auto-accept) queues accept commands.
        COMMANDS_QUEUE_URL: data.commandsQueue.queue.queueUrl,
        ...retentionEnv,
      },
    });

    this.sellerApi = new PincodeFunction(this, "SellerApi", {
      ...shared,
      name: "seller-api",
      entry: entry("seller-api"),
      description: "Seller API /v1/*: orders, order actions, stores, listings, commands and submissions",
      memoryMb: config.sellerApi.memoryMb,
      timeout: Duration.seconds(config.sellerApi.timeoutSeconds),
      environment: {
        TABLE_NAME: data.table.tableName,
        COMMANDS_QUEUE_URL: data.commandsQueue.queue.queueUrl,
        PINCODE_EXTRA_CANCEL_REASONS: pincodeEnv.PINCODE_EXTRA_CANCEL_REASONS,
        PINCODE_EXTRA_ITEM_REASONS: pincodeEnv.PINCODE_EXTRA_ITEM_REASONS,
        // Seeds the store list; stores are data after that (PUT/DELETE /v1/stores).
        STORE_IDS: config.storeIds.join(","),
      },
    });

    // --- Least privilege: each function gets exactly the calls its handler makes.
    const grantSend = (fn: PincodeFunction, queue: IQueue) => {
      queue.grant(fn, "sqs:SendMessage");
      // SQS with a customer-managed key: producers need GenerateDataKey and Decrypt (AWS SQS key management docs).
      data.dataKey.grant(fn, "kms:GenerateDataKey", "kms:Decrypt");
    };
    // Table: each function only the actions its adapters send, on the item kinds they touch (LeadingKeys), derived
    // from functions/adapters/table-access.ts; the callback and token functions reach nothing in the table.
    const grantTable = (fn: PincodeFunction, name: keyof typeof FUNCTION_TABLE_USE) =>
      grantTableUse(fn, data.table, data.dataKey, FUNCTION_TABLE_USE[name]);

    // The public endpoint's function reaches nothing in the table: accepted and refused (quarantined) callbacks both
    // go to the events queue, and the processor writes them (issue 11).
    grantSend(this.callback, data.eventsQueue.queue);
    // Read by the Parameters and Secrets extension with the function's role.
    data.callbackAuth.grantRead(this.callback);

    data.callbackAuth.grantRead(this.callbackAuth);

    grantSend(this.poller, data.eventsQueue.queue);
    grantSend(this.poller, data.pollQueue.queue);
    grantSend(this.poller, data.commandsQueue.queue); // the sweep of stranded commands
    grantTable(this.poller, "poller");
    data.pincodeCredentials.grantRead(this.poller);

    // Seller API: its item kinds by leading key; order listings Query the byStore index (only function that does).
    grantTable(this.sellerApi, "seller-api");
    grantSend(this.sellerApi, data.commandsQueue.queue);

    // Seller API operations routes (functions/seller-api/routes/ops-*.ts): queue depths, a look inside each DLQ
    // (receive + visibility back to 0), redrive (receive, send back to the source queue, delete), quarantine list
    // (Query/GetItem on QUARANTINE#*) and replay (onto the events queue, then UpdateItem marks the item replayed).
    const workQueues = [data.eventsQueue, data.pollQueue, data.commandsQueue];
    this.sellerApi.function.addEnvironment("EVENTS_QUEUE_URL", data.eventsQueue.queue.queueUrl);
    this.sellerApi.function.addEnvironment("EVENTS_DLQ_URL", data.eventsQueue.deadLetterQueue.queueUrl);
    this.sellerApi.function.addEnvironment("POLL_QUEUE_URL", data.pollQueue.queue.queueUrl);
    this.sellerApi.function.addEnvironment("POLL_DLQ_URL", data.pollQueue.deadLetterQueue.queueUrl);
    this.sellerApi.function.addEnvironment("COMMANDS_DLQ_URL", data.commandsQueue.deadLetterQueue.queueUrl);
    for (const { queue, deadLetterQueue } of workQueues) {
      queue.grant(this.sellerApi, "sqs:GetQueueAttributes");
      deadLetterQueue.grant(this.sellerApi, ...OPS_DLQ_ACTIONS);
    }
    grantSend(this.sellerApi, data.eventsQueue.queue);
    grantSend(this.sellerApi, data.pollQueue.queue);
    grantTable(this.processor, "processor");
    grantSend(this.processor, data.commandsQueue.queue); // issue 9: auto-accept commands
    data.eventBus.grantPutEventsTo(this.processor);
    data.pincodeCredentials.grantRead(this.processor);

    // --- Triggers.
    this.processor.function.addEventSource(
      new SqsEventSource(data.eventsQueue.queue, {
        batchSize: config.processor.batchSize,
        maxConcurrency: config.processor.maxConcurrency,
        ...(config.processor.maxBatchingWindowSeconds > 0
          ? { maxBatchingWindow: Duration.seconds(config.processor.maxBatchingWindowSeconds) }
          : {}),
        reportBatchItemFailures: true,
      }),
    );
    // One store per invocation so a slow store cannot starve another or blow the time budget.
    this.poller.function.addEventSource(
      new SqsEventSource(data.pollQueue.queue, {
        batchSize: 1,
        maxConcurrency: config.poller.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    new Rule(this, "PollSchedule", {
      description: "Fans out one poll task per configured store",
      schedule: Schedule.rate(Duration.minutes(config.poller.intervalMinutes)),
      targets: [
        // A tick that could not be delivered within one interval is superseded by the next one.
        new LambdaFunction(this.poller.function, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(Math.max(1, config.poller.intervalMinutes)),
        }),
      ],
    });

    // --- Issue 9: the commands function (seller commands → Pincode, exactly once; docs/commands.md).
    this.commands = new PincodeFunction(this, "Commands", {
      ...shared,
      name: "commands",
      entry: entry("commands"),
      description: "Seller commands from the FIFO queue: Order Update, Store Toggle, Listing, exactly once",
      memoryMb: config.processor.memoryMb,
      // The commands queue's visibility timeout is derived from the processor's timeout (data stack): keep them equal.
      timeout: Duration.seconds(config.processor.timeoutSeconds),
      environment: {
        ...pincodeEnv,
        TABLE_NAME: data.table.tableName,
        EVENT_BUS_NAME: data.eventBus.eventBusName,
        ...retentionEnv,
      },
    });
    // Commands, submissions, orders and the rate budget only (table-access.ts); it sends no SQS message.
    grantTable(this.commands, "commands");
    data.eventBus.grantPutEventsTo(this.commands);
    data.pincodeCredentials.grantRead(this.commands);
    this.commands.function.addEventSource(
      new SqsEventSource(data.commandsQueue.queue, {
        // FIFO: a batch keeps each message group's order; the handler runs groups concurrently, each in order, and fails the rest of a group after a failure.
        batchSize: config.processor.batchSize,
        maxConcurrency: config.processor.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // --- Optional buyer-data retention (docs/buyer-data.md): off unless -c buyerDataRetentionDays=N.
    if (config.buyerDataRetentionDays !== undefined) {
      // The processor and commands functions' RETENTION# entry writes come with the order repository's access
      // (functions/adapters/table-access.ts), granted to them whether or not retention is on.
      const purge = new PincodeFunction(this, "BuyerDataPurge", {
        ...shared,
        name: "retention",
        entry: entry("retention"),
        description: "Daily: removes buyer fields from orders final for longer than buyerDataRetentionDays",
        memoryMb: 256,
        timeout: Duration.minutes(5),
        environment: {
          TABLE_NAME: data.table.tableName,
          BUYER_DATA_RETENTION_DAYS: String(config.buyerDataRetentionDays),
        },
      });
      // Reads and rewrites order views and history, reads and deletes its own index entries; no Scan.
      grantTable(purge, "retention");
      new Rule(this, "BuyerDataPurgeSchedule", {
        description: "Runs the buyer-data purge once a day",
        schedule: Schedule.rate(Duration.days(1)),
        targets: [new LambdaFunction(purge.function, { retryAttempts: 2 })],
      });
      NagSuppressions.addResourceSuppressions(purge.function, [
        {
          id: "AwsSolutions-L1",
          reason:
            "Pinned to nodejs22.x on purpose: the bundle targets node20 (the CI and local Node version) and runtimes are bumped deliberately, with the pinned AWS SDK, not by a linter.",
        },
      ]);
      NagSuppressions.addResourceSuppressions(
        purge.role,
        [
          {
            id: "AwsSolutions-IAM5",
            reason:
              "X-Ray actions take no resource; the KMS action families are scoped to the table's key; the table grant is limited by LeadingKeys.",
            appliesTo: ["Resource::*", "Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*"],
          },
        ],
        true,
      );
      this.buyerDataPurge = purge;
    }

    // --- API: Pincode's callback and token endpoints.
    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: config.logRetentionDays,
      removalPolicy,
    });
    this.api = new RestApi(this, "Api", {
      restApiName: `pincode-bridge-${config.stage}`,
      description: "pincode-bridge: Pincode callbacks and the OAuth token endpoint Pincode calls",
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // The API Gateway account setting is a per-region singleton other stacks may rely on: never delete it.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.stage,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        // No caller/user fields and no bodies: access logs must never carry tokens or buyer PII.
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        ...METHOD_OBSERVABILITY,
        tracingEnabled: true,
        throttlingRateLimit: config.api.throttlingRateLimit,
        throttlingBurstLimit: config.api.throttlingBurstLimit,
        // Issue 10: Pincode's two routes each with their own configured bucket (docs/deploy.md, "Edge protection").
        // A method's settings replace the stage's for that method, so logging and the per-method metrics the 5xx
        // alarms read are restated.
        methodOptions: {
          [`${CALLBACK_ROUTE_PATH}/POST`]: {
            ...METHOD_OBSERVABILITY,
            throttlingRateLimit: config.api.callbacks.rateLimit,
            throttlingBurstLimit: config.api.callbacks.burstLimit,
          },
          [`${TOKEN_ROUTE_PATH}/POST`]: {
            ...METHOD_OBSERVABILITY,
            throttlingRateLimit: config.api.token.rateLimit,
            throttlingBurstLimit: config.api.token.burstLimit,
          },
        },
      },
    });
    if (config.api.waf) {
      this.edgeProtection = new EdgeProtection(this, "EdgeProtection", {
        stage: this.api.deploymentStage,
        name: `pincode-bridge-${config.stage}`,
        rateLimitPer5Min: config.api.waf.rateLimitPer5Min,
      });
    }
    // Every route of the one route table (functions/core/routes.ts), plus ANY on each seller resource and the /v1
    // catch-all so wrong methods and unknown paths reach the function (405/404 in our shape, behind IAM).
    const targets: Record<RouteFunction, PincodeFunction> = {
      callback: this.callback,
      callbackAuth: this.callbackAuth,
      sellerApi: this.sellerApi,
    };
    // One integration (and one invoke permission for the whole API) per function: a permission per method would
    // outgrow the Lambda resource policy's size limit as routes are added.
    const integrations = new Map<RouteFunction, LambdaIntegration>();
    const integrationFor = (fn: RouteFunction) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration =
          fn === "sellerApi"
            ? new LambdaIntegration(targets[fn].function, { scopePermissionToMethod: false })
            : new LambdaIntegration(targets[fn].function);
        integrations.set(fn, integration);
      }
      return integration;
    };
    for (const route of gatewayRoutes()) {
      const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integrationFor(route.function), {
        authorizationType: route.auth === "iam" ? AuthorizationType.IAM : AuthorizationType.NONE,
      });
      this.apiMethods.set(`${route.method} ${route.path}`, method);
    }
    const callbacksMethod = this.apiMethods.get(`POST ${CALLBACK_ROUTE_PATH}`)!;
    const tokenMethod = this.apiMethods.get(`POST ${TOKEN_ROUTE_PATH}`)!;

    // The CLI reads these (SigV4 against the API, region from the stack).
    new CfnOutput(this, "ApiUrl", { value: this.api.url, description: "Base URL of the HTTP API (stage included)" });
    new CfnOutput(this, "SellerApiUrl", {
      value: this.api.urlForPath("/v1"),
      description: "Seller API base URL (AWS_IAM: sign requests with SigV4, service execute-api)",
    });
    new CfnOutput(this, "CallbackUrl", { value: this.api.urlForPath("/pincode/callbacks") });
    new CfnOutput(this, "TokenUrl", { value: this.api.urlForPath("/pincode/oauth/token") });
    new CfnOutput(this, "CallbackAuthSecretArn", { value: data.callbackAuth.secretArn });
    new CfnOutput(this, "PincodeCredentialsSecretArn", { value: data.pincodeCredentials.secretArn });

    // --- Alarms.
    this.alarms = new QueueAlarms(this, "Alarms", {
      topicName: `pincode-bridge-${config.stage}-alarms`,
      deadLetterQueues: {
        Events: data.eventsQueue.deadLetterQueue,
        Poll: data.pollQueue.deadLetterQueue,
        Commands: data.commandsQueue.deadLetterQueue,
      },
      backlogQueues: { Events: data.eventsQueue.queue },
      maxAgeSeconds: config.alarms.eventsQueueMaxAgeSeconds,
      email: config.alarms.email,
      removalPolicy,
    });
    const apiMethods = { Callbacks: callbacksMethod, Token: tokenMethod };
    this.serviceAlarms = new ServiceAlarms(this, "ServiceAlarms", {
      topic: this.alarms.topic,
      alarms: config.alarms,
      storeIds: config.storeIds,
      functions: {
        Poller: this.poller.function,
        Processor: this.processor.function,
        SellerApi: this.sellerApi.function,
        Commands: this.commands.function,
      },
      apiMethods,
      apiStage: this.api.deploymentStage,
    });

    // Every alarm says where its runbook entry is (docs/runbook.md, one heading per alarm id; runbook.test.ts).
    for (const alarm of [...this.alarms.alarms, ...this.serviceAlarms.all]) {
      const cfn = alarm.node.defaultChild as CfnAlarm;
      cfn.alarmDescription = `${cfn.alarmDescription ?? ""} Runbook: docs/runbook.md#${alarm.node.id.toLowerCase()}`;
    }

    // --- Dashboard.
    this.dashboard = new OperationsDashboard(this, "Operations", {
      dashboardName: `pincode-bridge-${config.stage}`,
      storeIds: config.storeIds,
      pollLagThresholdMs: config.alarms.pollLag.thresholdMinutes * 60_000,
      submissionPendingThresholdMs: config.alarms.submissionPending.thresholdMinutes * 60_000,
      functions: {
        callback: this.callback.function,
        "callback-auth": this.callbackAuth.function,
        poller: this.poller.function,
        processor: this.processor.function,
        "seller-api": this.sellerApi.function,
        commands: this.commands.function,
      },
      workQueues: { events: data.eventsQueue.queue, poll: data.pollQueue.queue },
      workQueueMaxAgeSeconds: config.alarms.eventsQueueMaxAgeSeconds,
      deadLetterQueues: {
        events: data.eventsQueue.deadLetterQueue,
        poll: data.pollQueue.deadLetterQueue,
        commands: data.commandsQueue.deadLetterQueue,
      },
      apiMethods,
      apiStage: this.api.deploymentStage,
      alarms: [...this.alarms.alarms, ...this.serviceAlarms.all],
    });

    // --- cdk-nag acknowledgements, each on the narrowest resource and finding.
    NagSuppressions.addResourceSuppressions(
      [callbacksMethod, tokenMethod],
      [
        {
          id: "AwsSolutions-APIG4",
          reason:
            "Pincode cannot sign SigV4 or use a Cognito/Lambda authorizer contract; it presents an OAuth bearer token or static token (PINCODE-API 3.1) that the function verifies before anything is queued. The token endpoint itself authenticates with client credentials.",
        },
        {
          id: "AwsSolutions-COG4",
          reason:
            "No Cognito user pool: the callback OAuth client is ours (callback-auth function, JWTs signed with a key in Secrets Manager) and Pincode is its only client.",
        },
      ],
    );
    NagSuppressions.addResourceSuppressions(
      [...this.apiMethods.entries()].filter(([key]) => !key.includes(" /pincode/")).map(([, method]) => method),
      [
        {
          id: "AwsSolutions-COG4",
          reason:
            "The seller API uses AWS_IAM authorization (SigV4): callers are the seller's own IAM principals (CLI, services), not end users of a Cognito user pool.",
        },
      ],
    );
    NagSuppressions.addResourceSuppressions(this.api, [
      {
        id: "AwsSolutions-APIG2",
        reason:
          "Bodies may be JSON or form-encoded (PINCODE-API A1) and invalid authenticated bodies must be quarantined, not rejected by the gateway (DESIGN.md: nothing is lost). The functions validate with zod and answer a 4xx naming the problem.",
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.api.deploymentStage, [
      {
        id: "AwsSolutions-APIG3",
        reason:
          "Pincode's source IPs are not documented (PINCODE-API 3.1), so no allow-list WAF rule can be written; stage throttling and token verification are the controls. A web ACL can be associated later without code changes.",
      },
    ]);
    NagSuppressions.addResourceSuppressions(
      this.api,
      [
        {
          id: "AwsSolutions-IAM4",
          reason:
            "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for the regional API Gateway logging role, required for access and execution logs.",
          appliesTo: ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"],
        },
      ],
      true,
    );
    for (const fn of [this.callback, this.callbackAuth, this.poller, this.processor, this.sellerApi]) {
      NagSuppressions.addResourceSuppressions(fn.function, [
        {
          id: "AwsSolutions-L1",
          reason:
            "Pinned to nodejs22.x on purpose: the bundle targets node20 (the CI and local Node version) and runtimes are bumped deliberately, with the pinned AWS SDK, not by a linter.",
        },
      ]);
    }
    const xray = {
      id: "AwsSolutions-IAM5",
      reason:
        "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (AWS service authorization reference).",
      appliesTo: ["Resource::*"],
    };
    const tableKey = {
      id: "AwsSolutions-IAM5",
      reason:
        "KMS action families DynamoDB needs for a table encrypted with a customer-managed key, scoped to that one key ARN.",
      appliesTo: ["Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*"],
    };
    NagSuppressions.addResourceSuppressions(this.callback.role, [xray], true);
    NagSuppressions.addResourceSuppressions(this.callbackAuth.role, [xray], true);
    NagSuppressions.addResourceSuppressions(this.poller.role, [xray, tableKey], true);
    NagSuppressions.addResourceSuppressions(this.processor.role, [xray, tableKey], true);
    NagSuppressions.addResourceSuppressions(this.sellerApi.role, [xray, tableKey], true);

    NagSuppressions.addResourceSuppressions(this.commands.function, [
      {
        id: "AwsSolutions-L1",
        reason:
          "Pinned to nodejs22.x on purpose: the bundle targets node20 (the CI and local Node version) and runtimes are bumped deliberately, with the pinned AWS SDK, not by a linter.",
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.commands.role, [xray, tableKey], true);
  }
}
