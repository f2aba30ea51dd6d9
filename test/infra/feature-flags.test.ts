import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";
import { synthStage } from "./support.ts";

const readJson = (path: string) => JSON.parse(readFileSync(join(REPO_ROOT, path), "utf8"));
const context: Record<string, unknown> = readJson("cdk.json").context;
const recommended: Record<string, unknown> = readJson("node_modules/aws-cdk-lib/recommended-feature-flags.json");

/** Flags we set against the recommendation, each for a reason given in docs/deploy.md. */
const DELIBERATE = { "@aws-cdk/core:defaultCrossStackReferences": "strong" };

describe("cdk.json feature flags", () => {
  it("sets every flag aws-cdk-lib recommends for new projects, except the deliberate ones", () => {
    const expected = { ...recommended, ...DELIBERATE };

    for (const [flag, value] of Object.entries(expected)) expect(context[flag], flag).toEqual(value);
    expect(context).toMatchObject({ notices: false, "cli-telemetry": false, stage: "dev" });
  });

  it("keeps cross-stack references strong: the app stack imports exports the data stack cannot drop while used", () => {
    const { appTemplate, dataTemplate } = synthStage("prod");
    const app = JSON.stringify(appTemplate.toJSON());

    expect(app).toContain('"Fn::ImportValue"');
    expect(app).not.toContain('"Fn::GetStackOutput"');
    expect(Object.values(dataTemplate.toJSON().Outputs as Record<string, { Export?: unknown }>).length).toBeGreaterThan(
      0,
    );
    for (const output of Object.values(dataTemplate.toJSON().Outputs as Record<string, { Export?: unknown }>)) {
      expect(output.Export).toBeDefined();
    }
  });

  it("tags both stacks and their resources with app and stage (stack tags are explicit)", () => {
    const { data, service, appTemplate } = synthStage("prod");

    for (const stack of [data, service]) {
      expect(stack.tags.tagValues(), stack.stackName).toEqual({ app: "pincode-bridge", stage: "prod" });
    }
    appTemplate.hasResourceProperties("AWS::Lambda::Function", {
      Tags: Match.arrayWith([
        { Key: "app", Value: "pincode-bridge" },
        { Key: "stage", Value: "prod" },
      ]),
    });
  });
});
