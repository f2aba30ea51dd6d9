#!/usr/bin/env node
import { App, Tags } from "aws-cdk-lib";
import { loadStageConfig } from "../lib/config/stage-config.ts";
import { DataStack } from "../lib/stacks/data-stack.ts";

const app = new App();
const config = loadStageConfig(app.node.tryGetContext("stage"));

new DataStack(app, `PincodeBridge-${config.stage}-Data`, { config });

Tags.of(app).add("app", "pincode-bridge");
Tags.of(app).add("stage", config.stage);
