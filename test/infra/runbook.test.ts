import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Alarm } from "aws-cdk-lib/aws-cloudwatch";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";
import { synthStage } from "./support.ts";

const runbook = readFileSync(join(REPO_ROOT, "docs/runbook.md"), "utf8");

/** `### <AlarmId>` headings and the text under each, up to the next heading. */
function entries(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = runbook.split(/^### /m).slice(1);
  for (const part of parts) {
    const [heading = "", ...body] = part.split("\n");
    out.set(heading.trim(), body.join("\n").split(/^## /m)[0] ?? "");
  }
  return out;
}

const alarmsOf = (stage: "dev" | "prod", context?: Record<string, string>) =>
  synthStage(stage, context)
    .service.node.findAll()
    .filter((c): c is Alarm => c instanceof Alarm);

describe("docs/runbook.md: an entry for every alarm", () => {
  for (const stage of ["dev", "prod"] as const) {
    it(`has exactly one entry per alarm of the ${stage} stack, and no entry without an alarm`, () => {
      const { appTemplate } = synthStage(stage);
      const alarms = alarmsOf(stage);
      // Every alarm resource of the template is one of these constructs (none built around them).
      expect(alarms).toHaveLength(Object.keys(appTemplate.findResources("AWS::CloudWatch::Alarm")).length);
      const ids = alarms.map((a) => a.node.id).sort();
      expect(new Set(ids).size, "alarm ids are unique").toBe(ids.length);
      expect([...entries().keys()].sort()).toEqual(ids);
    });
  }

  it("says in each entry what it means, what to look at and what to run, with a real CLI command", () => {
    const cli = readFileSync(join(REPO_ROOT, "docs/cli.md"), "utf8");
    const documented = new Set(
      [...cli.matchAll(/^pincode-bridge ((?:[a-z]+)(?: [a-z]+)?)/gm)].map((m) => m[1]?.split(" ")[0] ?? ""),
    );
    for (const [id, body] of entries()) {
      for (const part of ["**Means:**", "**Look at:**", "**Run:**"]) expect(body, `${id} ${part}`).toContain(part);
      const commands = [...body.matchAll(/`pincode-bridge ([a-z]+)/g)].map((m) => m[1] ?? "");
      for (const command of commands) expect(documented, `${id}: pincode-bridge ${command}`).toContain(command);
    }
  });

  it("links every alarm's description to its runbook entry", () => {
    for (const alarm of alarmsOf("dev")) {
      const description = (alarm.node.defaultChild as { alarmDescription?: string }).alarmDescription ?? "";
      expect(description, alarm.node.id).toMatch(
        new RegExp(`Runbook: docs/runbook\\.md#${alarm.node.id.toLowerCase()}$`),
      );
      expect(description.length, alarm.node.id).toBeLessThanOrEqual(1024);
    }
  });
});
