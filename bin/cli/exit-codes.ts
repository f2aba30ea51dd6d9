/**
 * The CLI's exit codes (docs/cli.md) and the error type that carries one. Scripts branch on these, so they never
 * change meaning.
 */
export const EXIT = {
  /** Done; for an action, Pincode accepted it. */
  OK: 0,
  /** Pincode (or the bridge) refused or failed it: REJECTED/FAILED command, transition not allowed, rows refused. */
  REFUSED: 1,
  /** The command line or the request was wrong: unknown option, missing argument, a 400 from the API. */
  USAGE: 2,
  /** No usable target: missing key or URL, no AWS credentials, stack not found, 401/403. */
  CONFIG: 3,
  /** The order, command, submission, queue or quarantined callback does not exist. */
  NOT_FOUND: 4,
  /** The bridge could not be reached or failed (5xx, network, timeout while waiting): try again. */
  UNAVAILABLE: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** What to do next, one line. */
    readonly hint?: string,
    /** The API's error code, when the API answered one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The exit code for an API error answer. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400) return EXIT.USAGE;
  if (status === 401 || status === 403) return EXIT.CONFIG;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409 || status === 422) return EXIT.REFUSED;
  if (status >= 500 || status === 429) return EXIT.UNAVAILABLE;
  return EXIT.REFUSED;
}

const HINTS: Record<number, string> = {
  400: "check the command's --help for the expected values",
  401: "check SELLER_API_KEY (local mode prints it at start) or your AWS credentials",
  403: "your AWS identity may not call this API: it needs execute-api:Invoke on the seller API",
  404: "check the id (orders list / quarantine list show the ids)",
  409: "the order's current state does not allow this action: see `pincode-bridge orders show <orderId>`",
  422: "an idempotency key was reused with a different request: pass a new --command-id or none",
  429: "the API is throttling: wait a moment and retry",
};

/** Turns a non-2xx API answer into a CliError carrying the API's own message. */
export function apiError(status: number, body: unknown, what: string): CliError {
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof record.error === "string" ? record.error : undefined;
  const message = typeof record.message === "string" ? record.message : `HTTP ${status}`;
  const hint = status >= 500 ? "the bridge failed or is unavailable: retry, then check its logs" : HINTS[status];
  return new CliError(exitCodeForStatus(status), `${what}: ${code ? `${code}: ` : ""}${message}`, hint, code);
}
