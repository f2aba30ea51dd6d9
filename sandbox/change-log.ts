/**
 * The append-only log of order changes behind Order Poll (`/tsp/order/v1/changes`).
 *
 * Every change to an order appends (seq, time, orderId). Times never decrease along the log, so the log is sorted
 * by (time, seq) and a past time range never changes. A poll returns the distinct orders having ANY change with
 * time in [fromTimestamp, toTimestamp] (both inclusive), keyset-paged by `seq`. Because paging walks an immutable
 * prefix of the log, an order updated inside the window is never skipped, however orders change between pages;
 * an order that changes again may appear on more than one page (consumers de-duplicate, PINCODE-API A9).
 */

export interface ChangeEvent {
  seq: number;
  time: number;
  orderId: string;
}

export type SortOrder = "ASC" | "DESC";

export interface PollQuery {
  storeId: string;
  from: number;
  to: number;
  sortOrder: SortOrder;
}

export interface PageResult {
  orderIds: string[];
  /** Position to resume after, when more changes in the window remain. */
  resumeAfter?: number;
}

export class ChangeLog {
  private readonly byStore = new Map<string, ChangeEvent[]>();
  private seq = 0;
  private lastTime = Number.NEGATIVE_INFINITY;

  append(storeId: string, orderId: string, time: number): ChangeEvent {
    if (time < this.lastTime) {
      throw new Error(`change log times must not decrease (${time} after ${this.lastTime})`);
    }
    this.lastTime = time;
    this.seq += 1;
    const event = { seq: this.seq, time, orderId };
    let events = this.byStore.get(storeId);
    if (!events) {
      events = [];
      this.byStore.set(storeId, events);
    }
    events.push(event);
    return event;
  }

  /** The latest time appended, so callers can keep new times at or after it. */
  get latestTime(): number {
    return this.lastTime;
  }

  eventsFor(storeId: string): readonly ChangeEvent[] {
    return this.byStore.get(storeId) ?? [];
  }

  /**
   * One page of distinct order ids. `after` is the seq the previous page stopped at. A page holds at most `size`
   * distinct ids; further changes of orders already on the page are consumed into it, so pages stay dense.
   */
  page(query: PollQuery, size: number, after?: number): PageResult {
    const events = this.eventsFor(query.storeId);
    const asc = query.sortOrder === "ASC";
    let index: number;
    if (asc) {
      index =
        after === undefined
          ? lowerBound(events, (e) => e.time >= query.from)
          : lowerBound(events, (e) => e.seq > after);
    } else {
      index =
        after === undefined
          ? lowerBound(events, (e) => e.time > query.to) - 1
          : lowerBound(events, (e) => e.seq >= after) - 1;
    }
    const step = asc ? 1 : -1;
    const ids = new Set<string>();
    let lastConsumed: number | undefined;
    for (; index >= 0 && index < events.length; index += step) {
      const event = events[index] as ChangeEvent;
      if (event.time > query.to || event.time < query.from) {
        // Outside the window: past the end in the scan direction, or (DESC from a cursor) not yet inside it.
        if ((asc && event.time > query.to) || (!asc && event.time < query.from)) break;
        lastConsumed = event.seq;
        continue;
      }
      if (!ids.has(event.orderId)) {
        if (ids.size >= size) return { orderIds: [...ids], resumeAfter: lastConsumed as number };
        ids.add(event.orderId);
      }
      lastConsumed = event.seq;
    }
    return { orderIds: [...ids] };
  }
}

/** First index whose element satisfies `pred`, for a predicate that is false then true along the array. */
function lowerBound<T>(items: readonly T[], pred: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------------------------
// The opaque `nextPage` cursor (PINCODE-API §2.1: looks like base64 JSON, so ours is base64url JSON too)
// ---------------------------------------------------------------------------------------------------------------

interface CursorBody {
  v: 1;
  /** The sandbox generation: a reset invalidates earlier cursors. */
  g: number;
  s: string;
  f: number;
  t: number;
  o: SortOrder;
  p: number;
}

export function encodeCursor(generation: number, query: PollQuery, position: number): string {
  const body: CursorBody = {
    v: 1,
    g: generation,
    s: query.storeId,
    f: query.from,
    t: query.to,
    o: query.sortOrder,
    p: position,
  };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

export type CursorCheck = { ok: true; position: number } | { ok: false; message: string };

/** Reads a cursor and checks it belongs to this query: a cursor reused with another window or store is an error. */
export function decodeCursor(cursor: string, generation: number, query: PollQuery): CursorCheck {
  let body: Partial<CursorBody> | undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    body = typeof parsed === "object" && parsed !== null ? (parsed as Partial<CursorBody>) : undefined;
  } catch {
    body = undefined;
  }
  if (body?.v !== 1 || typeof body.p !== "number") {
    return { ok: false, message: "nextPage is not a cursor issued by this API; omit it to start from the first page" };
  }
  if (body.g !== generation) {
    return { ok: false, message: "nextPage was issued before the sandbox was reset; start again without nextPage" };
  }
  if (body.s !== query.storeId || body.f !== query.from || body.t !== query.to || body.o !== query.sortOrder) {
    return {
      ok: false,
      message:
        "nextPage belongs to a different query; serviceProviderId, fromTimestamp, toTimestamp and sortOrder must match the request that returned it",
    };
  }
  return { ok: true, position: body.p };
}
