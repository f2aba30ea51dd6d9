/**
 * The opaque cursor of `GET /v1/orders`: where each store's listing stands, bound to the filters it was issued for.
 *
 * Form: base64url(JSON) + "." + the first 16 base64url characters of its SHA-256. The checksum catches a cursor that
 * was cut or edited; the JSON is then validated strictly (store ids by pattern, positions as numbers and order ids),
 * and the filters it carries must equal the request's. Anything else is a 400 naming `cursor`, never its content.
 * A cursor is not a secret and grants nothing: it only says where to continue a listing the caller may already read
 * in full, so it needs no key.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

export interface CursorFilters {
  storeId: string | null;
  state: string | null;
  updatedSince: number | null;
}

/** Per store: null = not started, [updatedAt, orderId] = continue after that order, 0 = exhausted. */
export type CursorPosition = null | 0 | [number, string];

export interface OrdersCursor {
  filters: CursorFilters;
  limit: number;
  positions: Record<string, CursorPosition>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const OrderId = z.string().min(1).max(256);
const CursorSchema = z.strictObject({
  v: z.literal(1),
  f: z.strictObject({
    s: z.string().regex(ID).nullable(),
    t: z
      .string()
      .regex(/^[A-Z_]{1,40}$/)
      .nullable(),
    u: z.number().int().nonnegative().nullable(),
  }),
  l: z.number().int().min(1).max(1000),
  p: z.record(z.string().regex(ID), z.union([z.null(), z.literal(0), z.tuple([z.number().int(), OrderId])])),
});

const checksum = (payload: string) => createHash("sha256").update(payload).digest("base64url").slice(0, 16);

export function encodeOrdersCursor(cursor: OrdersCursor): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: 1,
      f: { s: cursor.filters.storeId, t: cursor.filters.state, u: cursor.filters.updatedSince },
      l: cursor.limit,
      p: cursor.positions,
    }),
    "utf8",
  ).toString("base64url");
  return `${payload}.${checksum(payload)}`;
}

export type CursorDecode = { ok: true; cursor: OrdersCursor } | { ok: false; message: string };

const MALFORMED = "cursor: expected the opaque `next` value of a previous page, unchanged";

export function decodeOrdersCursor(text: string, filters: CursorFilters): CursorDecode {
  if (text.length > 16_384) return { ok: false, message: MALFORMED };
  const [payload, sum, extra] = text.split(".");
  if (!payload || !sum || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(payload) || checksum(payload) !== sum) {
    return { ok: false, message: MALFORMED };
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { ok: false, message: MALFORMED };
  }
  const parsed = CursorSchema.safeParse(json);
  if (!parsed.success) return { ok: false, message: MALFORMED };
  const { f, l, p } = parsed.data;
  if (f.s !== filters.storeId || f.t !== filters.state || f.u !== filters.updatedSince) {
    return {
      ok: false,
      message:
        "cursor: was issued for other filters; repeat storeId, state and updatedSince exactly, or drop the cursor",
    };
  }
  return { ok: true, cursor: { filters, limit: l, positions: p } };
}
