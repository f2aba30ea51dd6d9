/**
 * Optional buyer-data retention in the stack (docs/buyer-data.md): nothing by default; with
 * `-c buyerDataRetentionDays=30` a daily purge function scoped to order and retention items, the setting handed to
 * the processor and commands functions, and write access to the retention index for them only.
 */
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { loadStageConfig } from "../../lib/config/stage-config.ts";
import { actionsOf, envOf, functionsByName, statementsOfFunction, synthStage } from "./support.ts";

describe("buyer-data retention in the stack", () => {
  it("is off by default: no purge function, no schedule, no setting on the functions", () => {
    const { appTemplate } = synthStage("dev");
    const functions = functionsByName(appTemplate);
    expect(functions.has("retention")).toBe(false);
    for (const name of ["processor", "commands"]) {
      expect(envOf(functions.get(name)!).BUYER_DATA_RETENTION_DAYS, name).toBeUndefined();
    }
    expect(loadStageConfig("prod").buyerDataRetentionDays).toBeUndefined();
  });

  it("with -c buyerDataRetentionDays=30: a daily purge, least privilege, the setting on the writers", () => {
    const { appTemplate, service } = synthStage("dev", { buyerDataRetentionDays: "30" });
    const functions = functionsByName(appTemplate);
    const purge = functions.get("retention");
    expect(purge).toBeDefined();
    expect(envOf(purge!)).toMatchObject({ BUYER_DATA_RETENTION_DAYS: "30" });
    for (const name of ["processor", "commands"]) {
      expect(envOf(functions.get(name)!).BUYER_DATA_RETENTION_DAYS, name).toBe("30");
    }
    appTemplate.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 day)",
      Targets: Match.arrayWith([Match.objectLike({ Arn: { "Fn::GetAtt": [purge!.id, "Arn"] } })]),
    });
    // The purge touches order and retention items only (its table-access entries), never with a Scan.
    const tableStatements = statementsOfFunction(appTemplate, purge!).filter((s) =>
      actionsOf(s).some((a) => a.startsWith("dynamodb:")),
    );
    expect(tableStatements.flatMap(actionsOf)).not.toContain("dynamodb:Scan");
    expect(tableStatements.map((s) => s.Condition)).toEqual(
      expect.arrayContaining([
        { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["ORDER#*", "RETENTION#*"] } },
        { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["RETENTION"] } },
      ]),
    );
    expect(tableStatements).toHaveLength(2);
    // The processor may write retention entries, scoped to their partitions, and nothing else there.
    const entryWrites = statementsOfFunction(appTemplate, functions.get("processor")!).filter((s) =>
      JSON.stringify(s.Condition ?? {}).includes("RETENTION#*"),
    );
    expect(entryWrites.flatMap(actionsOf)).toEqual(["dynamodb:PutItem"]);
    // cdk-nag has nothing unacknowledged to say about it.
    const errors = Annotations.fromStack(service).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
    expect(errors.map((e) => e.id)).toEqual([]);
  });

  it("refuses a retention period that is not a whole number of days from 1 to 3650", () => {
    expect(() => loadStageConfig("dev", { buyerDataRetentionDays: "0" })).toThrow(/buyerDataRetentionDays/);
    expect(() => loadStageConfig("dev", { buyerDataRetentionDays: "thirty" })).toThrow(/buyerDataRetentionDays/);
    expect(loadStageConfig("dev", { buyerDataRetentionDays: "30" }).buyerDataRetentionDays).toBe(30);
  });
});
