import { describe, expect, it } from "vitest";
import { storableHeaders, truncateUtf8 } from "../../functions/adapters/quarantine-repository.ts";
import { parseCallbackEnv } from "../../functions/callback/env.ts";
import { parseCallbackAuthEnv } from "../../functions/callback-auth/env.ts";

const env = {
  TABLE_NAME: "pincode-bridge-dev",
  EVENTS_QUEUE_URL: "https://sqs.ap-south-1.amazonaws.com/123456789012/pincode-bridge-dev-events",
  CALLBACK_AUTH_SECRET_ARN: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:callback-auth",
  CALLBACK_AUTH_MODE: "oauth+static",
};

describe("callback function environment", () => {
  it("parses the runtime contract", () => {
    expect(parseCallbackEnv(env)).toEqual(env);
  });

  it.each([
    ["TABLE_NAME", { ...env, TABLE_NAME: undefined }],
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
