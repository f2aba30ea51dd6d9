/**
 * Which of two snapshots of the same order is fresher (DESIGN.md "Freshness, not arrival order").
 *
 * Pincode gives no version number (PINCODE-API A6), so freshness is read from the snapshot's content, in this order:
 *   1. terminal flag: a COMPLETED / CANCELLED snapshot beats any non-terminal one, so a terminal order never moves back;
 *   2. order `updatedAt` (normalised epoch ms);
 *   3. order-state rank: unknown ("new", §4.1) < ACCEPTED < IN_PROGRESS < COMPLETED = CANCELLED;
 *   4. fulfilment progress: number of history entries that carry `actual`, then the latest `actual.endTime`;
 *   5. a digest of the normalised content, so two different snapshots never tie and every delivery order converges
 *      on the same stored state. Equal keys therefore mean equal content: a duplicate.
 *
 * The key is a fixed-width string whose lexicographic order is the freshness order, so DynamoDB can compare it in a
 * ConditionExpression (`freshness < :f`) and a single-item conditional write is enough to keep the freshest state.
 */
import { createHash } from "node:crypto";
import { type Order, TERMINAL_ORDER_STATES, toEpochMs } from "#pincode/schemas.ts";

export const FRESHNESS_VERSION = "f1";

/** §4.1 working model; an undocumented or unknown state is "new" (rank 0). Terminal states share the top rank. */
const ORDER_STATE_RANK: Readonly<Record<string, number>> = {
  ACCEPTED: 1,
  IN_PROGRESS: 2,
  COMPLETED: 3,
  CANCELLED: 3,
};

const TIME_WIDTH = 15; // epoch ms fits in 13 digits until year 2286; 15 leaves room and matches keys.orderHistory.
const COUNT_WIDTH = 3;
const DIGEST_WIDTH = 12;
const MAX_TIME = 10 ** TIME_WIDTH - 1;
const MAX_COUNT = 10 ** COUNT_WIDTH - 1;

export interface FreshnessParts {
  terminal: boolean;
  updatedAt: number;
  stateRank: number;
  actualCount: number;
  latestActualAt: number;
  digest: string;
}

export function isTerminalState(state: string | undefined | null): boolean {
  return state !== undefined && state !== null && TERMINAL_ORDER_STATES.includes(state);
}

export function orderStateRank(state: string | undefined | null): number {
  return (state && ORDER_STATE_RANK[state]) || 0;
}

/** Every `actual.endTime` in the fulfilment histories: past states carry `actual`, future ones only expected/promised. */
function actualTimes(order: Order): number[] {
  const times: number[] = [];
  for (const fulfillment of order.fulfillments ?? []) {
    for (const entry of Object.values(fulfillment.fulfilmentStatusHistory ?? {})) {
      const at = entry.actual?.endTime;
      if (typeof at === "number") times.push(at);
    }
  }
  return times;
}

/**
 * The order's last-change time. §3.2: order-level `updatedAt` is the documented field; the sample also has one inside
 * `billing`. Without either, the latest fulfilment progress or the creation time is the best evidence we have.
 */
export function orderUpdatedAt(order: Order): number {
  const candidates = [order.updatedAt, order.billing?.updatedAt];
  for (const value of candidates) {
    const ms = toEpochMs(value);
    if (ms !== undefined) return ms;
  }
  const actual = actualTimes(order);
  if (actual.length > 0) return Math.max(...actual);
  return toEpochMs(order.createdAt) ?? 0;
}

/** JSON with object keys sorted at every level, so equal content always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v as Record<string, unknown>).sort()) {
      sorted[key] = (v as Record<string, unknown>)[key];
    }
    return sorted;
  });
}

export function contentDigest(order: Order): string {
  return createHash("sha256").update(canonicalJson(order)).digest("hex").slice(0, DIGEST_WIDTH);
}

export function freshnessParts(order: Order): FreshnessParts {
  const actual = actualTimes(order);
  return {
    terminal: isTerminalState(order.orderState),
    updatedAt: orderUpdatedAt(order),
    stateRank: orderStateRank(order.orderState),
    actualCount: actual.length,
    latestActualAt: actual.length > 0 ? Math.max(...actual) : 0,
    digest: contentDigest(order),
  };
}

const pad = (value: number, width: number, max: number) =>
  String(Math.min(Math.max(0, Math.trunc(value)), max)).padStart(width, "0");

export function encodeFreshness(parts: FreshnessParts): string {
  return [
    FRESHNESS_VERSION,
    parts.terminal ? "1" : "0",
    pad(parts.updatedAt, TIME_WIDTH, MAX_TIME),
    String(Math.min(Math.max(0, parts.stateRank), 9)),
    pad(parts.actualCount, COUNT_WIDTH, MAX_COUNT),
    pad(parts.latestActualAt, TIME_WIDTH, MAX_TIME),
    parts.digest.padEnd(DIGEST_WIDTH, "0").slice(0, DIGEST_WIDTH),
  ].join("|");
}

const KEY_PATTERN = new RegExp(
  `^${FRESHNESS_VERSION}\\|([01])\\|(\\d{${TIME_WIDTH}})\\|(\\d)\\|(\\d{${COUNT_WIDTH}})\\|(\\d{${TIME_WIDTH}})\\|([0-9a-f]{${DIGEST_WIDTH}})$`,
);

/** Reads a key back (for logs, docs and tests); undefined when it is not a key of this version. */
export function decodeFreshness(key: string): FreshnessParts | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, terminal, updatedAt, rank, count, latest, digest] = match;
  return {
    terminal: terminal === "1",
    updatedAt: Number(updatedAt),
    stateRank: Number(rank),
    actualCount: Number(count),
    latestActualAt: Number(latest),
    digest: digest ?? "",
  };
}

/** The sortable freshness key of a parsed order. */
export function freshnessOf(order: Order): string {
  return encodeFreshness(freshnessParts(order));
}

/** Negative when `a` is older than `b`, 0 for the same content, positive when `a` is fresher. */
export function compareFreshness(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type FreshnessVerdict = "newer" | "duplicate" | "stale";

/** How an incoming snapshot relates to what is stored (undefined: nothing stored yet). */
export function judgeSnapshot(incoming: string, stored: string | undefined): FreshnessVerdict {
  if (stored === undefined) return "newer";
  const order = compareFreshness(incoming, stored);
  return order > 0 ? "newer" : order === 0 ? "duplicate" : "stale";
}
