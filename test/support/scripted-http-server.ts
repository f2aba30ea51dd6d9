/**
 * A real node:http server whose answers a test scripts per route, recording every request it receives.
 *
 *   const server = await startScriptedServer();
 *   server.script("POST /tsp/order/v1/status", { status: 500 }, { status: 200, body: {...} }); // one-shot, in order
 *   server.always("POST /olympus/im/v1/oauth/token", tokenResponse);                          // once the queue is empty
 *   ... server.requestsTo("/tsp/order/v1/status") ...
 *   await server.stop();
 *
 * A request with nothing scripted gets 404 `{"error":{"errorCode":"UNSCRIPTED"}}` and is listed in `unscripted`.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body text. */
  body: string;
  /** Body parsed as JSON when it is JSON, else undefined. */
  json: unknown;
  /** Body parsed as a form when the content type says so. */
  form: URLSearchParams | undefined;
  /** performance.now() when the request was fully received. */
  receivedAt: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  /** Object/array -> JSON; string -> sent as is; undefined -> empty body. */
  body?: unknown;
  /** Wait this long before answering (to trigger client timeouts). */
  delayMs?: number;
}

export type Responder = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>);

export interface ScriptedHttpServer {
  url: string;
  requests: RecordedRequest[];
  unscripted: RecordedRequest[];
  /** Queue one-shot responders for `"METHOD /path"`, used in order. */
  script(route: string, ...responders: Responder[]): void;
  /** Responder used for `"METHOD /path"` whenever its queue is empty. */
  always(route: string, responder: Responder): void;
  requestsTo(path: string): RecordedRequest[];
  stop(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedHttpServer> {
  const queues = new Map<string, Responder[]>();
  const defaults = new Map<string, Responder>();
  const requests: RecordedRequest[] = [];
  const unscripted: RecordedRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      const contentType = String(req.headers["content-type"] ?? "");
      const recorded: RecordedRequest = {
        method: req.method ?? "GET",
        path,
        headers: req.headers,
        body,
        json: tryJson(body),
        form: contentType.includes("application/x-www-form-urlencoded") ? new URLSearchParams(body) : undefined,
        receivedAt: performance.now(),
      };
      requests.push(recorded);
      const route = `${recorded.method} ${path}`;
      const responder = queues.get(route)?.shift() ?? defaults.get(route);
      if (!responder) {
        unscripted.push(recorded);
        send(res, { status: 404, body: { error: { errorCode: "UNSCRIPTED", message: route } } });
        return;
      }
      Promise.resolve(typeof responder === "function" ? responder(recorded) : responder)
        .then((response) => {
          if (!response.delayMs) return send(res, response);
          const timer = setTimeout(() => {
            pendingTimers.delete(timer);
            send(res, response);
          }, response.delayMs);
          pendingTimers.add(timer);
        })
        .catch((error: unknown) => send(res, { status: 599, body: { error: { errorCode: String(error) } } }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    unscripted,
    script(route, ...responders) {
      const queue = queues.get(route) ?? [];
      queue.push(...responders);
      queues.set(route, queue);
    },
    always(route, responder) {
      defaults.set(route, responder);
    },
    requestsTo(path) {
      return requests.filter((r) => r.path === path);
    },
    async stop() {
      for (const timer of pendingTimers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function send(res: ServerResponse, response: ScriptedResponse): void {
  // The client may have given up (timeout test) and closed the socket.
  if (res.destroyed || res.writableEnded) return;
  const headers: Record<string, string> = { ...response.headers };
  let payload = "";
  if (typeof response.body === "string") {
    payload = response.body;
  } else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers["content-type"] ??= "application/json";
  }
  res.writeHead(response.status, headers);
  res.end(response.status === 204 || response.status === 304 ? undefined : payload);
}

function tryJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
