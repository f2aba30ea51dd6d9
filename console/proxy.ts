/**
 * `pincode-bridge console --stage <stage>`: the console on a loopback port, its /v1 requests forwarded to the
 * stage's seller API signed with SigV4 (the operator's AWS credentials, `execute-api`). Nothing new is exposed on
 * AWS: the API keeps AWS_IAM authorisation, and the credentials never reach the browser.
 *
 * A loopback server that signs whatever it is sent would let any web page the operator visits act on orders (a
 * cross-site form post, or DNS rebinding of a hostname to 127.0.0.1). So it forwards only requests that
 * - name this server in `Host` (127.0.0.1:<port> / localhost:<port>): a rebound hostname is refused;
 * - carry `X-Console-Session`, a random per-run token the server writes into the page it serves: other origins
 *   cannot read the page, and a custom header cannot be sent cross-origin without a CORS preflight, which this
 *   server never grants;
 * - come from no other `Origin` than its own.
 */

import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { isConsolePath, serveConsole } from "./assets.ts";

export interface ConsoleProxyOptions {
  /** The stage's seller API base URL (the stack output), e.g. https://abc.execute-api.ap-south-1.amazonaws.com/prod */
  apiUrl: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  port?: number;
  host?: string;
  /** Defaults to 32 random bytes. */
  session?: string;
  /** Seller API requests larger than this are refused before signing (API Gateway's own limit is 10 MB). */
  maxBodyBytes?: number;
  fetch?: typeof fetch;
}

export interface ConsoleProxy {
  url: string;
  consoleUrl: string;
  port: number;
  session: string;
  stop(): Promise<void>;
}

/** Request headers passed on to the seller API; everything else (cookies, the session token) stays here. */
const FORWARDED_HEADERS = ["content-type", "accept", "idempotency-key"];

function json(response: ServerResponse, status: number, body: Record<string, unknown>): void {
  response.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

async function readBody(request: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > max) throw Object.assign(new Error(`request body is over ${max} bytes`), { status: 413 });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const host = options.host ?? "127.0.0.1";
  const session = options.session ?? randomBytes(32).toString("base64url");
  const target = new URL(options.apiUrl.replace(/\/+$/, ""));
  const basePath = target.pathname === "/" ? "" : target.pathname;
  const signer = new SignatureV4({
    service: "execute-api",
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const doFetch = options.fetch ?? fetch;
  const maxBody = options.maxBodyBytes ?? 10 * 1024 * 1024;
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  async function forward(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (!allowedHosts().has(String(request.headers.host ?? "").toLowerCase())) {
      return json(response, 403, {
        error: "FORBIDDEN",
        message: `Host must be this console's own address (http://127.0.0.1:${port}); open the link the command printed`,
      });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedHosts().has(origin.replace(/^http:\/\//, "").toLowerCase())) {
      return json(response, 403, { error: "FORBIDDEN", message: "cross-origin requests are refused" });
    }
    const given = request.headers["x-console-session"];
    if (typeof given !== "string" || !sameSecret(given, session)) {
      return json(response, 401, {
        error: "UNAUTHORIZED",
        message: "X-Console-Session is missing or wrong; reload the console page this command served",
      });
    }
    const body = await readBody(request, maxBody);
    const headers: Record<string, string> = { host: target.host };
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const signed = await signer.sign({
      method: request.method ?? "GET",
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: `${basePath}${url.pathname}`,
      query,
      headers,
      ...(body.length > 0 ? { body: body.toString("utf8") } : {}),
    });
    const upstream = await doFetch(`${target.origin}${basePath}${url.pathname}${url.search}`, {
      method: signed.method,
      headers: Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== "host")),
      ...(body.length > 0 ? { body } : {}),
      redirect: "manual",
    });
    const out = Buffer.from(await upstream.arrayBuffer());
    const passBack: Record<string, string> = { "cache-control": "no-store" };
    for (const name of ["content-type", "allow", "retry-after", "location"]) {
      const value = upstream.headers.get(name);
      if (value) passBack[name] = value;
    }
    response.writeHead(upstream.status, passBack);
    response.end(out);
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    void (async () => {
      try {
        if (url.pathname === "/") {
          response.writeHead(302, { location: "/console" });
          response.end();
        } else if (isConsolePath(url.pathname)) {
          await serveConsole(request, response, { session });
        } else if (url.pathname === "/v1" || url.pathname.startsWith("/v1/")) {
          await forward(request, response, url);
        } else {
          json(response, 404, { error: "NOT_FOUND", message: `no route ${url.pathname}; the console is at /console` });
        }
      } catch (error) {
        const status = (error as { status?: number }).status ?? 502;
        if (!response.headersSent) {
          json(response, status, {
            error: status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_GATEWAY",
            message:
              status === 413
                ? (error as Error).message
                : `the seller API could not be reached or signed for (${(error as Error).name}); check the stage and your AWS credentials`,
          });
        } else response.destroy();
      }
    })();
  });
  port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : (options.port ?? 0));
    });
  });
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    consoleUrl: `${url}/console`,
    port,
    session,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
