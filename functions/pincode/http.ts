/** One HTTP exchange with a per-attempt timeout; the body is read inside the timeout too. */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  /** Raw body text ("" for 204 or an empty body). */
  text: string;
}

/** No answer arrived: `timeout` when our timer fired, `network` for anything else (refused, reset, DNS). */
export class NoAnswerError extends Error {
  constructor(
    readonly reason: "timeout" | "network",
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = "NoAnswerError";
  }
}

export async function sendOnce(
  fetchImpl: FetchLike,
  url: string,
  init: Omit<RequestInit, "signal">,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, timeoutMs));
  try {
    const response = await fetchImpl(url, { ...init, signal: controller.signal });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (controller.signal.aborted) {
      throw new NoAnswerError("timeout", `no answer within ${timeoutMs} ms`, { cause: error });
    }
    throw new NoAnswerError("network", describeNetworkError(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** undici hides the useful part (ECONNREFUSED, ...) in `cause`. */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === "string" ? cause.code : undefined;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** Parse a body: `value` is undefined for an empty body; `ok: false` when it is not JSON (e.g. a gateway's HTML). */
export function readJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Base URLs may carry a path prefix (a gateway stage, a sandbox mount); keep it rather than resolving `/path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}
