import { Aspects } from "aws-cdk-lib";
import { Annotations, Match, type Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { synthStage } from "./support.ts";

interface Suppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: unknown[];
}

/** cdk-nag records acknowledgements as resource metadata in the synthesized template. */
function suppressionsIn(template: Template): { resource: string; rule: Suppression }[] {
  const resources = template.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>;
  return Object.entries(resources).flatMap(([resource, r]) => {
    const nag = r.Metadata?.cdk_nag as { rules_to_suppress?: Suppression[] } | undefined;
    return (nag?.rules_to_suppress ?? []).map((rule) => ({ resource, rule }));
  });
}

describe("cdk-nag AwsSolutions", () => {
  it("is applied to the whole app, as bin/app.ts builds it", () => {
    const { app } = synthStage("dev");

    expect(Aspects.of(app).all.some((a) => a instanceof AwsSolutionsChecks)).toBe(true);
  });

  for (const stage of ["dev", "prod"] as const) {
    it(`reports no unacknowledged errors in the ${stage} stacks`, () => {
      const { data, service } = synthStage(stage);

      for (const stack of [data, service]) {
        const errors = Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
        expect(
          errors.map((e) => `${e.id}: ${String(e.entry.data).slice(0, 160)}`),
          stack.stackName,
        ).toEqual([]);
      }
    });
  }

  it("gives every acknowledgement a specific reason, and wildcard IAM acknowledgements name what they cover", () => {
    const { dataTemplate, appTemplate } = synthStage("dev");
    const suppressions = [...suppressionsIn(dataTemplate), ...suppressionsIn(appTemplate)];

    expect(suppressions.length).toBeGreaterThan(0);
    for (const { resource, rule } of suppressions) {
      expect(rule.id, resource).toMatch(/^AwsSolutions-/);
      expect(rule.reason.length, `${resource} ${rule.id}`).toBeGreaterThanOrEqual(60);
      if (rule.id === "AwsSolutions-IAM5" || rule.id === "AwsSolutions-IAM4") {
        expect(rule.applies_to?.length, `${resource} ${rule.id}`).toBeGreaterThan(0);
      }
    }
  });
});
