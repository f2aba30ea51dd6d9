/**
 * Reading an API Gateway REST proxy request: header lookup that ignores case (API Gateway keeps the caller's
 * spelling) and the raw body bytes (API Gateway base64-encodes bodies it treats as binary).
 */
import type { APIGatewayProxyEvent } from "aws-lambda";

export type HttpRequestEvent = Pick<APIGatewayProxyEvent, "body" | "isBase64Encoded" | "headers"> &
  Partial<Pick<APIGatewayProxyEvent, "multiValueHeaders">>;

/** The first value of a header, whatever its case. */
export function headerValue(event: Pick<HttpRequestEvent, "headers" | "multiValueHeaders">, name: string) {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 0) return values[0];
  }
  return undefined;
}

/** All headers as one lower-cased map (single and multi-value forms merged, multi-values comma-joined). */
export function headerMap(event: Pick<HttpRequestEvent, "headers" | "multiValueHeaders">): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (values && values.length > 0) merged[key.toLowerCase()] = values.join(", ");
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && merged[key.toLowerCase()] === undefined) merged[key.toLowerCase()] = value;
  }
  return merged;
}

/** The body exactly as the caller sent it. */
export function bodyBytes(event: Pick<HttpRequestEvent, "body" | "isBase64Encoded">): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}
