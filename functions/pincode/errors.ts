/**
 * Typed failures of the Pincode client. Messages carry status, error code, endpoint and our requestId only:
 * never credentials, tokens or request bodies (which may hold buyer data).
 */

/** Throttle and metric family of a Pincode endpoint. `auth` is the identity-manager token call. */
export type PincodeFamily = "poll" | "status" | "update" | "catalog" | "auth";

const MAX_UPSTREAM_MESSAGE = 200;

/** Pincode's own error text can echo anything it received; keep it short and single-line. */
function tidyUpstreamMessage(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const oneLine = message.replace(/[\r\n\t]+/g, " ").trim();
  return oneLine.length > MAX_UPSTREAM_MESSAGE ? `${oneLine.slice(0, MAX_UPSTREAM_MESSAGE)}…` : oneLine;
}

export abstract class PincodeError extends Error {
  abstract readonly kind: string;
  readonly endpoint: string;

  protected constructor(message: string, endpoint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.endpoint = endpoint;
  }
}

/** Pincode (or the identity manager) answered with a non-2xx status. */
export class PincodeApiError extends PincodeError {
  readonly kind = "api";
  readonly status: number;
  /** `error.errorCode` from the error envelope; undefined when the body was not the envelope (e.g. an HTML 502). */
  readonly errorCode: string | undefined;
  /** `error.message` from the envelope, trimmed to one short line. */
  readonly pincodeMessage: string | undefined;
  /** The requestId we sent on the attempt that failed. */
  readonly requestId: string;
  /** How many HTTP attempts this call made, including the failing one. */
  readonly attempts: number;
  /** Whether the status is one we retry (429 / 5xx): true here means the retry budget ran out. */
  readonly retryable: boolean;

  constructor(args: {
    status: number;
    errorCode?: string | undefined;
    pincodeMessage?: string | undefined;
    requestId: string;
    endpoint: string;
    attempts: number;
    retryable: boolean;
  }) {
    const upstream = tidyUpstreamMessage(args.pincodeMessage);
    const code = args.errorCode ?? "no error envelope";
    super(
      `Pincode ${args.endpoint} failed: HTTP ${args.status} (${code})${upstream ? `: ${upstream}` : ""} ` +
        `[requestId ${args.requestId}, attempt ${args.attempts}]`,
      args.endpoint,
    );
    this.status = args.status;
    this.errorCode = args.errorCode;
    this.pincodeMessage = upstream;
    this.requestId = args.requestId;
    this.attempts = args.attempts;
    this.retryable = args.retryable;
  }
}

/** The token endpoint refused or failed. Subclass of PincodeApiError so one catch handles both. */
export class PincodeAuthError extends PincodeApiError {}

export interface ValidationIssue {
  /** Dotted path with array indexes, e.g. `actions[1].reason`. */
  path: string;
  message: string;
}

/** A request we were about to send does not match the documented contract. Nothing was sent. */
export class PincodeValidationError extends PincodeError {
  readonly kind = "validation";
  readonly issues: ValidationIssue[];

  constructor(endpoint: string, issues: ValidationIssue[]) {
    const summary = issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
    super(`Invalid Pincode ${endpoint} request, not sent: ${summary}`, endpoint);
    this.issues = issues;
  }

  /** The first offending field, for callers that map this to a 400 naming the field. */
  get field(): string {
    return this.issues[0]?.path ?? "";
  }
}

/** Pincode answered 2xx but the body is not something we can use (e.g. poll without `orderIds`). */
export class PincodeResponseError extends PincodeError {
  readonly kind = "response";
  readonly status: number;
  readonly requestId: string;

  constructor(args: { endpoint: string; status: number; requestId: string; reason: string; cause?: unknown }) {
    super(
      `Pincode ${args.endpoint} answered HTTP ${args.status} with an unusable body: ${args.reason} ` +
        `[requestId ${args.requestId}]`,
      args.endpoint,
      { cause: args.cause },
    );
    this.status = args.status;
    this.requestId = args.requestId;
  }
}

/** No HTTP answer: connection failure, per-attempt timeout, or the call's total deadline ran out. */
export class PincodeTransportError extends PincodeError {
  readonly kind = "transport";
  readonly reason: "timeout" | "network" | "deadline";
  readonly requestId: string;
  readonly attempts: number;

  constructor(args: {
    endpoint: string;
    reason: "timeout" | "network" | "deadline";
    requestId: string;
    attempts: number;
    detail?: string;
    cause?: unknown;
  }) {
    super(
      `Pincode ${args.endpoint} ${args.reason === "network" ? "network error" : args.reason}` +
        `${args.detail ? `: ${args.detail}` : ""} [requestId ${args.requestId}, attempt ${args.attempts}]`,
      args.endpoint,
      { cause: args.cause },
    );
    this.reason = args.reason;
    this.requestId = args.requestId;
    this.attempts = args.attempts;
  }
}

/** Turn zod-style issues (`path` as key array) into `a.b[1].c` paths. */
export function toValidationIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path
      .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
      .join(""),
    message: issue.message,
  }));
}
