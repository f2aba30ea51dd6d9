/**
 * The seller API over HTTP, as the CLI (and the console's forwarder, issue 12) call it: one `send` that takes a
 * method, a path under the API's base URL, a query and a JSON body, and signs the request the way the target wants
 * (Bearer key in local mode, SigV4 on AWS). `call` adds the CLI's error handling on top.
 */
import { apiError, CliError, EXIT } from "./exit-codes.ts";

export interface ApiRequest {
  method: string;
  /** Path under the API base, starting with `/`, e.g. `/v1/orders`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** A JSON value (serialised here) or a string sent as is. */
  body?: unknown;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Adds authentication to a request about to be sent; returns the headers to send. */
export type RequestSigner = (request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}) => Promise<Record<string, string>>;

export interface ApiClient {
  baseUrl: string;
  /** For messages: "local mode at http://..." or "stage prod (ap-south-1)". */
  describe: string;
  send(request: ApiRequest): Promise<ApiResponse>;
}

export interface HttpClientOptions {
  baseUrl: string;
  describe: string;
  sign: RequestSigner;
  /** Per-request timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function buildUrl(baseUrl: string, path: string, query: ApiRequest["query"] = {}): URL {
  const base = new URL(baseUrl);
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${path}`;
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  return url;
}

export function createHttpClient(options: HttpClientOptions): ApiClient {
  const doFetch = options.fetch ?? fetch;
  return {
    baseUrl: options.baseUrl,
    describe: options.describe,
    async send(request) {
      const url = buildUrl(options.baseUrl, request.path, request.query);
      const body =
        request.body === undefined
          ? undefined
          : typeof request.body === "string"
            ? request.body
            : JSON.stringify(request.body);
      const headers: Record<string, string> = {
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(request.headers ?? {}),
      };
      const signed = await options.sign({ method: request.method, url, headers, body });
      let response: Response;
      try {
        response = await doFetch(url, {
          method: request.method,
          headers: signed,
          ...(body !== undefined ? { body } : {}),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        const cause = networkCause(error);
        throw new CliError(
          EXIT.UNAVAILABLE,
          `cannot reach the seller API (${options.describe}): ${cause}`,
          options.describe.startsWith("local")
            ? "is local mode running? Start it with `npm start` and pass the URL it prints as PINCODE_BRIDGE_URL"
            : "check your network and the stage's region (--region)",
        );
      }
      const text = await response.text();
      return { status: response.status, headers: Object.fromEntries(response.headers.entries()), text };
    },
  };
}

/** undici hides the reason (ECONNREFUSED, ENOTFOUND...) in `cause`, sometimes inside an AggregateError. */
function networkCause(error: unknown): string {
  const err = error as { name?: string; cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
  if (err.name === "TimeoutError") return "no answer in time";
  return err.cause?.code ?? err.cause?.errors?.[0]?.code ?? err.cause?.message ?? err.name ?? "network error";
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** Sends and returns the parsed JSON of a 2xx answer; anything else becomes a CliError naming `what`. */
export async function call<T = Record<string, unknown>>(client: ApiClient, request: ApiRequest, what: string) {
  const response = await client.send(request);
  const json = parse(response.text);
  if (response.status < 200 || response.status > 299) throw apiError(response.status, json, what);
  return { status: response.status, body: (json ?? {}) as T };
}
