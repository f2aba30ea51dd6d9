/**
 * API Gateway REST proxy events for tests: the builder local mode uses, plus shorthands for our two routes.
 */
import { type ApiGatewayEventParts, buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";

export { type ApiGatewayEventParts, buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";

type RouteParts = Omit<ApiGatewayEventParts, "path" | "resource">;

export const callbackEvent = (parts: RouteParts = {}) => buildApiGatewayEvent({ path: "/pincode/callbacks", ...parts });

export const tokenEvent = (parts: RouteParts = {}) => buildApiGatewayEvent({ path: "/pincode/oauth/token", ...parts });

/** application/x-www-form-urlencoded, as a browser or curl --data-urlencode would send it. */
export const formEncode = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
