import { describe, expect, it } from "vitest";
import { storableHeaders, truncateUtf8 } from "../../functions/adapters/quarantine-repository.ts";
import { parseCallbackEnv } from "../../functions/callback/env.ts";
import { parseCallbackAuthEnv } from "../../functions/callback-auth/env.ts";
import { parseCallbackAuthKeys } from "../../functions/core/callback-auth.ts";

const env = {
  EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-dev-events",
  CALLBACK_AUTH_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:callback-auth",
  CALLBACK_AUTH_MODE: "oauth+static",
};

describe("callback function environment", () => {
  it("parses the runtime contract (no TABLE_NAME since issue 11: quarantine goes through the queue)", () => {
    expect(parseCallbackEnv(env)).toEqual(env);
    expect(parseCallbackEnv({ ...env, TABLE_NAME: "ignored" })).toEqual(env);
  });

  it("names every bad variable in one message, never echoing a value", () => {
    expect(() => parseCallbackEnv({ CALLBACK_AUTH_MODE: "sekrit-mode" })).toThrow(
      "callback function environment is invalid: EVENTS_QUEUE_URL: expected an http(s) URL; " +
        "CALLBACK_AUTH_SECRET_ARN: expected a non-empty string; " +
        "CALLBACK_AUTH_MODE: expected one of oauth, static, oauth+static",
    );
  });

  it.each([
    ["EVENTS_QUEUE_URL", { ...env, EVENTS_QUEUE_URL: "not a url" }],
    ["CALLBACK_AUTH_SECRET_ARN", { ...env, CALLBACK_AUTH_SECRET_ARN: "" }],
    ["CALLBACK_AUTH_MODE", { ...env, CALLBACK_AUTH_MODE: "none" }],
  ])("names %s when it is missing or invalid", (name, bad) => {
    expect(() => parseCallbackEnv(bad)).toThrow(new RegExp(`${name}:`));
  });

  it("token endpoint: names CALLBACK_AUTH_MODE and takes an optional token lifetime", () => {
    expect(() => parseCallbackAuthEnv({ CALLBACK_AUTH_SECRET_ARN: "arn" })).toThrow(/CALLBACK_AUTH_MODE:/);
    expect(
      parseCallbackAuthEnv({
        CALLBACK_AUTH_SECRET_ARN: "arn",
        CALLBACK_AUTH_MODE: "oauth",
        CALLBACK_TOKEN_TTL_SECONDS: "300",
      }),
    ).toMatchObject({ CALLBACK_TOKEN_TTL_SECONDS: 300 });
    expect(() =>
      parseCallbackAuthEnv({
        CALLBACK_AUTH_SECRET_ARN: "arn",
        CALLBACK_AUTH_MODE: "oauth",
        CALLBACK_TOKEN_TTL_SECONDS: "5",
      }),
    ).toThrow(/CALLBACK_TOKEN_TTL_SECONDS:/);
  });
});

describe("quarantine helpers", () => {
  it("drops credential headers, whatever their case, and keeps the rest", () => {
    const kept = storableHeaders({
      Authorization: "Bearer x",
      COOKIE: "a=b",
      "X-Api-Key": "k",
      "Proxy-Authorization": "p",
      "Content-Type": "application/json",
      "X-Amzn-Trace-Id": "Root=1",
    });
    expect(kept).toEqual({ "content-type": "application/json", "x-amzn-trace-id": "Root=1" });
  });

  it("cuts UTF-8 on a character boundary", () => {
    const text = Buffer.from("ab€", "utf8"); // € is 3 bytes
    expect(Buffer.from(truncateUtf8(text, 4)).toString("utf8")).toBe("ab");
    expect(Buffer.from(truncateUtf8(text, 3)).toString("utf8")).toBe("ab");
    expect(Buffer.from(truncateUtf8(text, 5)).toString("utf8")).toBe("ab€");
  });
});

describe("callback auth secret, checked by hand on the callback's hot path", () => {
  const good = { clientId: "pincode", clientSecret: "x".repeat(16), signingKey: "k".repeat(32) };
  it("takes the fields the callback needs", () => {
    expect(parseCallbackAuthKeys(JSON.stringify(good), "arn:s")).toEqual({
      clientId: "pincode",
      signingKey: good.signingKey,
    });
    expect(parseCallbackAuthKeys(JSON.stringify({ ...good, staticToken: "s".repeat(16) }), "arn:s").staticToken).toBe(
      "s".repeat(16),
    );
  });

  it.each([
    ["not JSON", "{", "secret arn:s is not a JSON object"],
    ["an array", "[]", "secret arn:s is not a JSON object"],
    [
      "a short signing key",
      JSON.stringify({ ...good, signingKey: "short-secret-value" }),
      "invalid fields: signingKey",
    ],
    ["a short static token", JSON.stringify({ ...good, staticToken: "short-token-x" }), "invalid fields: staticToken"],
    ["no clientId", JSON.stringify({ signingKey: good.signingKey }), "invalid fields: clientId"],
  ])("refuses %s, naming the field and never the value", (_case, text, message) => {
    expect(() => parseCallbackAuthKeys(text, "arn:s")).toThrow(message);
    try {
      parseCallbackAuthKeys(text, "arn:s");
    } catch (error) {
      expect(String(error)).not.toMatch(/short-secret-value|short-token-x/);
    }
  });
});
