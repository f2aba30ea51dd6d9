/**
 * API Gateway REST proxy events, built the way API Gateway builds them, so local mode and tests invoke the very
 * handlers Lambda runs: from plain parts (`buildApiGatewayEvent`) or from a node:http request
 * (`apiGatewayEventFromRequest`), and back (`writeApiGatewayResult`).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

export interface ApiGatewayEventParts {
  method?: string;
  path: string;
  /** The resource template, e.g. `/pincode/callbacks`; defaults to `path`. */
  resource?: string;
  /** Header name -> value, or values (sent as repeated headers). */
  headers?: Record<string, string | string[] | undefined>;
  query?: Record<string, string | string[]>;
  body?: string | Uint8Array | null;
  /** Send the body base64-encoded, as API Gateway does for binary media types. Default: only for invalid UTF-8. */
  base64?: boolean;
  sourceIp?: string;
  stage?: string;
  requestTimeEpoch?: number;
}

const isUtf8 = (bytes: Uint8Array) => {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

export function buildApiGatewayEvent(parts: ApiGatewayEventParts): APIGatewayProxyEvent {
  const method = (parts.method ?? "POST").toUpperCase();
  const stage = parts.stage ?? "local";
  const now = parts.requestTimeEpoch ?? Date.now();

  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) continue;
    // API Gateway keeps the last value in `headers` and all of them in `multiValueHeaders`.
    headers[name] = values[values.length - 1] ?? "";
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(parts.query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    query[name] = values[values.length - 1] ?? "";
    multiQuery[name] = values;
  }

  let body: string | null = null;
  let isBase64Encoded = false;
  if (parts.body !== undefined && parts.body !== null) {
    const bytes = typeof parts.body === "string" ? Buffer.from(parts.body, "utf8") : Buffer.from(parts.body);
    if (bytes.length > 0) {
      isBase64Encoded = parts.base64 ?? !isUtf8(bytes);
      body = isBase64Encoded ? bytes.toString("base64") : bytes.toString("utf8");
    }
  }
  const sourceIp = parts.sourceIp ?? "127.0.0.1";
  const userAgent = headers["User-Agent"] ?? headers["user-agent"] ?? null;

  return {
    resource: parts.resource ?? parts.path,
    path: parts.path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: method,
      path: `/${stage}${parts.path}`,
      stage,
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      resourceId: "local",
      resourcePath: parts.resource ?? parts.path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
    },
  };
}

/** Reads a node:http request into an API Gateway REST proxy event (body fully buffered, as API Gateway does). */
export async function apiGatewayEventFromRequest(
  request: IncomingMessage,
  options: { resource?: string; stage?: string; maxBodyBytes?: number } = {},
): Promise<APIGatewayProxyEvent> {
  const chunks: Buffer[] = [];
  let size = 0;
  // API Gateway refuses payloads over 10 MB before the function runs.
  const max = options.maxBodyBytes ?? 10 * 1024 * 1024;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > max) throw new Error(`request body is over ${max} bytes`);
    chunks.push(buffer);
  }
  const url = new URL(request.url ?? "/", "http://localhost");
  const headers: Record<string, string[]> = {};
  // rawHeaders keeps the caller's spelling and repeats, like API Gateway.
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] ?? "";
    headers[name] = [...(headers[name] ?? []), request.rawHeaders[i + 1] ?? ""];
  }
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) query[name] = [...(query[name] ?? []), value];
  return buildApiGatewayEvent({
    method: request.method ?? "GET",
    path: url.pathname,
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.stage ? { stage: options.stage } : {}),
    headers,
    query,
    body: Buffer.concat(chunks),
    sourceIp: request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1",
  });
}

/** Writes a proxy result back as an HTTP response. */
export function writeApiGatewayResult(response: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const body = result.isBase64Encoded ? Buffer.from(result.body, "base64") : Buffer.from(result.body ?? "", "utf8");
  response.writeHead(result.statusCode, headers);
  response.end(body);
}
