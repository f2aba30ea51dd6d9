import { describe, expect, it } from "vitest";
import { keys } from "../../functions/adapters/table.ts";
import { PARTITIONS } from "../../functions/adapters/table-access.ts";
import {
  actionsOf,
  functionsByName,
  logicalId,
  refersTo,
  resourcesOf,
  roleOfFunction,
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

/** Actions granted on resources that refer to the given data-stack logical id. */
function actionsOn(name: string, id: string): string[] {
  return statementsOf(name)
    .filter((s) => s.Effect === "Allow" && resourcesOf(s).some((r) => refersTo(r, id)))
    .flatMap(actionsOf)
    .filter((action, i, all) => all.indexOf(action) === i)
    .sort();
}

const allActions = (name: string) => statementsOf(name).flatMap(actionsOf);

/** Glob match as IAM StringLike does it (only `*` used here). */
const globMatches = (pattern: string, value: string) => {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`).test(value);
};

describe("IAM: least privilege per function", () => {
  it("grants no wildcard service actions and attaches no managed policies to any function role", () => {
    const { appTemplate } = synthStage("dev");
    for (const [name, fn] of functionsByName(appTemplate)) {
      for (const action of allActions(name)) {
        expect(action, name).not.toMatch(/^\*$|:\*$/);
      }
      expect(roleOfFunction(appTemplate, fn).ManagedPolicyArns, name).toBeUndefined();
    }
  });

  it("limits the callback to sending on the events queue: no table access at all (issue 11)", () => {
    const { data } = synthStage("dev");

    expect(actionsOn("callback", logicalId(data.eventsQueue.queue))).toEqual(["sqs:SendMessage"]);
    expect(actionsOn("callback", logicalId(data.pollQueue.queue))).toEqual([]);
    expect(actionsOn("callback", logicalId(data.table))).toEqual([]);
    expect(allActions("callback").filter((a) => a.startsWith("dynamodb:"))).toEqual([]);
    expect(allActions("callback")).not.toContain("events:PutEvents");
    // SQS with the data key needs these two; nothing that would decrypt table items by another path.
    const kms = allActions("callback")
      .filter((a) => a.startsWith("kms:"))
      .sort();
    expect(kms).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
  });

  it("gives the callback the Parameters and Secrets extension layer and no table name", () => {
    const { appTemplate } = synthStage("dev");
    const callback = functionsByName(appTemplate).get("callback");
    const props = callback?.props as { Layers?: unknown[]; Environment: { Variables: Record<string, unknown> } };
    expect(props.Layers).toHaveLength(1);
    expect(JSON.stringify(props.Layers)).toMatch(/Paramsandsecrets/i);
    expect(props.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(props.Environment.Variables).toMatchObject({ PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: "warn" });
  });

  it("uses a LeadingKeys pattern that matches the quarantine keys the handlers write and nothing else", () => {
    const quarantinePk = keys.quarantine(Date.UTC(2025, 0, 2), "abc").pk;

    expect(globMatches(PARTITIONS.quarantine, quarantinePk)).toBe(true);
    expect(globMatches(PARTITIONS.quarantine, keys.orderView("O1").pk)).toBe(false);
    expect(globMatches(PARTITIONS.quarantine, keys.pollCheckpoint("S01").pk)).toBe(false);
  });

  it("lets the callback and token functions read only the callback auth secret", () => {
    const { data } = synthStage("dev");
    const read = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"];

    for (const name of ["callback", "callback-auth"]) {
      expect(actionsOn(name, logicalId(data.callbackAuth)), name).toEqual(read);
      expect(actionsOn(name, logicalId(data.pincodeCredentials)), name).toEqual([]);
    }
    expect(actionsOn("callback-auth", logicalId(data.table))).toEqual([]);
    expect(actionsOn("callback-auth", logicalId(data.eventsQueue.queue))).toEqual([]);
  });

  it("lets the poller send to the work queues, consume the poll queue, read/write the table and read the Pincode secret", () => {
    const { data } = synthStage("dev");

    expect(actionsOn("poller", logicalId(data.eventsQueue.queue))).toEqual(["sqs:SendMessage"]);
    // The sweep of stranded commands re-sends their messages; it never consumes the commands queue.
    expect(actionsOn("poller", logicalId(data.commandsQueue.queue))).toEqual(["sqs:SendMessage"]);
    expect(actionsOn("poller", logicalId(data.pollQueue.queue))).toEqual(
      expect.arrayContaining(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"]),
    );
    // Each action by item kind: table-grants.test.ts. DeleteItem only on pending-submission index entries,
    // BatchWriteItem only on queued-command index entries (the sweep's deletes).
    expect(actionsOn("poller", logicalId(data.table))).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    expect(actionsOn("poller", logicalId(data.pincodeCredentials))).toEqual([
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
    ]);
    expect(actionsOn("poller", logicalId(data.callbackAuth))).toEqual([]);
    expect(allActions("poller")).not.toContain("events:PutEvents");
  });

  it("lets the processor consume the events queue, read/write the table, publish to the bus and read the Pincode secret", () => {
    const { data } = synthStage("dev");

    expect(actionsOn("processor", logicalId(data.eventsQueue.queue))).toEqual(
      expect.arrayContaining(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]),
    );
    expect(actionsOn("processor", logicalId(data.eventsQueue.queue))).not.toContain("sqs:SendMessage");
    // Issue 11's batcher writes history and outbox markers with BatchWriteItem (by item kind: table-grants.test.ts).
    expect(actionsOn("processor", logicalId(data.table))).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    expect(actionsOn("processor", logicalId(data.eventBus))).toEqual(["events:PutEvents"]);
    expect(actionsOn("processor", logicalId(data.pincodeCredentials))).toEqual([
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
    ]);
    expect(actionsOn("processor", logicalId(data.pollQueue.queue))).toEqual([]);
  });

  it("never grants scans, and deletes only of pending-submission index entries (poller)", () => {
    for (const name of ["callback", "callback-auth", "poller", "processor", "seller-api", "commands"]) {
      for (const action of ["dynamodb:Scan", "dynamodb:*"]) {
        expect(allActions(name), `${name} ${action}`).not.toContain(action);
      }
      const deletes = statementsOf(name).filter((s) => actionsOf(s).includes("dynamodb:DeleteItem"));
      if (name !== "poller") {
        expect(deletes, name).toEqual([]);
        continue;
      }
      expect(deletes.length, name).toBeGreaterThan(0);
      for (const s of deletes) {
        expect(s.Condition?.["ForAllValues:StringLike"], name).toEqual({
          "dynamodb:LeadingKeys": [keys.pendingSubmission(0, "x").pk],
        });
      }
    }
  });

  it("scopes KMS permissions to the data key", () => {
    const { data } = synthStage("dev");
    for (const name of ["callback", "poller", "processor"]) {
      const kms = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith("kms:")));
      expect(kms.length, name).toBeGreaterThan(0);
      for (const s of kms) {
        expect(
          resourcesOf(s).every((r) => refersTo(r, logicalId(data.dataKey))),
          name,
        ).toBe(true);
      }
    }
    expect(allActions("callback-auth").some((a) => a.startsWith("kms:"))).toBe(false);
  });

  it("lets each function write only to its own log group", () => {
    const { appTemplate } = synthStage("dev");
    for (const [name, fn] of functionsByName(appTemplate)) {
      const logGroup = (fn.props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logs = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith("logs:")));
      expect(logs.flatMap(resourcesOf), name).toEqual([{ "Fn::GetAtt": [logGroup, "Arn"] }]);
    }
  });
});
