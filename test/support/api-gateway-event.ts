/**
 * API Gateway REST proxy events for tests: the builder local mode uses, plus shorthands for our two routes.
 */
import { type ApiGatewayEventParts, buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";
import { resolveGatewayRoute } from "../../functions/core/routes.ts";

export { type ApiGatewayEventParts, buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";

type RouteParts = Omit<ApiGatewayEventParts, "path" | "resource">;

export const callbackEvent = (parts: RouteParts = {}) => buildApiGatewayEvent({ path: "/pincode/callbacks", ...parts });

export const tokenEvent = (parts: RouteParts = {}) => buildApiGatewayEvent({ path: "/pincode/oauth/token", ...parts });

/** application/x-www-form-urlencoded, as a browser or curl --data-urlencode would send it. */
export const formEncode = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/**
 * A seller-API request as API Gateway delivers it: the route table resolves the path the way API Gateway does
 * (resource template, decoded pathParameters; unknown /v1 paths land on the `/v1/{proxy+}` catch-all).
 */
export function sellerApiEvent(
  method: string,
  path: string,
  parts: Omit<ApiGatewayEventParts, "path" | "resource" | "method"> & { json?: unknown } = {},
) {
  const { json, ...rest } = parts;
  const resolved = resolveGatewayRoute(method, path);
  const event = buildApiGatewayEvent({
    method,
    path,
    ...(resolved ? { resource: resolved.route.path } : {}),
    ...(json !== undefined
      ? { body: JSON.stringify(json), headers: { "Content-Type": "application/json", ...(rest.headers ?? {}) } }
      : {}),
    ...rest,
    ...(json !== undefined ? { headers: { "Content-Type": "application/json", ...(rest.headers ?? {}) } } : {}),
  });
  if (resolved && Object.keys(resolved.params).length > 0) event.pathParameters = resolved.params;
  return event;
}
