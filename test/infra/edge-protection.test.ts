import { Annotations, Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { loadStageConfig, StageConfigSchema } from "../../lib/config/stage-config.ts";
import { CALLBACK_MAX_BODY_BYTES, integerAboveRegex } from "../../lib/constructs/edge-protection.ts";
import { logicalId, refersTo, synthStage } from "./support.ts";

/** API Gateway's MethodSettings path encoding: `/pincode/callbacks` -> `/~1pincode~1callbacks`. */
const settingsPath = (path: string) => `/${path.replaceAll("/", "~1")}`;

describe("edge protection: throttling per route, optional WAF, body size", () => {
  for (const stage of ["dev", "prod"] as const) {
    it(`throttles the callback and token routes each with its own configured bucket (${stage})`, () => {
      const { appTemplate, config } = synthStage(stage);
      const settings = Object.values(appTemplate.findResources("AWS::ApiGateway::Stage"))[0]?.Properties
        .MethodSettings as Record<string, unknown>[];
      const forRoute = (path: string) =>
        settings.filter((s) => s.ResourcePath === settingsPath(path) && s.HttpMethod === "POST");

      // Each route keeps ERROR logging without bodies and the per-method metrics its 5xx alarm reads.
      for (const path of ["/pincode/callbacks", "/pincode/oauth/token"]) {
        expect(forRoute(path)[0], path).toMatchObject({
          LoggingLevel: "ERROR",
          DataTraceEnabled: false,
          MetricsEnabled: true,
        });
      }
      expect(forRoute("/pincode/callbacks")).toEqual([
        expect.objectContaining({
          ThrottlingRateLimit: config.api.callbacks.rateLimit,
          ThrottlingBurstLimit: config.api.callbacks.burstLimit,
        }),
      ]);
      expect(forRoute("/pincode/oauth/token")).toEqual([
        expect.objectContaining({
          ThrottlingRateLimit: config.api.token.rateLimit,
          ThrottlingBurstLimit: config.api.token.burstLimit,
        }),
      ]);
      // The stage default still covers every other method (the seller API).
      expect(settings).toContainEqual(
        expect.objectContaining({
          ResourcePath: "/*",
          HttpMethod: "*",
          ThrottlingRateLimit: config.api.throttlingRateLimit,
        }),
      );
    });
  }

  it("creates no web ACL unless wafRateLimitPer5Min is set", () => {
    const { appTemplate } = synthStage("prod");
    appTemplate.resourceCountIs("AWS::WAFv2::WebACL", 0);
    appTemplate.resourceCountIs("AWS::WAFv2::WebACLAssociation", 0);
  });

  it("with -c wafRateLimitPer5Min, attaches a regional web ACL: per-IP rate limit (429) and declared body size (413)", () => {
    const { appTemplate, service } = synthStage("prod", { storeIds: "S01,S02", wafRateLimitPer5Min: "3000" });
    appTemplate.resourceCountIs("AWS::WAFv2::WebACL", 1);
    appTemplate.hasResourceProperties("AWS::WAFv2::WebACL", {
      Scope: "REGIONAL",
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({
          Name: "RateLimitPerIp",
          Statement: { RateBasedStatement: { Limit: 3000, AggregateKeyType: "IP" } },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429 }) } },
        }),
        Match.objectLike({
          Name: "PincodeBodyTooLarge",
          Statement: {
            AndStatement: {
              Statements: [
                Match.objectLike({ ByteMatchStatement: Match.objectLike({ SearchString: "/pincode/" }) }),
                Match.objectLike({
                  RegexMatchStatement: Match.objectLike({
                    FieldToMatch: { SingleHeader: { Name: "content-length" } },
                    RegexString: integerAboveRegex(CALLBACK_MAX_BODY_BYTES),
                  }),
                }),
              ],
            },
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 413 }) } },
        }),
      ],
    });
    const association = Object.values(appTemplate.findResources("AWS::WAFv2::WebACLAssociation"))[0];
    expect(refersTo(association?.Properties.ResourceArn, logicalId(service.api.deploymentStage))).toBe(true);
    const errors = Annotations.fromStack(service).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
    expect(errors.map((e) => e.id)).toEqual([]);
  });

  it("refuses a token rate below the callback rate, and a WAF limit AWS would refuse, naming the setting", () => {
    expect(() => loadStageConfig("dev", { wafRateLimitPer5Min: "5" })).toThrow(/api\.waf\.rateLimitPer5Min/);
    expect(() => loadStageConfig("dev", { wafRateLimitPer5Min: "many" })).toThrow(/api\.waf\.rateLimitPer5Min/);
    expect(loadStageConfig("dev", { wafRateLimitPer5Min: "2000" }).api.waf).toEqual({ rateLimitPer5Min: 2000 });
    expect(loadStageConfig("dev").api.waf).toBeUndefined();
    const dev = loadStageConfig("dev");
    const slowToken = StageConfigSchema.safeParse({
      ...dev,
      api: { ...dev.api, token: { rateLimit: 1, burstLimit: 2 } },
    });
    expect(slowToken.success).toBe(false);
    expect(slowToken.error?.issues.map((i) => i.path.join("."))).toEqual(["api.token.rateLimit"]);
  });
});

describe("integerAboveRegex: the content-length values over a limit", () => {
  for (const limit of [0, 9, 10, 99, 1000, 262_143, CALLBACK_MAX_BODY_BYTES, 999_999, 1_048_576]) {
    it(`matches exactly the integers above ${limit}`, () => {
      const re = new RegExp(integerAboveRegex(limit));
      const around = [0, 1, limit - 11, limit - 1, limit, limit + 1, limit + 9, limit + 10, limit * 10, 10 ** 12];
      const samples = [...around, ...Array.from({ length: 2000 }, (_, i) => Math.floor((limit + 2) * (i / 1000)))];
      for (const n of samples.filter((x) => x >= 0)) expect(re.test(String(n)), `${n} vs ${limit}`).toBe(n > limit);
      for (const notNumber of ["", "-1", "1e9", "262145 ", "abc"]) expect(re.test(notNumber), notNumber).toBe(false);
    });
  }
});
