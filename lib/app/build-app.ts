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
  // Account and region come from the CLI environment at deploy time; synth stays offline and env-agnostic.
  const data = new DataStack(app, `PincodeBridge-${config.stage}-Data`, {
    config,
    description: `pincode-bridge ${config.stage}: table, queues, event bus, secrets`,
  });
  const service = new AppStack(app, `PincodeBridge-${config.stage}-App`, {
    config,
    data,
    description: `pincode-bridge ${config.stage}: API, functions, schedule, alarms`,
  });

  Tags.of(app).add("app", "pincode-bridge");
  Tags.of(app).add("stage", config.stage);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, config, data, service };
}
