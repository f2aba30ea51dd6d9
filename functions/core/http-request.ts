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

/**
 * True when a parsed JSON value nests objects/arrays more than `limit` levels deep. Iterative: no recursion. Two
 * parallel stacks and `for…in` (JSON values are plain objects and arrays: own enumerable keys only) instead of a
 * tuple and an `Object.values` array per object: it runs on every callback (issue 11).
 */
export function jsonDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (limit < 1) return true;
  const objects: object[] = [value];
  const depths: number[] = [1];
  while (objects.length > 0) {
    const current = objects.pop() as Record<string, unknown> | unknown[];
    const depth = (depths.pop() as number) + 1;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const child = current[i];
        if (typeof child === "object" && child !== null) {
          if (depth > limit) return true;
          objects.push(child);
          depths.push(depth);
        }
      }
    } else {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        const child = current[key];
        if (typeof child === "object" && child !== null) {
          if (depth > limit) return true;
          objects.push(child);
          depths.push(depth);
        }
      }
    }
  }
  return false;
}
