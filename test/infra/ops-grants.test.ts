/**
 * The seller API's operations routes on AWS: the queue URLs they read, exactly the SQS actions they call on each
 * queue and DLQ (no purge, no receive on a work queue), and quarantine access scoped to QUARANTINE# keys.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PARTITIONS } from "../../functions/adapters/table-access.ts";
import { opsQueuesFromEnv } from "../../functions/seller-api/routes/ops-deps.ts";
import {
  actionsOf,
  envOf,
  functionsByName,
  logicalId,
  refersTo,
  resourcesOf,
  type Statement,
  statementsOfFunction,
  synthStage,
} from "./support.ts";

function sellerApi() {
  const { appTemplate } = synthStage("dev");
  const fn = functionsByName(appTemplate).get("seller-api");
  if (!fn) throw new Error("seller-api function not found");
  return { fn, statements: statementsOfFunction(appTemplate, fn) };
}

const actionsOn = (statements: Statement[], id: string) =>
  [...new Set(statements.filter((s) => resourcesOf(s).some((r) => refersTo(r, id))).flatMap(actionsOf))].sort();

describe("seller API: operations routes", () => {
  // The first synth of a run takes long on a loaded machine; the rest read the cached templates.
  beforeAll(() => void synthStage("dev"), 180_000);

  it("gets all six queue URLs, so the operations routes are wired on AWS", () => {
    const { fn } = sellerApi();
    const env = Object.fromEntries(
      Object.entries(envOf(fn)).map(([k, v]) => [k, typeof v === "string" ? v : "https://sqs.x/q"]),
    );
    expect(opsQueuesFromEnv(env)).toBeDefined();
    const { data } = synthStage("dev");
    expect(refersTo(envOf(fn).EVENTS_DLQ_URL, logicalId(data.eventsQueue.deadLetterQueue))).toBe(true);
    expect(refersTo(envOf(fn).COMMANDS_DLQ_URL, logicalId(data.commandsQueue.deadLetterQueue))).toBe(true);
  });

  it("may count, look into and redrive each DLQ, and never purge one", () => {
    const { statements } = sellerApi();
    const { data } = synthStage("dev");
    for (const pair of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(actionsOn(statements, logicalId(pair.deadLetterQueue))).toEqual([
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
      ]);
    }
    expect(statements.flatMap(actionsOf)).not.toContain("sqs:PurgeQueue");
  });

  it("may count and send to the work queues (redrive, replay) but never consume them", () => {
    const { statements } = sellerApi();
    const { data } = synthStage("dev");
    for (const pair of [data.eventsQueue, data.pollQueue, data.commandsQueue]) {
      expect(actionsOn(statements, logicalId(pair.queue))).toEqual(["sqs:GetQueueAttributes", "sqs:SendMessage"]);
    }
  });

  it("reads and marks quarantined callbacks only under QUARANTINE# keys, and deletes nothing", () => {
    const { statements } = sellerApi();
    const quarantine = statements.filter((s) =>
      JSON.stringify(s.Condition ?? {}).includes(JSON.stringify(PARTITIONS.quarantine)),
    );
    expect(quarantine.flatMap(actionsOf).sort()).toEqual(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]);
    expect(quarantine.every((s) => JSON.stringify(s.Condition).includes("ForAllValues:StringLike"))).toBe(true);
    expect(statements.flatMap(actionsOf)).not.toContain("dynamodb:DeleteItem");
  });
});
