/**
 * The seller API as the page calls it: same origin, JSON. Two ways to authenticate, chosen by how the page was
 * served (docs/console.md "Access"):
 * - local mode: the seller API key, asked for once and kept in sessionStorage (gone when the tab closes), sent as
 *   `Authorization: Bearer`. Never in a URL.
 * - `pincode-bridge console --stage`: the CLI's loopback server signs requests with the operator's AWS credentials;
 *   the page proves it was served by that server with the per-run session token in <meta name="console-session">.
 */

const KEY_STORAGE = "pincode-bridge.sellerApiKey";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The error answer's JSON (e.g. `rows` of a refused listings request). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export type AuthMode = { kind: "session"; token: string } | { kind: "key" };

export function authMode(): AuthMode {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="console-session"]');
  return meta?.content ? { kind: "session", token: meta.content } : { kind: "key" };
}

export const getKey = () => sessionStorage.getItem(KEY_STORAGE);
export const setKey = (key: string) => sessionStorage.setItem(KEY_STORAGE, key);
export const forgetKey = () => sessionStorage.removeItem(KEY_STORAGE);

/** Called when the API answers 401/403 in key mode: the page asks for the key again. */
let onUnauthorised: () => void = () => {};
export const whenUnauthorised = (fn: () => void) => {
  onUnauthorised = fn;
};

export async function api<T = Record<string, unknown>>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...init.headers };
  const mode = authMode();
  if (mode.kind === "session") headers["x-console-session"] = mode.token;
  else {
    const key = getKey();
    if (key) headers.authorization = `Bearer ${key}`;
  }
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(
      0,
      "NETWORK",
      "the seller API cannot be reached; is local mode (or the console command) running?",
    );
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  if (!response.ok) {
    if ((response.status === 401 || response.status === 403) && mode.kind === "key") onUnauthorised();
    const code = typeof body.error === "string" ? body.error : `HTTP_${response.status}`;
    const message = typeof body.message === "string" ? body.message : `the seller API answered ${response.status}`;
    throw new ApiError(response.status, code, message, body);
  }
  return body as T;
}

export const q = (params: Record<string, string | number | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : "";
};
