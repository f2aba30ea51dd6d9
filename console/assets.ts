/**
 * The console's files, served by local mode at /console and by `pincode-bridge console --stage` on localhost.
 * The page's TypeScript modules are bundled in memory by esbuild when the server starts (one small ES module, no
 * build step to forget, nothing generated in the repository); HTML and CSS are served as they are.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { build } from "esbuild";
import { CANCEL_REASONS, ITEM_UNIT_REASONS } from "#pincode/schemas.ts";

const WEB = join(import.meta.dirname, "web");
export const CONSOLE_PATH = "/console";

export interface ConsoleAssets {
  html: string;
  css: string;
  js: string;
}

let cached: Promise<ConsoleAssets> | undefined;

/** Reads and bundles once per process. */
export function loadConsoleAssets(): Promise<ConsoleAssets> {
  cached ??= (async () => {
    const [html, css, bundle] = await Promise.all([
      readFile(join(WEB, "index.html"), "utf8"),
      readFile(join(WEB, "console.css"), "utf8"),
      build({
        entryPoints: [join(WEB, "src", "main.ts")],
        bundle: true,
        format: "esm",
        target: "es2022",
        minify: true,
        write: false,
        legalComments: "none",
        // The reason pickers read the contract's tables (console/web/src/reasons.ts).
        define: { __PINCODE_REASONS__: JSON.stringify({ cancel: CANCEL_REASONS, itemUnits: ITEM_UNIT_REASONS }) },
        logLevel: "silent",
      }),
    ]);
    return { html, css, js: bundle.outputFiles[0]?.text ?? "" };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/**
 * What a browser may do with the page: only same-origin scripts, styles and requests, no framing (clickjacking on
 * the action buttons), no referrer.
 */
export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
} as const;

export const isConsolePath = (path: string) => path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);

/** Escapes a value for an HTML attribute. */
const attr = (v: string) => v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/**
 * Answers GET/HEAD under /console. `session` (the CLI's loopback server only) is put in the page as
 * <meta name="console-session">, which the page sends back on every API call.
 */
export async function serveConsole(
  request: IncomingMessage,
  response: ServerResponse,
  options: { session?: string } = {},
): Promise<void> {
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json" });
    response.end(
      JSON.stringify({
        error: "METHOD_NOT_ALLOWED",
        message: `${request.method} ${path}: the console only serves GET`,
      }),
    );
    return;
  }
  const assets = await loadConsoleAssets();
  const files: Record<string, [string, string]> = {
    [CONSOLE_PATH]: ["text/html; charset=utf-8", withSession(assets.html, options.session)],
    [`${CONSOLE_PATH}/`]: ["text/html; charset=utf-8", withSession(assets.html, options.session)],
    [`${CONSOLE_PATH}/index.html`]: ["text/html; charset=utf-8", withSession(assets.html, options.session)],
    [`${CONSOLE_PATH}/app.js`]: ["text/javascript; charset=utf-8", assets.js],
    [`${CONSOLE_PATH}/console.css`]: ["text/css; charset=utf-8", assets.css],
  };
  const file = files[path];
  if (!file) {
    response.writeHead(404, { "content-type": "application/json", ...SECURITY_HEADERS });
    response.end(JSON.stringify({ error: "NOT_FOUND", message: `no console file ${path}; open ${CONSOLE_PATH}` }));
    return;
  }
  const body = Buffer.from(file[1], "utf8");
  response.writeHead(200, { "content-type": file[0], "content-length": body.length, ...SECURITY_HEADERS });
  response.end(request.method === "HEAD" ? undefined : body);
}

function withSession(html: string, session: string | undefined): string {
  const meta = session ? `<meta name="console-session" content="${attr(session)}" />` : "";
  return html.replace("<!--console-session-->", meta);
}
