import type { Stage } from "aws-cdk-lib/aws-apigateway";
import { CfnWebACL, CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";

/** The callback handler's body limit (functions/callback/create-handler.ts, docs/callbacks.md): 256 KiB. */
export const CALLBACK_MAX_BODY_BYTES = 262_144;

/**
 * A regular expression matching exactly the decimal integers greater than `limit` (no sign, no leading zeros), for a
 * WAF rule on the `content-length` header: WAF inspects at most the first 16 KiB of a body behind API Gateway, so a
 * body size above that can only be judged from the header.
 */
export function integerAboveRegex(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, got ${limit}`);
  const digits = String(limit);
  const n = digits.length;
  // Any number with more digits than the limit is larger.
  const alternatives = [`[1-9][0-9]{${n},}`];
  // Same length: equal on a prefix, then a larger digit, then anything.
  for (let i = 0; i < n; i++) {
    const d = Number(digits[i]);
    if (d === 9) continue;
    const low = d + 1;
    const rest = n - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${low}-9]${rest > 0 ? `[0-9]{${rest}}` : ""}`);
  }
  return `^(${alternatives.join("|")})$`;
}

export interface EdgeProtectionProps {
  readonly stage: Stage;
  readonly name: string;
  /** Requests per source IP per 5 minutes before the IP is blocked. */
  readonly rateLimitPer5Min: number;
}

/**
 * Optional AWS WAF web ACL on the API stage (`-c wafRateLimitPer5Min=N`): a per-IP rate-based rule and, for Pincode's
 * routes, a 413 for a declared body over the callback limit before any function runs. Off by default: a web ACL
 * costs money per month and per request, and Pincode's source IPs are undocumented (PINCODE-API 3.1), so no
 * allow-list can be written; docs/deploy.md, "Edge protection".
 */
export class EdgeProtection extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.name}-${metricName}`,
    });
    this.webAcl = new CfnWebACL(this, "WebAcl", {
      name: props.name,
      description: "pincode-bridge API - per-IP rate limit and declared body size on the Pincode routes",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("all"),
      customResponseBodies: {
        PayloadTooLarge: {
          contentType: "APPLICATION_JSON",
          content: JSON.stringify({
            error: "PAYLOAD_TOO_LARGE",
            message: `body over ${CALLBACK_MAX_BODY_BYTES} bytes (content-length)`,
          }),
        },
        TooManyRequests: {
          contentType: "APPLICATION_JSON",
          content: JSON.stringify({ error: "TOO_MANY_REQUESTS", message: "request rate over the limit; retry later" }),
        },
      },
      rules: [
        {
          name: "RateLimitPerIp",
          priority: 0,
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Min, aggregateKeyType: "IP" } },
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: "TooManyRequests" } } },
          visibilityConfig: visibility("rate-limit"),
        },
        {
          name: "PincodeBodyTooLarge",
          priority: 1,
          statement: {
            andStatement: {
              statements: [
                {
                  byteMatchStatement: {
                    fieldToMatch: { uriPath: {} },
                    positionalConstraint: "CONTAINS",
                    searchString: "/pincode/",
                    textTransformations: [{ priority: 0, type: "LOWERCASE" }],
                  },
                },
                {
                  regexMatchStatement: {
                    fieldToMatch: { singleHeader: { Name: "content-length" } },
                    regexString: integerAboveRegex(CALLBACK_MAX_BODY_BYTES),
                    textTransformations: [{ priority: 0, type: "NONE" }],
                  },
                },
              ],
            },
          },
          action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: "PayloadTooLarge" } } },
          visibilityConfig: visibility("body-too-large"),
        },
      ],
    });
    new CfnWebACLAssociation(this, "Association", {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
