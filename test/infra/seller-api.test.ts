/**
 * The seller API in the app stack: API Gateway built from the one route table (functions/core/routes.ts), AWS_IAM
 * on every /v1 method, Pincode's routes without it, one invoke permission, the stack outputs the CLI reads, and the
 * seller-api function's least-privilege grants.
 */
import { describe, expect, it } from "vitest";
import { gatewayRoutes, ROUTES } from "../../functions/core/routes.ts";
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

  // Its table grants, by item kind and with the byStore index: table-grants.test.ts.

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
