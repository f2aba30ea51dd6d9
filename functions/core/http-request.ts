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

/**
 * How deep a request body may nest. Pincode's deepest documented field sits 6 levels down and a seller-API body 5;
 * a body nested deeper than this is refused at the edge with a 400, because JSON.stringify recurses and a
 * 256 KiB body can nest 100,000 levels: queued as is, it would throw on every retry (an endless 5xx).
 */
export const MAX_JSON_DEPTH = 64;

/** True when a parsed JSON value nests objects/arrays more than `limit` levels deep. Iterative: no recursion. */
export function jsonDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== "object" || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
