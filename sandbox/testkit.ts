/**
 * Helpers for tests that talk to the sandbox over real HTTP: a minimal Pincode caller, and a real callback receiver
 * (node:http) with its own OAuth token endpoint or a static token, scriptable answers and a record of what arrived.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PATHS } from "./api-routes.ts";

export interface HttpAnswer {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

/** Calls the sandbox the way a Pincode client does: form-encoded token grant, then `O-Bearer` JSON POSTs. */
export class PincodeCaller {
  private token: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: { clientId: string; clientSecret: string },
  ) {}

  async grant(form: Record<string, string> = {}): Promise<HttpAnswer> {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
      ...form,
    });
    return request(`${this.baseUrl}${PATHS.token}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: body.toString(),
    });
  }

  async accessToken(): Promise<string> {
    if (!this.token) {
      const answer = await this.grant();
      if (answer.status !== 200) throw new Error(`token grant failed: HTTP ${answer.status} ${answer.text}`);
      this.token = (answer.json as { access_token: string }).access_token;
    }
    return this.token;
  }

  forgetToken(): void {
    this.token = undefined;
  }

  /** POSTs a JSON body to a /tsp path with `Authorization: O-Bearer <token>` (or the given header value). */
  async post(path: string, body: unknown, authorization?: string | null): Promise<HttpAnswer> {
    const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
    const auth = authorization === undefined ? `O-Bearer ${await this.accessToken()}` : authorization;
    if (auth !== null) headers.Authorization = auth;
    return request(`${this.baseUrl}${path}`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }
}

export async function request(url: string, init: RequestInit = {}): Promise<HttpAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** Sends JSON to the sandbox admin API. */
export function admin(baseUrl: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  return request(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

export interface ReceivedCallback {
  body: Record<string, unknown>;
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** Whether the Authorization header carried a valid token. */
  authorized: boolean;
}

export type ReceiverAnswer = { status: number; body?: unknown };
/** Decides the answer to a callback; `ack` is the correct ACK for it. */
export type ReceiverBehaviour = (callback: ReceivedCallback, ack: ReceiverAnswer, index: number) => ReceiverAnswer;

export interface CallbackReceiverOptions {
  auth?:
    | { mode: "oauth"; clientId: string; clientSecret: string; expiresInSeconds?: number }
    | { mode: "static"; token: string };
  behaviour?: ReceiverBehaviour;
}

export interface CallbackReceiver {
  url: string;
  tokenUrl: string;
  /** Every callback that passed authentication, in arrival order. */
  received: ReceivedCallback[];
  /** Callbacks refused with 401. */
  unauthorized: number;
  /** Token requests with good credentials / bad credentials. */
  tokenGrants: number;
  tokenRejections: number;
  setBehaviour(behaviour: ReceiverBehaviour): void;
  stop(): Promise<void>;
}

/** A real callback receiver on a random port, answering ACKs by default (PINCODE-API §3.5). */
export async function startCallbackReceiver(options: CallbackReceiverOptions = {}): Promise<CallbackReceiver> {
  const issued = new Set<string>();
  let behaviour: ReceiverBehaviour = options.behaviour ?? ((_cb, ack) => ack);
  const state = {
    received: [] as ReceivedCallback[],
    unauthorized: 0,
    tokenGrants: 0,
    tokenRejections: 0,
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const send = (status: number, body?: unknown) => {
      const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(text);
    };
    if (req.url === "/oauth/token") {
      const form = new URLSearchParams(raw);
      const auth = options.auth;
      if (
        auth?.mode === "oauth" &&
        form.get("grant_type") === "client_credentials" &&
        form.get("client_id") === auth.clientId &&
        form.get("client_secret") === auth.clientSecret
      ) {
        state.tokenGrants += 1;
        const token = randomBytes(16).toString("hex");
        issued.add(token);
        return send(200, { access_token: token, token_type: "Bearer", expires_in: auth.expiresInSeconds ?? 300 });
      }
      state.tokenRejections += 1;
      return send(401, { error: "invalid_client" });
    }
    const header = req.headers.authorization ?? "";
    const presented = /^Bearer\s+(\S+)$/.exec(header)?.[1];
    const auth = options.auth;
    const authorized =
      !auth ||
      (auth.mode === "oauth" && presented !== undefined && issued.has(presented)) ||
      (auth.mode === "static" && presented === auth.token);
    if (!authorized) {
      state.unauthorized += 1;
      return send(401, { error: "unauthorized" });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(400, { error: "not JSON" });
    }
    const callback: ReceivedCallback = { body, rawBody: raw, headers: req.headers, authorized };
    state.received.push(callback);
    const requestContext = body.requestContext;
    const ack: ReceiverAnswer = { status: 200, body: { status: "ACK", requestContext } };
    const answer = behaviour(callback, ack, state.received.length - 1);
    send(answer.status, answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/callbacks`,
    tokenUrl: `${base}/oauth/token`,
    get received() {
      return state.received;
    },
    get unauthorized() {
      return state.unauthorized;
    },
    get tokenGrants() {
      return state.tokenGrants;
    },
    get tokenRejections() {
      return state.tokenRejections;
    },
    setBehaviour(next) {
      behaviour = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(private current = 1_722_570_000_000) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
