/**
 * Per-store Order Poll progress (`STORE#<serviceProviderId>` / `POLL`): the window end reached so far, the cursor of an
 * unfinished window (so a run that runs out of time resumes exactly where it stopped) and a lease, so two poll tasks
 * for the same store never page it at the same time (PINCODE-API A8: one poll loop per store).
 *
 * Every write is a single-item conditional UpdateItem: the lease is taken only when free or expired, the cursor is
 * saved only by the lease holder, and `windowEnd` never moves backwards.
 *
 * Issue 13 adds (all optional, so items written before read as they were): `recheckedTo`, the end of the time already
 * paged at least one look-back after it happened (the delayed pass; an item without it reads as windowEnd - lookback),
 * and the adaptive schedule: `intervalMs`, `nextDueAt`, `lastPolledAt`, `lastMissAt` (docs/scale.md). `busyTo` (the end
 * of the latest live window that returned ids) decides whether the delayed pass may share the live window's Order Poll
 * call; an item without it reads as quiet (docs/scale.md "Merged window").
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { keyOf } from "./attributes.ts";
import { keys } from "./table.ts";

export interface PollCheckpoint {
  storeId: string;
  /** End of the last fully paged window (epoch ms). Absent before the first complete window. */
  windowEnd?: number;
  /** Cursor of the unfinished window [cursorFrom, cursorTo]; absent when no window is in progress. */
  cursor?: string;
  cursorFrom?: number;
  cursorTo?: number;
  /** Written by releases before issue 13 (the windowEnd whose look-back was re-paged); read, no longer written. */
  overlapDoneFor?: number;
  /** Everything up to here was paged at least one look-back after it happened (the delayed pass is done). */
  recheckedTo?: number;
  /**
   * End of the latest completed live window that returned at least one id. Absent (items written before it, or a
   * store whose windows never returned any): quiet, the delayed pass may be merged into the live window, which at
   * worst costs a Status Check again, never a missed one.
   */
  busyTo?: number;
  /** Adaptive polling: the store's current interval, when it is next due, its last run, its last missed callback. */
  intervalMs?: number;
  nextDueAt?: number;
  lastPolledAt?: number;
  lastMissAt?: number;
  leaseUntil?: number;
  leaseOwner?: string;
}

export interface CursorState {
  cursor: string;
  from: number;
  to: number;
}

/** Written with the lease's release at the end of a run (adaptive polling only). */
export interface StoreSchedule {
  intervalMs: number;
  nextDueAt: number;
  lastPolledAt: number;
  lastMissAt?: number;
}

export interface PollCheckpointRepository {
  get(storeId: string): Promise<PollCheckpoint | undefined>;
  /** Takes the store's lease until `leaseUntil`; undefined when another live task holds it. */
  acquireLease(storeId: string, owner: string, now: number, leaseUntil: number): Promise<PollCheckpoint | undefined>;
  saveCursor(storeId: string, owner: string, state: CursorState, now: number): Promise<void>;
  /**
   * Records a fully paged window: `windowEnd` moves forward (never back) and the cursor is cleared; `recheckedTo`,
   * when given, moves forward with it (the part of the window that was already a look-back old when paged); `busyTo`,
   * when given (the window returned ids), is set in the same write.
   */
  completeWindow(
    storeId: string,
    owner: string,
    windowEnd: number,
    now: number,
    recheckedTo?: number,
    busyTo?: number,
  ): Promise<void>;
  /** Records that the delayed pass reached `recheckedTo`, and clears its cursor. */
  completeRecheck(storeId: string, owner: string, recheckedTo: number, now: number): Promise<void>;
  /** Frees the store; with `schedule`, records its next due time in the same write. */
  releaseLease(storeId: string, owner: string, schedule?: StoreSchedule): Promise<void>;
  /** The stored next due time of each store that has one (BatchGetItem, 100 keys a request). */
  dueTimes(storeIds: readonly string[]): Promise<Map<string, number>>;
  /** The same, with each store's last run (the fan-out bounds the due time by last run + the ceiling). */
  pollTimes(storeIds: readonly string[]): Promise<Map<string, PollTimes>>;
}

export interface PollTimes {
  dueAt: number;
  lastPolledAt?: number;
}

/** The lease expired and another task took the store over: this task must stop writing its progress. */
export class LeaseLostError extends Error {
  constructor(readonly storeId: string) {
    super(`poll lease for store ${storeId} was lost to another task`);
    this.name = "LeaseLostError";
  }
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

function fromItem(storeId: string, item: Record<string, AttributeValue>): PollCheckpoint {
  const checkpoint: PollCheckpoint = { storeId };
  const n = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]?.N));
  const windowEnd = n("windowEnd");
  const cursorFrom = n("cursorFrom");
  const cursorTo = n("cursorTo");
  const leaseUntil = n("leaseUntil");
  const overlapDoneFor = n("overlapDoneFor");
  if (overlapDoneFor !== undefined) checkpoint.overlapDoneFor = overlapDoneFor;
  for (const name of ["recheckedTo", "busyTo", "intervalMs", "nextDueAt", "lastPolledAt", "lastMissAt"] as const) {
    const value = n(name);
    if (value !== undefined) checkpoint[name] = value;
  }
  if (windowEnd !== undefined) checkpoint.windowEnd = windowEnd;
  // `cursor` is a DynamoDB reserved word, hence the attribute name.
  if (item.pageCursor?.S) checkpoint.cursor = item.pageCursor.S;
  if (cursorFrom !== undefined) checkpoint.cursorFrom = cursorFrom;
  if (cursorTo !== undefined) checkpoint.cursorTo = cursorTo;
  if (leaseUntil !== undefined) checkpoint.leaseUntil = leaseUntil;
  if (item.leaseOwner?.S) checkpoint.leaseOwner = item.leaseOwner.S;
  return checkpoint;
}

export function createPollCheckpointRepository(dynamo: DynamoDBClient, tableName: string): PollCheckpointRepository {
  const Key = (storeId: string) => keyOf(keys.pollCheckpoint(storeId));

  async function pollTimes(storeIds: readonly string[]): Promise<Map<string, PollTimes>> {
    const due = new Map<string, PollTimes>();
    const unique = [...new Set(storeIds)];
    for (let start = 0; start < unique.length; start += 100) {
      let requestKeys = unique.slice(start, start + 100).map(Key);
      for (let attempt = 1; requestKeys.length > 0; attempt++) {
        const result = await dynamo.send(
          new BatchGetItemCommand({
            RequestItems: {
              [tableName]: { Keys: requestKeys, ProjectionExpression: "pollStoreId, nextDueAt, lastPolledAt" },
            },
          }),
        );
        for (const item of result.Responses?.[tableName] ?? []) {
          const id = item.pollStoreId?.S;
          if (id === undefined || item.nextDueAt?.N === undefined) continue;
          const lastPolledAt = item.lastPolledAt?.N === undefined ? undefined : Number(item.lastPolledAt.N);
          due.set(id, { dueAt: Number(item.nextDueAt.N), ...(lastPolledAt !== undefined ? { lastPolledAt } : {}) });
        }
        requestKeys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (requestKeys.length > 0 && attempt >= 8) throw new Error("poll due times: DynamoDB kept keys unprocessed");
        if (requestKeys.length > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
    return due;
  }

  async function get(storeId: string) {
    const result = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: Key(storeId), ConsistentRead: true }),
    );
    return result.Item ? fromItem(storeId, result.Item) : undefined;
  }

  async function update(
    storeId: string,
    owner: string,
    expression: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ) {
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: Key(storeId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: { ":owner": { S: owner }, ...values },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new LeaseLostError(storeId);
      throw error;
    }
  }

  return {
    get,

    async acquireLease(storeId, owner, now, leaseUntil) {
      try {
        const result = await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: Key(storeId),
            UpdateExpression: "SET leaseUntil = :until, leaseOwner = :owner, pollStoreId = :store",
            ConditionExpression: "attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner",
            ExpressionAttributeValues: {
              ":until": { N: String(leaseUntil) },
              ":owner": { S: owner },
              ":now": { N: String(now) },
              ":store": { S: storeId },
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return fromItem(storeId, result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async saveCursor(storeId, owner, state, now) {
      await update(
        storeId,
        owner,
        "SET pageCursor = :cursor, cursorFrom = :from, cursorTo = :to, lastPageAt = :now",
        "leaseOwner = :owner",
        {
          ":cursor": { S: state.cursor },
          ":from": { N: String(state.from) },
          ":to": { N: String(state.to) },
          ":now": { N: String(now) },
        },
      );
    },

    async completeWindow(storeId, owner, windowEnd, now, recheckedTo, busyTo) {
      const values: Record<string, AttributeValue> = { ":end": { N: String(windowEnd) }, ":now": { N: String(now) } };
      if (recheckedTo !== undefined) values[":rechecked"] = { N: String(recheckedTo) };
      if (busyTo !== undefined) values[":busy"] = { N: String(busyTo) };
      const setRechecked = recheckedTo === undefined ? "" : ", recheckedTo = :rechecked";
      const setBusy = busyTo === undefined ? "" : ", busyTo = :busy";
      try {
        await update(
          storeId,
          owner,
          `SET windowEnd = :end, lastCompletedAt = :now${setRechecked}${setBusy} REMOVE pageCursor, cursorFrom, cursorTo`,
          "leaseOwner = :owner AND (attribute_not_exists(windowEnd) OR windowEnd <= :end)",
          values,
        );
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        // Still ours but already further on (a clock step back): keep the later windowEnd, drop the finished cursor.
        const current = await get(storeId);
        if (current?.leaseOwner !== owner) throw error;
        await update(
          storeId,
          owner,
          "SET lastCompletedAt = :now REMOVE pageCursor, cursorFrom, cursorTo",
          "leaseOwner = :owner",
          { ":now": { N: String(now) } },
        );
      }
    },

    async completeRecheck(storeId, owner, recheckedTo, now) {
      await update(
        storeId,
        owner,
        "SET recheckedTo = :to, lastPageAt = :now REMOVE pageCursor, cursorFrom, cursorTo",
        "leaseOwner = :owner",
        { ":to": { N: String(recheckedTo) }, ":now": { N: String(now) } },
      );
    },

    async releaseLease(storeId, owner, schedule) {
      const values: Record<string, AttributeValue> = {};
      let set = "";
      if (schedule) {
        const fields: Array<[string, number | undefined]> = [
          ["intervalMs", schedule.intervalMs],
          ["nextDueAt", schedule.nextDueAt],
          ["lastPolledAt", schedule.lastPolledAt],
          ["lastMissAt", schedule.lastMissAt],
        ];
        const present = fields.filter((f): f is [string, number] => f[1] !== undefined);
        for (const [name, value] of present) values[`:${name}`] = { N: String(value) };
        set = ` SET ${present.map(([name]) => `${name} = :${name}`).join(", ")}`;
      }
      try {
        await update(storeId, owner, `REMOVE leaseUntil, leaseOwner${set}`, "leaseOwner = :owner", values);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
      }
    },

    async dueTimes(storeIds) {
      const times = await pollTimes(storeIds);
      return new Map([...times].map(([id, t]) => [id, t.dueAt]));
    },

    pollTimes,
  };
}
