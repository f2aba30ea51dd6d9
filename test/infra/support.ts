import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CfnElement, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { vi } from "vitest";
import { buildApp, type PincodeBridgeApp } from "../../lib/app/build-app.ts";
import { REPO_ROOT } from "../../lib/constructs/pincode-function.ts";

// A synth of both stacks (six functions, the API from the route table) takes ~20 s on an idle 2-core machine and
// well over the default 30 s when the machine is busy; the first test of each file pays it. Hangs still time out.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** The context `cdk synth` sees from cdk.json (feature flags included), so tests check what the CLI builds. */
const cdkJsonContext: Record<string, unknown> = JSON.parse(readFileSync(join(REPO_ROOT, "cdk.json"), "utf8")).context;

export interface SynthesizedStage extends PincodeBridgeApp {
  readonly dataTemplate: Template;
  readonly appTemplate: Template;
}

const cache = new Map<string, SynthesizedStage>();

/**
 * Builds and synthesizes the app for a stage exactly as `bin/app.ts` does, without bundling (no esbuild run), and
 * caches it: templates are immutable, and each synth costs about a second.
 */
/** What a prod deploy passes (docs/deploy.md); dev runs with the defaults, as CI synthesizes it. */
export const PROD_CONTEXT = { storeIds: "S01,S02" };

export function synthStage(
  stage: "dev" | "prod",
  context: Record<string, string> = stage === "prod" ? PROD_CONTEXT : {},
): SynthesizedStage {
  const key = JSON.stringify([stage, context]);
  const hit = cache.get(key);
  if (hit) return hit;
  const built = buildApp({
    context: { ...cdkJsonContext, stage, ...context, "aws:cdk:bundling-stacks": [] },
  });
  const result: SynthesizedStage = {
    ...built,
    dataTemplate: Template.fromStack(built.data),
    appTemplate: Template.fromStack(built.service),
  };
  cache.set(key, result);
  return result;
}

/** The CloudFormation logical id of an L2 construct's resource, for finding references to it in another stack. */
export function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild as CfnElement;
  return Stack.of(child).getLogicalId(child);
}

/** True when a (possibly cross-stack) CloudFormation value refers to the resource with this logical id. */
export function refersTo(value: unknown, id: string): boolean {
  return JSON.stringify(value).includes(id);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Lambda functions of the app stack by their Powertools service name (`pincode-bridge-<name>`). */
export function functionsByName(template: Template): Map<string, { id: string; props: Record<string, unknown> }> {
  const out = new Map<string, { id: string; props: Record<string, unknown> }>();
  for (const [id, res] of Object.entries(template.findResources("AWS::Lambda::Function") as Resources)) {
    const env = (res.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const service = env.POWERTOOLS_SERVICE_NAME;
    if (typeof service === "string") out.set(service.replace(/^pincode-bridge-/, ""), { id, props: res.Properties });
  }
  return out;
}

export function envOf(fn: { props: Record<string, unknown> }): Record<string, unknown> {
  return (fn.props.Environment as { Variables: Record<string, unknown> }).Variables;
}

/** Every IAM statement that applies to a function's execution role: inline policies and attached policies. */
export function statementsOfFunction(template: Template, fn: { props: Record<string, unknown> }): Statement[] {
  const roleId = (fn.props.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  const role = (template.findResources("AWS::IAM::Role") as Resources)[roleId];
  if (!role) throw new Error(`role ${roleId} not found`);
  const inline = (
    (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? []
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(template.findResources("AWS::IAM::Policy") as Resources)
    .filter((p) => refersTo(p.Properties.Roles, roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

export function roleOfFunction(template: Template, fn: { props: Record<string, unknown> }) {
  const roleId = (fn.props.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  const role = (template.findResources("AWS::IAM::Role") as Resources)[roleId];
  if (!role) throw new Error(`role ${roleId} not found`);
  return role.Properties;
}
