/**
 * The callback's secret source on AWS: the Parameters and Secrets Lambda extension's HTTP API, here a real local HTTP
 * server answering as the extension does (same path, query, token header and GetSecretValue JSON).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cachedOnSuccess,
  getSecretStringFromExtension,
  SecretUnavailableError,
} from "../../functions/adapters/secrets-extension.ts";
import { parseCallbackAuthKeys } from "../../functions/core/callback-auth.ts";
import { type ScriptedHttpServer, startScriptedServer } from "../support/scripted-http-server.ts";

const ARN = "arn:aws:secretsmanager:ap-south-1:123456789012:secret:callback-auth";
const SECRET = {
  clientId: "pincode",
  clientSecret: "c".repeat(20),
  signingKey: "extension-signing-key-0123456789-abc",
};

let server: ScriptedHttpServer;
let port: number;
const options = () => ({ port, env: { AWS_SESSION_TOKEN: "session-token-for-test-0123" } });

beforeAll(async () => {
  server = await startScriptedServer();
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.stop();
});

describe("secrets through the Parameters and Secrets extension", () => {
  it("GETs /secretsmanager/get with the secret id and the session token, and returns SecretString", async () => {
    server.script("GET /secretsmanager/get", {
      status: 200,
      body: { ARN, Name: "callback-auth", SecretString: JSON.stringify(SECRET), VersionStages: ["AWSCURRENT"] },
    });
    const text = await getSecretStringFromExtension(ARN, options());
    expect(parseCallbackAuthKeys(text, ARN)).toEqual({ clientId: "pincode", signingKey: SECRET.signingKey });
    const [request] = server.requestsTo("/secretsmanager/get").slice(-1);
    expect(request?.headers["x-aws-parameters-secrets-token"]).toBe("session-token-for-test-0123");
    expect(server.requests.at(-1)?.path).toBe("/secretsmanager/get");
  });

  it("passes the secret id URL-encoded in secretId", async () => {
    // The scripted server keeps paths only; this one records the raw request line.
    const urls: string[] = [];
    const raw = createServer((req, res) => {
      urls.push(req.url ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ SecretString: "{}" }));
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    try {
      await getSecretStringFromExtension("arn:x:secret:a/b c", { port: (raw.address() as AddressInfo).port });
    } finally {
      raw.closeAllConnections();
      await new Promise((resolve) => raw.close(resolve));
    }
    expect(urls).toEqual(["/secretsmanager/get?secretId=arn%3Ax%3Asecret%3Aa%2Fb%20c"]);
  });

  it.each([
    ["an error status", { status: 400, body: "not ready to serve traffic" }, "extension answered 400"],
    ["a binary secret", { status: 200, body: { SecretBinary: "AAAA" } }, "has no SecretString"],
    ["an answer that is not JSON", { status: 200, body: "<html>" }, "answer is not JSON"],
  ])("fails on %s naming the secret and the problem, never its content", async (_case, response, message) => {
    server.script("GET /secretsmanager/get", response);
    const failure = getSecretStringFromExtension(ARN, options());
    await expect(failure).rejects.toThrow(SecretUnavailableError);
    await expect(getFailing(response)).rejects.toThrow(`secret ${ARN}`);
    await expect(getFailing(response)).rejects.toThrow(message);
  });

  it("fails when nothing listens on the port (the layer is missing)", async () => {
    const closed = await startScriptedServer();
    const closedPort = Number(new URL(closed.url).port);
    await closed.stop();
    await expect(getSecretStringFromExtension(ARN, { port: closedPort, timeoutMs: 1_000 })).rejects.toThrow(
      "did not answer",
    );
  });

  it("caches a success per container and retries after a failure", async () => {
    let calls = 0;
    const load = cachedOnSuccess(async () => {
      calls++;
      if (calls === 1) throw new Error("transient");
      return calls;
    });
    await expect(load()).rejects.toThrow("transient");
    expect(await load()).toBe(2);
    expect(await load()).toBe(2);
    expect(calls).toBe(2);
  });
});

function getFailing(response: { status: number; body: unknown }) {
  server.script("GET /secretsmanager/get", response);
  return getSecretStringFromExtension(ARN, options());
}
