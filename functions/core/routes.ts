/**
 * The HTTP API's one route table. The CDK stack builds API Gateway's resources and methods from it, local mode's
 * front door routes with it, and the seller-api function dispatches with it, so local mode cannot drift from API
 * Gateway and a route cannot exist in one place only.
 *
 * It lives in functions/core (pure data and pure functions, no I/O, no aws-cdk-lib) because the seller-api Lambda
 * bundle needs it at run time and functions/ never imports lib/; lib/ and bin/ already import functions/ modules
 * (e.g. the table layout), so every reader can reach it.
 *
 * To add a seller-API route: add one line here and its handler under functions/seller-api/routes/ (registered in
 * functions/seller-api/routes/index.ts); a unit test fails when either half is missing.
 */

export type RouteMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
/** The Lambda a route invokes (one per function quartet under functions/). */
export type RouteFunction = "callback" | "callbackAuth" | "sellerApi";
/**
 * - `pincode`: no gateway authorizer; the function authenticates Pincode itself (callback OAuth bearer / static
 *   token, or the token endpoint's client credentials).
 * - `none`: public, no authentication at all.
 * - `iam`: API Gateway AWS_IAM (SigV4) on AWS; `Authorization: Bearer <SELLER_API_KEY>` in local mode.
 */
export type RouteAuth = "pincode" | "none" | "iam";

export interface Route {
  method: RouteMethod;
  /** API Gateway style: literal segments and `{name}` path parameters, e.g. `/v1/orders/{orderId}`. */
  path: string;
  function: RouteFunction;
  auth: RouteAuth;
}

export const ROUTES = [
  // Pincode -> us.
  { method: "POST", path: "/pincode/callbacks", function: "callback", auth: "pincode" },
  { method: "POST", path: "/pincode/oauth/token", function: "callbackAuth", auth: "pincode" },
  // Seller API: orders and commands.
  { method: "GET", path: "/v1/orders", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/orders/{orderId}", function: "sellerApi", auth: "iam" },
  { method: "POST", path: "/v1/orders/{orderId}/actions", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/orders/{orderId}/commands", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/commands/{commandId}", function: "sellerApi", auth: "iam" },
  // Seller API: stores, availability, catalog.
  { method: "GET", path: "/v1/stores", function: "sellerApi", auth: "iam" },
  { method: "PUT", path: "/v1/stores/{storeId}", function: "sellerApi", auth: "iam" },
  { method: "DELETE", path: "/v1/stores/{storeId}", function: "sellerApi", auth: "iam" },
  { method: "POST", path: "/v1/stores/{storeId}/availability", function: "sellerApi", auth: "iam" },
  { method: "POST", path: "/v1/listings", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/submissions/{submissionId}", function: "sellerApi", auth: "iam" },
  // Seller API: operations (queues, DLQs, quarantined callbacks).
  { method: "GET", path: "/v1/ops/summary", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/ops/dlqs", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/ops/dlqs/{queue}/messages", function: "sellerApi", auth: "iam" },
  { method: "POST", path: "/v1/ops/dlqs/{queue}/redrive", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/quarantine", function: "sellerApi", auth: "iam" },
  { method: "POST", path: "/v1/quarantine/{id}/replay", function: "sellerApi", auth: "iam" },
  // Seller API: what the console's screens need (issue 12), readable by scripts too.
  { method: "GET", path: "/v1/deadlines", function: "sellerApi", auth: "iam" },
  { method: "GET", path: "/v1/ops/arrivals", function: "sellerApi", auth: "iam" },
] as const satisfies readonly Route[];

/** `"GET /v1/orders/{orderId}"`: how the seller-api function keys its handlers. */
export const routeKey = (route: Pick<Route, "method" | "path">) => `${route.method} ${route.path}`;

/**
 * The greedy catch-all under /v1: API Gateway sends every unknown /v1 path to the seller-api function (behind IAM),
 * which answers 404 in our error shape instead of API Gateway's 403 "Missing Authentication Token".
 */
export const SELLER_API_CATCH_ALL = "/v1/{proxy+}";

/**
 * What API Gateway is given: each table route, plus `ANY` on every seller-API resource (a wrong method reaches the
 * function, which answers 405 with `Allow`) and the /v1 catch-all. Local mode routes with the same list.
 */
export interface GatewayRoute {
  method: RouteMethod | "ANY";
  path: string;
  function: RouteFunction;
  auth: RouteAuth;
}

export function gatewayRoutes(routes: readonly Route[] = ROUTES): GatewayRoute[] {
  const result: GatewayRoute[] = routes.map((r) => ({ ...r }));
  const sellerPaths = [...new Set(routes.filter((r) => r.function === "sellerApi").map((r) => r.path))];
  for (const path of sellerPaths) result.push({ method: "ANY", path, function: "sellerApi", auth: "iam" });
  if (sellerPaths.length > 0) {
    result.push({ method: "ANY", path: SELLER_API_CATCH_ALL, function: "sellerApi", auth: "iam" });
  }
  return result;
}

/** The methods the table defines on one resource path (for 405's `Allow`). */
export function allowedMethods(path: string, routes: readonly Route[] = ROUTES): RouteMethod[] {
  return routes.filter((r) => r.path === path).map((r) => r.method);
}

type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string } | { kind: "greedy"; name: string };

function parseTemplate(path: string): Segment[] {
  return path
    .split("/")
    .filter(Boolean)
    .map((part): Segment => {
      const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
      if (!param) return { kind: "literal", value: part };
      return param[2] ? { kind: "greedy", name: param[1] ?? "proxy" } : { kind: "param", name: param[1] ?? "" };
    });
}

/**
 * Matches a concrete path against a template; the parameters are URL-decoded like API Gateway's `pathParameters`.
 * A rank orders competing matches the way API Gateway does: literal segments beat `{param}`, which beats `{proxy+}`.
 */
export function matchTemplate(
  template: string,
  path: string,
): { params: Record<string, string>; rank: number[] } | undefined {
  const segments = parseTemplate(template);
  const parts = path.split("/").filter((p, i, all) => p !== "" || (i > 0 && i < all.length - 1));
  const params: Record<string, string> = {};
  const rank: number[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === "greedy") {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.some((p) => p === "")) return undefined;
      params[segment.name] = safeDecode(rest.join("/"));
      rank.push(0);
      return { params, rank };
    }
    const part = parts[i];
    if (part === undefined || part === "") return undefined;
    if (segment.kind === "literal") {
      if (part !== segment.value) return undefined;
      rank.push(2);
    } else {
      params[segment.name] = safeDecode(part);
      rank.push(1);
    }
  }
  return parts.length === segments.length ? { params, rank } : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const compareRank = (a: number[], b: number[]) => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (b[i] ?? -1) - (a[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
};

/**
 * Resolves a request the way API Gateway resolves it against `gatewayRoutes()`: the most specific matching resource,
 * then its exact method, else its ANY method. Undefined when nothing matches (API Gateway's own 403/404).
 */
export function resolveGatewayRoute(
  method: string,
  path: string,
  routes: readonly GatewayRoute[] = gatewayRoutes(),
): { route: GatewayRoute; params: Record<string, string> } | undefined {
  const byPath = new Map<string, GatewayRoute[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const matches = [...byPath.entries()]
    .map(([template, list]) => ({ template, list, match: matchTemplate(template, path) }))
    .filter((m) => m.match !== undefined)
    .sort((a, b) => compareRank(a.match!.rank, b.match!.rank));
  const upper = method.toUpperCase();
  for (const { list, match } of matches) {
    // API Gateway picks the resource first; a resource without the method (and no ANY) does not fall back further.
    const route = list.find((r) => r.method === upper) ?? list.find((r) => r.method === "ANY");
    if (route) return { route, params: match!.params };
    return undefined;
  }
  return undefined;
}
