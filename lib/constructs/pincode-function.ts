import { fileURLToPath } from "node:url";
import type { Duration, RemovalPolicy } from "aws-cdk-lib";
import { type IGrantable, type IPrincipal, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, type ParamsAndSecretsLayerVersion, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** Repository root, resolved from this file so synth works from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface PincodeFunctionProps {
  /** Absolute path of the handler entry file (exports `handler`). */
  readonly entry: string;
  /** Short kebab-case name: the Powertools service name is `pincode-bridge-<name>`. */
  readonly name: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** Function-specific variables; the shared Powertools and source-map variables are added here. */
  readonly environment: Record<string, string>;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * The AWS Parameters and Secrets Lambda extension (a layer): the function reads its secrets over localhost HTTP
   * instead of bundling a Secrets Manager client (the callback, issue 11).
   */
  readonly paramsAndSecrets?: ParamsAndSecretsLayerVersion;
}

/**
 * Every Lambda in pincode-bridge: ARM64 Node.js 22, one ESM bundle with the pinned AWS SDK inside, source maps,
 * X-Ray, an explicit log group with retention, and a role that starts with nothing but write access to that log
 * group (no AWSLambdaBasicExecutionRole, which would allow writing to any log group in the account).
 */
export class PincodeFunction extends Construct implements IGrantable {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: PincodeFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `pincode-bridge ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantPrincipal = this.role;

    this.function = new NodejsFunction(this, "Function", {
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      ...(props.paramsAndSecrets ? { paramsAndSecrets: props.paramsAndSecrets } : {}),
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      environment: {
        ...props.environment,
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: `pincode-bridge-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: "PincodeBridge",
        LOG_LEVEL: props.logLevel,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node20",
        minify: true,
        sourceMap: true,
        // Stack traces keep file and line numbers; the sources themselves would only double the bundle.
        sourcesContent: false,
        mainFields: ["module", "main"],
        // Bundled CommonJS dependencies still call require(); ESM output has none unless we create it.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        // Bundle the AWS SDK v3 we pinned and tested against instead of the runtime's copy.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
  }
}
