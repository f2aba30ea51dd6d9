/**
 * The seller API in the app stack: API Gateway built from the one route table (functions/core/routes.ts), AWS_IAM
 * on every /v1 method, Pincode's routes without it, one invoke permission, the stack outputs the CLI reads, and the
 * seller-api function's least-privilege grants.
 */
import { describe, expect, it } from "vitest";
import { keys } from "../../functions/adapters/table.ts";
import { gatewayRoutes, ROUTES } from "../../functions/core/routes.ts";
import { SELLER_API_LEADING_KEYS } from "../../lib/stacks/app-stack.ts";
import {
  actionsOf,
  envOf,
  functionsByName,
  logicalId,
  refersTo,
  resourcesOf,
  statementsOfFunction,
  synthStage,
} from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function apiMethods() {
  const { appTemplate } = synthStage("dev");
  const resources = appTemplate.findResources("AWS::ApiGateway::Resource") as Resources;
  const pathOf = (id: string): string => {
    const r = resources[id];
    if (!r) return "";
    const parent = r.Properties.ParentId as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ""}/${r.Properties.PathPart as string}`;
  };
  const functions = functionsByName(appTemplate);
  const functionOf = (integration: unknown) =>
    [...functions.entries()].find(([, f]) => refersTo(integration, f.id))?.[0];
  return Object.values(appTemplate.findResources("AWS::ApiGateway::Method") as Resources).map((m) => ({
    method: m.Properties.HttpMethod as string,
    path: pathOf((m.Properties.ResourceId as { Ref: string }).Ref),
    authorization: m.Properties.AuthorizationType as string,
    integrationType: (m.Properties.Integration as { Type: string }).Type,
    function: functionOf(m.Properties.Integration),
  }));
}

const FUNCTION_NAME = { callback: "callback", callbackAuth: "callback-auth", sellerApi: "seller-api" } as const;

const globMatches = (pattern: string, value: string) => {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`).test(value);
};

describe("seller API on API Gateway", () => {
  it("has exactly the route table's methods (plus ANY fallbacks and the /v1 catch-all), each on its function", () => {
    const methods = apiMethods();
    const expected = gatewayRoutes().map((r) => ({
      method: r.method,
      path: r.path,
      authorization: r.auth === "iam" ? "AWS_IAM" : "NONE",
      integrationType: "AWS_PROXY",
      function: FUNCTION_NAME[r.function],
    }));
    const key = (m: { method: string; path: string }) => `${m.method} ${m.path}`;
    expect(methods.map(key).sort()).toEqual(expected.map(key).sort());
    for (const route of expected) expect(methods.find((m) => key(m) === key(route))).toEqual(route);
  });

  it("puts AWS_IAM on every /v1 method and leaves Pincode's callback and token routes to their functions", () => {
    const methods = apiMethods();
    expect(methods.filter((m) => m.path.startsWith("/v1")).length).toBeGreaterThan(ROUTES.length);
    for (const m of methods) {
      expect(m.authorization, `${m.method} ${m.path}`).toBe(m.path.startsWith("/v1") ? "AWS_IAM" : "NONE");
    }
  });

  it("grants API Gateway one invoke permission for the seller API, whatever the number of routes", () => {
    const { appTemplate } = synthStage("dev");
    const seller = functionsByName(appTemplate).get("seller-api")!;
    const permissions = Object.values(appTemplate.findResources("AWS::Lambda::Permission") as Resources).filter((p) =>
      refersTo(p.Properties.FunctionName, seller.id),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties.Principal).toBe("apigateway.amazonaws.com");
    expect(JSON.stringify(permissions[0]?.Properties.SourceArn)).toContain("/*/*/*");
  });

  it("outputs the API and seller API URLs for the CLI", () => {
    const outputs = synthStage("dev").appTemplate.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["ApiUrl", "SellerApiUrl", "CallbackUrl", "TokenUrl"]));
    expect(JSON.stringify(outputs.SellerApiUrl?.Value)).toContain("/v1");
  });

  it("configures the seller-api function with the table, the commands queue and the seed stores", () => {
    const { appTemplate, data } = synthStage("prod");
    const env = envOf(functionsByName(appTemplate).get("seller-api")!);
    expect(refersTo(env.TABLE_NAME, logicalId(data.table))).toBe(true);
    expect(refersTo(env.COMMANDS_QUEUE_URL, logicalId(data.commandsQueue.queue))).toBe(true);
    expect(env.STORE_IDS).toBe("S01,S02");
  });
});

describe("seller API grants", () => {
  const statements = () => {
    const { appTemplate } = synthStage("dev");
    return statementsOfFunction(appTemplate, functionsByName(appTemplate).get("seller-api")!).filter(
      (s) => s.Effect === "Allow",
    );
  };

  it("reads and writes the table only by leading key, and queries only the byStore index", () => {
    const { data } = synthStage("dev");
    const table = logicalId(data.table);
    // The operations routes' QUARANTINE#* statement is checked in ops-grants.test.ts.
    const dynamo = statements().filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith("dynamodb:")) &&
        !JSON.stringify(s.Condition ?? {}).includes("QUARANTINE#"),
    );
    const items = dynamo.find((s) => actionsOf(s).includes("dynamodb:GetItem"));
    const index = dynamo.find((s) => JSON.stringify(s.Resource).includes("/index/"));
    expect(dynamo).toHaveLength(2);
    expect(actionsOf(items!).sort()).toEqual([
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    expect(items?.Condition).toEqual({
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...SELLER_API_LEADING_KEYS] },
    });
    expect(resourcesOf(items!).every((r) => refersTo(r, table))).toBe(true);
    expect(actionsOf(index!)).toEqual(["dynamodb:Query"]);
    expect(JSON.stringify(index?.Resource)).toContain("/index/byStore");
    for (const action of ["dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"]) {
      expect(dynamo.flatMap(actionsOf)).not.toContain(action);
    }
  });

  it("uses leading-key patterns that match the keys it reads and writes, and not the quarantine", () => {
    const allowed = (key: string) => SELLER_API_LEADING_KEYS.some((p) => globMatches(p, key));
    for (const key of [
      keys.orderView("OD1").pk,
      keys.storeConfig("S01").pk,
      keys.storeDirectory("S01").pk,
      keys.pollCheckpoint("S01").pk,
      keys.command("C1").pk,
      keys.submission("SUB-1").pk,
      keys.pendingSubmission(1, "SUB-1").pk,
    ]) {
      expect(allowed(key), key).toBe(true);
    }
    const quarantine = keys.quarantine(Date.now(), "q").pk;
    expect(allowed(quarantine)).toBe(false);
  });

  it("sends only to the commands queue, with the data key for SQS encryption, and reads no secret", () => {
    const { data } = synthStage("dev");
    // On the commands queue: send (and the operations routes' depth read; their DLQ/queue grants: ops-grants.test.ts).
    const sqs = statements().filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith("sqs:")) &&
        resourcesOf(s).some((r) => refersTo(r, logicalId(data.commandsQueue.queue))),
    );
    expect([...new Set(sqs.flatMap(actionsOf))].sort()).toEqual(["sqs:GetQueueAttributes", "sqs:SendMessage"]);
    const kms = statements().filter((s) => actionsOf(s).some((a) => a.startsWith("kms:")));
    expect(kms.flatMap(resourcesOf).every((r) => refersTo(r, logicalId(data.dataKey)))).toBe(true);
    expect(
      statements()
        .flatMap(actionsOf)
        .filter((a) => a.startsWith("secretsmanager:")),
    ).toEqual([]);
  });
});
