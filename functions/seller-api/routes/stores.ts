/**
 * Stores as data: `GET /v1/stores`, `PUT /v1/stores/{storeId}` (add, update, or bring back a retired store) and
 * `DELETE /v1/stores/{storeId}` (retire: no longer polled; its orders stay readable).
 *
 * Orders by state come from the byStore GSI, counted over the orders updated in a window (`ordersSince`, default
 * the last 7 days, at most 2000 orders per store, `complete: false` beyond): a Query per store reading the window's
 * items (cost grows with the window's orders, never with the table). Exact all-time counters would need a counter
 * item maintained by the processor on every state change; not done (docs/seller-api.md).
 */
import { z } from "zod";
import type { StoreConfig } from "#adapters/store-repository.ts";
import type { SellerApiDeps } from "../create-handler.ts";
import { parseStoreId, parseTimestamp } from "./params.ts";
import { type ApiRequest, type ApiResponse, apiError } from "./types.ts";

export const ORDER_COUNT_WINDOW_MS = 7 * 24 * 3_600_000;
export const ORDER_COUNT_MAX_ITEMS = 2000;

const StorePutSchema = z.strictObject({
  name: z.string().trim().min(1).max(128).optional(),
  automation: z
    .strictObject({
      autoAccept: z.boolean().optional(),
      packOnAccept: z.boolean().optional(),
    })
    .optional(),
});

const FORMS: Record<string, string> = {
  name: "a string of 1-128 characters",
  automation: "an object {autoAccept?: boolean, packOnAccept?: boolean}",
  "automation.autoAccept": "a boolean",
  "automation.packOnAccept": "a boolean",
};

/** The first problem of a zod parse, as `path: expected ...` without the value. */
export function describeIssue(issues: z.core.$ZodIssue[], forms: Record<string, string>, root = "body"): string {
  const issue = issues[0];
  if (!issue) return `${root}: invalid`;
  if (issue.code === "unrecognized_keys") {
    const where = issue.path.length > 0 ? `${root}.${issue.path.join(".")}` : root;
    const allowed = Object.keys(forms)
      .filter((k) => k.split(".").length === issue.path.length + 1 && k.startsWith(issue.path.join(".")))
      .map((k) => k.split(".").pop());
    return `${where}: unknown field(s) ${issue.keys.map((k) => JSON.stringify(k).slice(0, 66)).join(", ")}; allowed: ${allowed.join(", ")}`;
  }
  const path = issue.path.join(".");
  return `${root}.${path}: expected ${forms[path] ?? "a valid value"}`;
}

function storeBody(store: StoreConfig) {
  return {
    storeId: store.storeId,
    name: store.name ?? null,
    status: store.status,
    createdAt: store.createdAt,
    updatedAt: store.updatedAt,
    retiredAt: store.retiredAt ?? null,
    automation: store.automation,
    availability: store.availability ?? null,
  };
}

export async function listStores(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const sinceParsed = parseTimestamp("ordersSince", request.query.ordersSince);
  if (!sinceParsed.ok) return sinceParsed.response;
  const since = sinceParsed.value ?? request.now - ORDER_COUNT_WINDOW_MS;
  const stores = await deps.stores.list();
  const body = await Promise.all(
    stores.map(async (store) => {
      const [checkpoint, counts] = await Promise.all([
        deps.checkpoints.get(store.storeId),
        deps.orders.countByState(store.storeId, since, ORDER_COUNT_MAX_ITEMS),
      ]);
      const windowEnd = checkpoint?.windowEnd ?? null;
      return {
        ...storeBody(store),
        poll: {
          // Orders changed after windowEnd are not yet confirmed by a poll: the poll lag.
          windowEnd,
          lagMs: windowEnd === null ? null : Math.max(0, request.now - windowEnd),
          inProgress: checkpoint?.cursor !== undefined,
        },
        orders: { since, byState: counts.counts, complete: counts.complete },
      };
    }),
  );
  return { status: 200, body: { stores: body } };
}

export async function putStore(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const storeId = parseStoreId("storeId", request.params.storeId);
  if (!storeId.ok) return storeId.response;
  if (storeId.value === null) return apiError(400, "INVALID_REQUEST", "storeId: expected a store id");
  const parsed = StorePutSchema.safeParse(request.body ?? {});
  if (!parsed.success) return apiError(400, "INVALID_REQUEST", describeIssue(parsed.error.issues, FORMS));
  const { store, created } = await deps.stores.put(
    {
      storeId: storeId.value,
      ...(parsed.data.name !== undefined ? { name: parsed.data.name } : {}),
      ...(parsed.data.automation ? { automation: parsed.data.automation } : {}),
    },
    request.now,
  );
  deps.logger.info("store saved", { storeId: store.storeId, created, status: store.status });
  return { status: created ? 201 : 200, body: storeBody(store) };
}

export async function deleteStore(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const storeId = parseStoreId("storeId", request.params.storeId);
  if (!storeId.ok) return storeId.response;
  if (storeId.value === null) return apiError(400, "INVALID_REQUEST", "storeId: expected a store id");
  const store = await deps.stores.retire(storeId.value, request.now);
  if (!store) return apiError(404, "STORE_NOT_FOUND", "no store with this storeId");
  deps.logger.info("store retired", { storeId: store.storeId });
  return { status: 200, body: storeBody(store) };
}
