/**
 * What a seller-API route handler receives and returns. The router (../router.ts) has already matched the route,
 * checked the method, size and content type and parsed a JSON body, so a handler only validates its own inputs.
 */
import type { SellerApiDeps } from "../create-handler.ts";

export interface ApiRequest {
  method: string;
  /** The route template from the route table, e.g. `/v1/orders/{orderId}`. */
  route: string;
  path: string;
  /** Decoded path parameters, named as in the template. */
  params: Record<string, string>;
  /** Query string (the last value of a repeated parameter). */
  query: Record<string, string>;
  /** Headers, names lower-cased. */
  headers: Record<string, string>;
  /** The parsed JSON body (POST/PUT/PATCH with a body); undefined otherwise. */
  body: unknown;
  /** API Gateway's request id (logged, echoed as X-Request-Id). */
  requestId: string;
  /** When the request was received (epoch ms). */
  now: number;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: ApiRequest, deps: SellerApiDeps) => Promise<ApiResponse>;

/** `{error, message}`: a stable code and what is wrong and where — the field path and the expected form, never the value. */
export const apiError = (status: number, error: string, message: string, headers?: Record<string, string>) => ({
  status,
  body: { error, message },
  ...(headers ? { headers } : {}),
});
