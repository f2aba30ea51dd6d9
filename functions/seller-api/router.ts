/**
 * The seller API's front half: from an API Gateway REST proxy event to a route handler and back. Every refusal is
 * `{error, message}` naming the problem, never a value from the request:
 *   unknown route 404 NOT_FOUND, wrong method 405 METHOD_NOT_ALLOWED (with `Allow`), body over the limit 413
 *   PAYLOAD_TOO_LARGE, a body that is not `application/json` 415 UNSUPPORTED_MEDIA_TYPE, a body that is not a JSON
 *   object (or nests over 64 levels) 400 INVALID_REQUEST. Handlers answer their own 400/404/409/422.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { bodyBytes, headerMap, jsonDepthExceeds, MAX_JSON_DEPTH } from "#core/http-request.ts";
import { jsonResponse } from "#core/http-response.ts";
import { allowedMethods, matchTemplate, ROUTES, type Route, routeKey } from "#core/routes.ts";
import type { ApiRequest, ApiResponse, RouteHandler } from "./routes/types.ts";
import { apiError } from "./routes/types.ts";

/** 1 MiB: a full listings batch fits with room; anything larger is a client bug. */
export const MAX_SELLER_API_BODY_BYTES = 1024 * 1024;

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

export interface RouterOptions {
  handlers: Readonly<Record<string, RouteHandler>>;
  routes?: readonly Route[];
  maxBodyBytes?: number;
}

export type Dispatch<D> = (
  event: APIGatewayProxyEvent,
  deps: D,
  now: number,
) => Promise<{ response: ApiResponse; route: string | undefined }>;

/** The table's seller-API routes; the router serves nothing else. */
export const sellerApiRoutes = (routes: readonly Route[] = ROUTES) => routes.filter((r) => r.function === "sellerApi");

/**
 * Finds the route: API Gateway's `resource` names the template it matched; when it is the /v1 catch-all (or absent,
 * e.g. a hand-built event) the concrete path is matched against the table instead.
 */
function findRoute(routes: readonly Route[], event: APIGatewayProxyEvent) {
  const method = (event.httpMethod ?? "").toUpperCase();
  const path = event.path ?? "";
  const candidates = routes
    .map((route) => ({ route, match: matchTemplate(route.path, path) }))
    .filter((c) => c.match !== undefined);
  const byResource = routes.filter((r) => r.path === event.resource);
  const templates = byResource.length > 0 ? [event.resource] : [...new Set(candidates.map((c) => c.route.path))];
  // The most specific template first (literal segments beat parameters), as API Gateway chooses.
  templates.sort((a, b) => specificity(b) - specificity(a));
  const template = templates[0];
  if (template === undefined) return { kind: "none" as const };
  const route = routes.find((r) => r.path === template && r.method === method);
  if (!route) return { kind: "method" as const, allow: allowedMethods(template, routes) };
  const params: Record<string, string> = {};
  // API Gateway's pathParameters are already decoded; fall back to matching the path ourselves.
  const fromEvent = event.pathParameters ?? {};
  const matched = matchTemplate(template, path)?.params ?? {};
  for (const name of Object.keys(matched)) params[name] = fromEvent[name] ?? matched[name] ?? "";
  for (const [name, value] of Object.entries(fromEvent))
    if (value !== undefined && !(name in params)) params[name] = value;
  return { kind: "route" as const, route, params };
}

const specificity = (template: string) =>
  template
    .split("/")
    .filter(Boolean)
    .reduce((n, part) => n * 3 + (part.startsWith("{") ? 1 : 2), 0);

export function createRouter<D>(options: RouterOptions): Dispatch<D> {
  const routes = sellerApiRoutes(options.routes);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_SELLER_API_BODY_BYTES;

  return async (event, deps, now) => {
    const found = findRoute(routes, event);
    if (found.kind === "none") {
      return {
        route: undefined,
        response: apiError(404, "NOT_FOUND", "no such route; the routes are listed in docs/seller-api.md"),
      };
    }
    if (found.kind === "method") {
      const allow = found.allow.join(", ");
      return {
        route: undefined,
        response: apiError(405, "METHOD_NOT_ALLOWED", `this resource accepts ${allow}`, { Allow: allow }),
      };
    }
    const { route, params } = found;
    const key = routeKey(route);
    const handler = options.handlers[key];
    if (!handler) return { route: key, response: apiError(404, "NOT_FOUND", "no such route") };

    const headers = headerMap(event);
    let body: unknown;
    const raw = bodyBytes(event);
    if (raw.length > maxBodyBytes) {
      return {
        route: key,
        response: apiError(413, "PAYLOAD_TOO_LARGE", `the body is over the limit of ${maxBodyBytes} bytes`),
      };
    }
    if (BODY_METHODS.has(route.method) && raw.length > 0) {
      const contentType = (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
      if (contentType !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(contentType)) {
        return {
          route: key,
          response: apiError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"),
        };
      }
      try {
        body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
      } catch {
        return { route: key, response: apiError(400, "INVALID_REQUEST", "body: expected a JSON object") };
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        return { route: key, response: apiError(400, "INVALID_REQUEST", "body: expected a JSON object") };
      }
      // Commands are stored and queued as JSON: a body deeper than any of ours would only strain that (see http-request).
      if (jsonDepthExceeds(body)) {
        return {
          route: key,
          response: apiError(
            400,
            "INVALID_REQUEST",
            `body: nests more than ${MAX_JSON_DEPTH} levels of objects and arrays`,
          ),
        };
      }
    }

    const query: Record<string, string> = {};
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
      if (value !== undefined) query[name] = value;
    }
    const request: ApiRequest = {
      method: route.method,
      route: route.path,
      path: event.path,
      params,
      query,
      headers,
      body,
      requestId: event.requestContext?.requestId ?? "",
      now,
    };
    return { route: key, response: await handler(request, deps as never) };
  };
}

export function toProxyResult(response: ApiResponse, requestId: string): APIGatewayProxyResult {
  const headers: Record<string, string> = { "Cache-Control": "no-store", ...(response.headers ?? {}) };
  if (requestId) headers["X-Request-Id"] = requestId;
  if (response.status === 204) return { statusCode: 204, headers, body: "" };
  return jsonResponse(response.status, response.body, headers);
}
