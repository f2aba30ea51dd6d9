import { App, type AppProps, Aspects, Tags } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { contextOverrides, loadStageConfig, type StageConfig } from "../config/stage-config.ts";
import { AppStack } from "../stacks/app-stack.ts";
import { DataStack } from "../stacks/data-stack.ts";

export interface PincodeBridgeApp {
  readonly app: App;
  readonly config: StageConfig;
  readonly data: DataStack;
  readonly service: AppStack;
}

/**
 * The whole CDK app for the stage named in context (`-c stage=dev|prod`), with cdk-nag's AwsSolutions pack applied.
 * `bin/app.ts` calls this; the infra tests call it too, so they check exactly what `cdk synth` builds.
 */
export function buildApp(appProps: AppProps = {}): PincodeBridgeApp {
  const app = new App(appProps);
  const tryGetContext = (key: string) => app.node.tryGetContext(key);
  const config = loadStageConfig(tryGetContext("stage"), contextOverrides(tryGetContext));
  const tags = { app: "pincode-bridge", stage: config.stage };
  // Account and region come from the CLI environment at deploy time; synth stays offline and env-agnostic.
  // Stack tags are explicit (@aws-cdk/core:explicitStackTags): CloudFormation copies them onto what it creates.
  const data = new DataStack(app, `PincodeBridge-${config.stage}-Data`, {
    config,
    tags,
    description: `pincode-bridge ${config.stage}: table, queues, event bus, secrets`,
  });
  const service = new AppStack(app, `PincodeBridge-${config.stage}-App`, {
    config,
    data,
    tags,
    description: `pincode-bridge ${config.stage}: API, functions, schedule, alarms, dashboard`,
  });

  for (const [key, value] of Object.entries(tags)) Tags.of(app).add(key, value);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, config, data, service };
}
