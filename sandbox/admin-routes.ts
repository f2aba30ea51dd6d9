/** The admin API under /_sandbox/: JSON in and out, no auth (the sandbox is a local tool). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type CallbackRegistration, SUBSCRIPTIONS } from "./callbacks.ts";
import { describeProblems as describeIssues } from "./contract.ts";
import type { DemoDriver } from "./demo.ts";
import type { CreateOrderInput, SandboxEngine } from "./engine.ts";
import { FaultsInputSchema } from "./faults.ts";
import { parseJson, readBody, SandboxError, sendJson } from "./http.ts";
import { completeRateLimit, RateLimitInputSchema } from "./rate-limit.ts";

const httpUrl = z
  .string()
  .url("must be an absolute URL")
  .refine((u) => /^https?:\/\//.test(u), "must be http(s)");

export const CallbackRegistrationSchema = z
  .strictObject({
    url: httpUrl,
    tokenUrl: httpUrl.optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    scope: z.string().optional(),
    staticToken: z.string().min(1).optional(),
    subscriptions: z.array(z.enum(SUBSCRIPTIONS)).optional(),
  })
  .refine((r) => !r.tokenUrl || (r.clientId && r.clientSecret), {
    message: "clientId and clientSecret are required with tokenUrl",
    path: ["clientId"],
  });

const DemoSchema = z.strictObject({
  intervalMs: z.number().int().min(10).max(3_600_000).optional(),
  sellerActions: z.boolean().optional(),
  maxOpenOrders: z.number().int().min(1).max(10_000).optional(),
});

/** POST /_sandbox/orders/{id}/cancel body: an optional reason, shown on the CANCEL_ORDER action. */
const CancelSchema = z.strictObject({ reason: z.string().trim().min(1).max(64).optional() });

function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new SandboxError(400, "INVALID_REQUEST", describeIssues(parsed.error));
  return parsed.data;
}

/** The registration as shown back: secrets are never echoed. */
export function redactRegistration(registration: CallbackRegistration | undefined): Record<string, unknown> | null {
  if (!registration) return null;
  const { clientSecret, staticToken, ...rest } = registration;
  return {
    ...rest,
    ...(clientSecret ? { clientSecret: "***" } : {}),
    ...(staticToken ? { staticToken: "***" } : {}),
    auth: registration.tokenUrl ? "oauth" : staticToken ? "static" : "none",
  };
}

export async function handleAdmin(
  engine: SandboxEngine,
  demo: DemoDriver,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  try {
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "");
    const body = async () => parseJson(await readBody(req));
    const orderMatch = /^\/_sandbox\/orders\/([^/]+)(\/advance)?$/.exec(path);
    const cancelMatch = /^\/_sandbox\/orders\/([^/]+)\/cancel$/.exec(path);

    if (path === "/_sandbox" && method === "GET") {
      return sendJson(res, 200, {
        stores: engine.stores,
        faults: engine.getFaults(),
        callback: redactRegistration(engine.callbacks.current),
        demo: demo.running,
      });
    }
    if (path === "/_sandbox/orders" && method === "POST") {
      return sendJson(res, 201, engine.createOrder((await body()) as CreateOrderInput));
    }
    if (path === "/_sandbox/orders" && method === "GET") {
      return sendJson(res, 200, { orders: engine.listOrders(url.searchParams.get("storeId") ?? undefined) });
    }
    if (orderMatch && !orderMatch[2] && method === "GET") {
      const orderId = decodeURIComponent(orderMatch[1] as string);
      const order = engine.getOrder(orderId);
      if (!order) throw new SandboxError(404, "ORDER_NOT_FOUND", `Order id ${orderId} not found`);
      return sendJson(res, 200, order);
    }
    if (orderMatch?.[2] && method === "POST") {
      return sendJson(res, 200, engine.advanceOrder(decodeURIComponent(orderMatch[1] as string)));
    }
    if (cancelMatch && method === "POST") {
      const text = await readBody(req);
      const input = validate(CancelSchema, text.trim() === "" ? {} : parseJson(text));
      return sendJson(res, 200, engine.cancelOrder(decodeURIComponent(cancelMatch[1] as string), input.reason));
    }
    if (path === "/_sandbox/callback" && method === "PUT") {
      const registration = validate(CallbackRegistrationSchema, await body());
      engine.registerCallback(registration);
      return sendJson(res, 200, redactRegistration(registration));
    }
    if (path === "/_sandbox/callback" && method === "GET") {
      return sendJson(res, 200, { callback: redactRegistration(engine.callbacks.current) });
    }
    if (path === "/_sandbox/callback" && method === "DELETE") {
      engine.registerCallback(undefined);
      return sendJson(res, 200, { callback: null });
    }
    if (path === "/_sandbox/faults" && method === "PUT") {
      return sendJson(res, 200, engine.setFaults(validate(FaultsInputSchema, await body())));
    }
    if (path === "/_sandbox/faults" && method === "GET") return sendJson(res, 200, engine.getFaults());
    if (path === "/_sandbox/rate-limit" && method === "PUT") {
      const input = validate(RateLimitInputSchema, await body());
      return sendJson(res, 200, engine.rateLimiter.configure(completeRateLimit(input)));
    }
    if (path === "/_sandbox/rate-limit" && method === "GET") return sendJson(res, 200, engine.rateLimiter.current);
    if (path === "/_sandbox/stats" && method === "GET") return sendJson(res, 200, engine.statsSnapshot());
    // The HTTP form of callbacksIdle(), for a sandbox in another process: poll until `idle`.
    if (path === "/_sandbox/idle" && method === "GET") {
      const pending = engine.pendingWork();
      return sendJson(res, 200, { idle: pending === 0, pending });
    }
    if (path === "/_sandbox/submissions" && method === "GET") {
      return sendJson(res, 200, { submissions: engine.listSubmissions() });
    }
    if (path === "/_sandbox/catalog" && method === "GET") {
      return sendJson(res, 200, {
        stores: Object.fromEntries(
          engine.stores.map((s) => [s, engine.catalog.stores.get(s) ?? { status: "ENABLED" }]),
        ),
        listings: [...engine.catalog.listings.values()],
      });
    }
    if (path === "/_sandbox/reset" && method === "POST") {
      demo.stop();
      engine.reset();
      return sendJson(res, 200, { reset: true });
    }
    if (path === "/_sandbox/demo" && method === "POST") {
      const text = await readBody(req);
      const options = validate(DemoSchema, text.trim() === "" ? {} : parseJson(text));
      demo.start(options);
      return sendJson(res, 200, { demo: true, ...options });
    }
    if (path === "/_sandbox/demo" && method === "DELETE") {
      demo.stop();
      return sendJson(res, 200, { demo: false });
    }
    throw new SandboxError(404, "NOT_FOUND", `no admin route ${method} ${path}`);
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    sendJson(res, error.status, { error: { errorCode: error.errorCode, message: error.message } }, error.headers);
  }
}
