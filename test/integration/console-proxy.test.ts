/**
 * `pincode-bridge console --stage`'s loopback server (console/proxy.ts) against a stand-in for API Gateway over
 * real HTTP that checks every request's SigV4 signature by signing the request it received again. The server must
 * forward the console's requests signed (path under the stage, query, body, idempotency key), and refuse what a
 * hostile web page could send it: no session token, a rebound Host, another Origin.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ConsoleProxy, startConsoleProxy } from "../../console/proxy.ts";

const CREDENTIALS = { accessKeyId: "AKIDCONSOLETEST01", secretAccessKey: "console-test-secret-0123456789abcdef" };
const REGION = "ap-south-1";

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage["headers"];
  body: string;
  signatureValid: boolean;
}

let upstream: Server;
let upstreamUrl = "";
let proxy: ConsoleProxy;
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: { ok: true } };

/** Signs the received request again with the same key and time; a valid signature is the same string. */
async function verify(request: IncomingMessage, url: URL, body: string): Promise<boolean> {
  const authorization = String(request.headers.authorization ?? "");
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = String(request.headers[name] ?? "");
  const signer = new SignatureV4({ service: "execute-api", region: REGION, credentials: CREDENTIALS, sha256: Sha256 });
  const again = await signer.sign(
    {
      method: request.method ?? "GET",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body ? { body } : {}),
    },
    { signingDate, unsignableHeaders: new Set(), signableHeaders: new Set(signedHeaders) },
  );
  return signedHeaders.includes("host") && again.headers.authorization === authorization;
}

beforeAll(async () => {
  upstream = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(request.url ?? "/", `http://${request.headers.host}`);
    seen.push({
      method: request.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body,
      signatureValid: await verify(request, url, body),
    });
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const address = upstream.address();
  upstreamUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/prod`;
  proxy = await startConsoleProxy({ apiUrl: upstreamUrl, region: REGION, credentials: CREDENTIALS });
});
afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: { ok: true } };
});

const fromPage = (path: string, init: RequestInit = {}) =>
  fetch(`${proxy.url}${path}`, {
    ...init,
    headers: { "x-console-session": proxy.session, ...(init.headers as Record<string, string>) },
  });

describe("console proxy for a deployed stage", () => {
  it("serves the page with its session token in it and a strict CSP", async () => {
    const response = await fetch(proxy.consoleUrl);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain(`<meta name="console-session" content="${proxy.session}" />`);
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(proxy.session.length).toBeGreaterThanOrEqual(32);
  });

  it("forwards a read under the stage's path, with its query, signed with SigV4", async () => {
    answer = { status: 200, body: { orders: [], next: null } };
    const response = await fromPage("/v1/orders?storeId=S01&limit=2", { headers: { cookie: "a=b" } });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ orders: [], next: null });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "GET", path: "/prod/v1/orders", query: { storeId: "S01", limit: "2" } });
    expect(seen[0]?.signatureValid).toBe(true);
    expect(seen[0]?.headers.authorization).toContain(`Credential=${CREDENTIALS.accessKeyId}/`);
    expect(seen[0]?.headers.authorization).toContain(`/${REGION}/execute-api/aws4_request`);
    // The page's session token and the browser's cookies stay on the loopback side.
    expect(seen[0]?.headers["x-console-session"]).toBeUndefined();
    expect(seen[0]?.headers.cookie).toBeUndefined();
  });

  it("forwards an action with its body and idempotency key signed, and passes the answer back", async () => {
    answer = { status: 409, body: { error: "TRANSITION_NOT_ALLOWED", message: "actions[0]: not from COMPLETED" } };
    const body = JSON.stringify({ actions: [{ type: "accept" }] });
    const response = await fromPage("/v1/orders/OD1/actions", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "idempotency-key": "key-0001" },
    });

    expect(response.status).toBe(409);
    expect(await response.json()).toEqual(answer.body);
    expect(seen[0]).toMatchObject({ method: "POST", path: "/prod/v1/orders/OD1/actions", body });
    expect(seen[0]?.headers["idempotency-key"]).toBe("key-0001");
    expect(seen[0]?.signatureValid).toBe(true);
  });

  it("refuses requests a hostile page could send: no session, a rebound Host, another Origin", async () => {
    const noSession = await fetch(`${proxy.url}/v1/orders`, { method: "POST", body: "{}" });
    expect(noSession.status).toBe(401);
    expect(((await noSession.json()) as { message: string }).message).toContain("X-Console-Session");

    // fetch cannot set Host; a DNS-rebound page's requests carry the attacker's hostname in it.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/v1/orders`, {
        headers: { host: `evil.example:${proxy.port}`, "x-console-session": proxy.session },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(rebound).toBe(403);

    const crossOrigin = await fromPage("/v1/orders", { headers: { origin: "https://evil.example" } });
    expect(crossOrigin.status).toBe(403);

    const wrong = await fetch(`${proxy.url}/v1/orders`, { headers: { "x-console-session": "x".repeat(43) } });
    expect(wrong.status).toBe(401);
    expect(seen).toHaveLength(0);
  });

  it("answers 404 for anything that is neither the console nor the seller API", async () => {
    const response = await fetch(`${proxy.url}/pincode/callbacks`, { method: "POST" });
    expect(response.status).toBe(404);
    expect(seen).toHaveLength(0);
  });
});
