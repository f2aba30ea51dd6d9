import { describe, expect, it } from "vitest";
import { SYNC_STATE_ATTRIBUTES } from "../../functions/adapters/order-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import { FUNCTION_TABLE_USE, PARTITIONS, tableGrantsOf } from "../../functions/adapters/table-access.ts";
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

/** With the optional buyer-data purge on, so every function of FUNCTION_TABLE_USE is in the stack. */
const ALL_FUNCTIONS = { buyerDataRetentionDays: "30" };

function statementsOf(name: string): Statement[] {
  const { appTemplate } = synthStage("dev", ALL_FUNCTIONS);
  const fn = functionsByName(appTemplate).get(name);
  if (!fn) throw new Error(`function ${name} not found`);
  return statementsOfFunction(appTemplate, fn).filter((s) => s.Effect === "Allow");
}

const dynamoStatements = (name: string) =>
  statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith("dynamodb:")));

/**
 * What a function may do on table items, flattened: `action partition [attributes]`, one line per pair. Whatever way
 * CDK merges statements, the lines are the effective grant. A statement without a LeadingKeys condition is `ANY`.
 */
function grantLines(statements: Statement[]): string[] {
  const lines = new Set<string>();
  for (const s of statements) {
    const leading = s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[] | undefined;
    const attributes = s.Condition?.["ForAllValues:StringEquals"]?.["dynamodb:Attributes"] as string[] | undefined;
    for (const action of actionsOf(s)) {
      for (const partition of leading ?? ["ANY"]) {
        lines.add(`${action} ${partition}${attributes ? ` [${attributes.join(",")}]` : ""}`);
      }
    }
  }
  return [...lines].sort();
}

function expectedLines(name: keyof typeof FUNCTION_TABLE_USE): string[] {
  return grantLines(
    tableGrantsOf(FUNCTION_TABLE_USE[name]).map((g) => ({
      Effect: "Allow",
      Action: g.actions.map((a) => `dynamodb:${a}`),
      Resource: "table",
      Condition: {
        "ForAllValues:StringLike": { "dynamodb:LeadingKeys": g.partitions },
        ...(g.attributes ? { "ForAllValues:StringEquals": { "dynamodb:Attributes": g.attributes } } : {}),
      },
    })),
  );
}

describe("IAM: table grants per function, by item kind (functions/adapters/table-access.ts)", () => {
  it("grants each function exactly its declared table use on the table ARN, every statement keyed by partition", () => {
    const { data } = synthStage("dev", ALL_FUNCTIONS);
    const table = logicalId(data.table);
    for (const name of Object.keys(FUNCTION_TABLE_USE) as (keyof typeof FUNCTION_TABLE_USE)[]) {
      const onTable = dynamoStatements(name).filter((s) => !JSON.stringify(s.Resource).includes("/index/"));
      for (const s of onTable) {
        expect(
          resourcesOf(s).every((r) => refersTo(r, table)),
          name,
        ).toBe(true);
        // No statement on the table without a LeadingKeys condition.
        expect(s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"], name).toBeDefined();
      }
      expect(grantLines(onTable), name).toEqual(expectedLines(name));
    }
  });

  it("spells the grants out for the poller: order freshness fields only, no order write but a command pointer", () => {
    const lines = grantLines(dynamoStatements("poller"));
    const attrs = ["pk", "sk", ...SYNC_STATE_ATTRIBUTES].join(",");
    expect(lines).toEqual([
      "dynamodb:BatchGetItem COMMAND#*",
      `dynamodb:BatchGetItem ORDER#* [${attrs}]`,
      "dynamodb:BatchGetItem STORE#*",
      "dynamodb:BatchGetItem STORES",
      "dynamodb:BatchWriteItem COMMANDS#QUEUED",
      "dynamodb:DeleteItem SUBMISSIONS#PENDING",
      "dynamodb:GetItem RATEBUDGET#*",
      "dynamodb:GetItem STORE#*",
      "dynamodb:GetItem STORES",
      "dynamodb:GetItem SUBMISSION#*",
      // The sweep of stranded commands: an order command's pointer (its attributes only), submissions, pending index.
      "dynamodb:PutItem ORDER#* [pk,sk,kind,commandId,createdAt,expiresAt]",
      "dynamodb:PutItem STORE#*",
      "dynamodb:PutItem STORES",
      "dynamodb:PutItem SUBMISSION#*",
      "dynamodb:PutItem SUBMISSIONS#PENDING",
      "dynamodb:Query COMMANDS#QUEUED",
      "dynamodb:Query STORE#*",
      "dynamodb:Query STORES",
      "dynamodb:Query SUBMISSIONS#PENDING",
      "dynamodb:UpdateItem RATEBUDGET#*",
      "dynamodb:UpdateItem STORE#*",
      "dynamodb:UpdateItem STORES",
      "dynamodb:UpdateItem SUBMISSION#*",
    ]);
    // The projected read must also be a projected read (a read without a projection returns the whole item), and the
    // pointer put must not return the item it replaced.
    const orders = dynamoStatements("poller").filter((s) => JSON.stringify(s.Condition).includes(PARTITIONS.order));
    expect(orders).toHaveLength(2);
    for (const statement of orders) {
      expect(statement.Condition?.StringEqualsIfExists).toEqual({
        "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
        "dynamodb:ReturnValues": "NONE",
      });
    }
  });

  it("lets the processor write the outbox markers, history batches and unknown callbacks it writes (issue 11)", () => {
    const lines = grantLines(dynamoStatements("processor"));
    for (const line of [
      "dynamodb:BatchWriteItem ORDER#*",
      "dynamodb:BatchWriteItem PUBLISHED#*",
      "dynamodb:BatchGetItem PUBLISHED#*",
      "dynamodb:PutItem QUARANTINE#*",
      "dynamodb:PutItem UNKNOWN#*",
      "dynamodb:UpdateItem SUBMISSION#*",
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.filter((l) => l.includes("QUARANTINE#"))).toEqual(["dynamodb:PutItem QUARANTINE#*"]);
    expect(lines.some((l) => l.startsWith("dynamodb:Query ") && !l.endsWith("ORDER#*"))).toBe(false);
  });

  it("allows a request naming an order view and its outbox marker in ONE statement (ForAllValues per statement)", () => {
    for (const name of ["processor", "commands", "seller-api"]) {
      const together = dynamoStatements(name).filter((s) => {
        const keysOf = (s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string[]) ?? [];
        return (
          actionsOf(s).includes("dynamodb:BatchGetItem") &&
          keysOf.includes(PARTITIONS.order) &&
          keysOf.includes(PARTITIONS.orderPublished)
        );
      });
      expect(together.length, name).toBeGreaterThan(0);
    }
  });

  it("grants the byStore index only to the seller API, which queries it, and only Query", () => {
    for (const name of Object.keys(FUNCTION_TABLE_USE)) {
      const index = dynamoStatements(name).filter((s) => JSON.stringify(s.Resource).includes("/index/"));
      if (name !== "seller-api") {
        expect(index, name).toEqual([]);
        continue;
      }
      expect(index.flatMap(actionsOf)).toEqual(["dynamodb:Query"]);
      expect(JSON.stringify(index.flatMap(resourcesOf))).toMatch(/\/index\/byStore"/);
    }
  });

  it("lets the seller API read order items its submit path reads (view + outbox marker) but write no order view", () => {
    const lines = grantLines(dynamoStatements("seller-api"));
    expect(lines).toContain("dynamodb:BatchGetItem PUBLISHED#*");
    expect(lines.filter((l) => l.includes("QUARANTINE#"))).toEqual([
      "dynamodb:GetItem QUARANTINE#*",
      "dynamodb:Query QUARANTINE#*",
      "dynamodb:UpdateItem QUARANTINE#*",
    ]);
    expect(lines.some((l) => l.includes("UNKNOWN#") || l.includes("RATEBUDGET#"))).toBe(false);
    // It marks submissions pending and lists them (ops summary); only the poller clears that index.
    expect(lines.filter((l) => l.includes("SUBMISSIONS#PENDING"))).toEqual([
      "dynamodb:PutItem SUBMISSIONS#PENDING",
      "dynamodb:Query SUBMISSIONS#PENDING",
    ]);
    // It records every command in the queued-command index; only the poller's sweep reads and clears it.
    expect(lines.filter((l) => l.includes("COMMANDS#QUEUED"))).toEqual(["dynamodb:PutItem COMMANDS#QUEUED"]);
  });

  it("grants no Scan, no transactions, no wildcard and no table access to the callback or token function", () => {
    for (const name of Object.keys(FUNCTION_TABLE_USE)) {
      for (const action of dynamoStatements(name).flatMap(actionsOf)) {
        expect(action, name).not.toMatch(/Scan|Transact|\*|PartiQL|DescribeTable/);
      }
    }
    expect(dynamoStatements("callback")).toEqual([]);
    expect(dynamoStatements("callback-auth")).toEqual([]);
  });

  it("matches every key the adapters build with exactly one partition pattern granted", () => {
    const samples = [
      keys.orderView("OD1").pk,
      keys.orderHistory("OD1", 1, "m").pk,
      keys.orderPublished("OD1").pk,
      keys.command("C1").pk,
      keys.submission("S1").pk,
      keys.pendingSubmission(1, "S1").pk,
      keys.queuedCommand(1, "C1").pk,
      keys.pollCheckpoint("S01").pk,
      keys.storeConfig("S01").pk,
      keys.storeDirectory("S01").pk,
      keys.rateBudget("poll").pk,
      keys.quarantine(Date.UTC(2026, 11, 2), "q").pk,
    ];
    const patterns = Object.values(PARTITIONS);
    const glob = (p: string, v: string) =>
      new RegExp(
        `^${p
          .split("*")
          .map((x) => x.replace(/[#]/g, "\\#"))
          .join(".*")}$`,
      ).test(v);
    for (const pk of samples)
      expect(
        patterns.filter((p) => glob(p, pk)),
        pk,
      ).toHaveLength(1);
  });
});
