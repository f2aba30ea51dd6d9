/** The commands function (issue 9): its FIFO event source and its least-privilege grants. */
import { describe, expect, it } from "vitest";
import { keys } from "../../functions/adapters/table.ts";
import {
  actionsOf,
  functionsByName,
  logicalId,
  refersTo,
  resourcesOf,
  type Statement,
  statementsOfFunction,
  synthStage,
} from "./support.ts";

function statementsOf(name: string): Statement[] {
  const { appTemplate } = synthStage("dev");
  const fn = functionsByName(appTemplate).get(name);
  if (!fn) throw new Error(`function ${name} not found`);
  return statementsOfFunction(appTemplate, fn);
}

const actionsOn = (name: string, id: string) =>
  statementsOf(name)
    .filter((s) => s.Effect === "Allow" && resourcesOf(s).some((r) => refersTo(r, id)))
    .flatMap(actionsOf)
    .sort();

const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(value);

describe("commands function", () => {
  it("consumes the FIFO commands queue with ReportBatchItemFailures", () => {
    const { appTemplate, data } = synthStage("dev");
    const fn = functionsByName(appTemplate).get("commands");
    expect(fn).toBeDefined();
    const mappings = Object.values(appTemplate.findResources("AWS::Lambda::EventSourceMapping")).filter((m) =>
      refersTo(m.Properties.FunctionName, fn?.id ?? "?"),
    );
    expect(mappings).toHaveLength(1);
    expect(refersTo(mappings[0]?.Properties.EventSourceArn, logicalId(data.commandsQueue.queue))).toBe(true);
    expect(mappings[0]?.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });

  it("reads and writes only command, submission, order, rate-budget and retention-entry items, with no scan or delete", () => {
    const lines = statementsOf("commands")
      .filter((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")))
      .flatMap((s) =>
        actionsOf(s).flatMap((a) =>
          ((s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[]) ?? ["ANY"]).map(
            (pk) => `${a} ${pk}`,
          ),
        ),
      );
    const partitions = new Set(lines.map((l) => l.split(" ")[1]));
    expect([...partitions].sort()).toEqual([
      "COMMAND#*",
      "ORDER#*",
      "PUBLISHED#*",
      "RATEBUDGET#*",
      "RETENTION#*",
      "SUBMISSION#*",
    ]);
    // A final order's buyer-data retention entry (docs/buyer-data.md): a PutItem and nothing else there.
    expect(lines.filter((l) => l.endsWith(" RETENTION#*"))).toEqual(["dynamodb:PutItem RETENTION#*"]);
    // The order repository's batcher: view + marker read, history + marker written (issue 11).
    expect(lines).toEqual(
      expect.arrayContaining(["dynamodb:BatchWriteItem ORDER#*", "dynamodb:BatchGetItem PUBLISHED#*"]),
    );
    for (const pk of [keys.pollCheckpoint("S01").pk, keys.quarantine(0, "x").pk, keys.storeDirectory("S01").pk]) {
      expect(
        [...partitions].some((p) => globMatches(p!, pk)),
        pk,
      ).toBe(false);
    }
  });

  it("sends no SQS message, puts events on the bus and reads the Pincode credentials", () => {
    const { data } = synthStage("dev");
    const all = statementsOf("commands").flatMap(actionsOf);
    expect(all).not.toContain("sqs:SendMessage");
    expect(all).not.toContain("dynamodb:Scan");
    expect(all).not.toContain("dynamodb:DeleteItem");
    expect(actionsOn("commands", logicalId(data.eventBus))).toEqual(["events:PutEvents"]);
    expect(actionsOn("commands", logicalId(data.pincodeCredentials))).toEqual(
      expect.arrayContaining(["secretsmanager:GetSecretValue"]),
    );
    expect(actionsOn("commands", logicalId(data.commandsQueue.queue))).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage"]),
    );
    expect(actionsOn("commands", logicalId(data.eventsQueue.queue))).toEqual([]);
  });

  it("lets the poller send to the commands queue (the sweep of stranded commands) and not consume it", () => {
    const { data } = synthStage("dev");
    expect(actionsOn("poller", logicalId(data.commandsQueue.queue))).toEqual(["sqs:SendMessage"]);
    const props = functionsByName(synthStage("dev").appTemplate).get("poller")?.props ?? {};
    const env = (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    expect(refersTo(env.COMMANDS_QUEUE_URL, logicalId(data.commandsQueue.queue))).toBe(true);
  });

  it("lets the processor send auto-accept commands to the commands queue and nowhere new", () => {
    const { data } = synthStage("dev");
    expect(actionsOn("processor", logicalId(data.commandsQueue.queue))).toEqual(["sqs:SendMessage"]);
    expect(actionsOn("processor", logicalId(data.eventsQueue.queue))).not.toContain("sqs:SendMessage");
  });
});
