/**
 * Optional buyer-data retention (stage config `buyerDataRetentionDays`, docs/buyer-data.md): the retention index and
 * the purge. Runs on every DynamoDB emulator (no TTL, no Scan, no transactions): single-item writes and Queries.
 *
 * Items:
 *   `RETENTION#<YYYY-MM-DD>` / `ORDER#<orderId>`  an order whose view became final, due for purging that UTC day
 *                                               (written by the order repository with the final view; TTL a year
 *                                               after due, so entries of a disabled feature clean themselves up);
 *   `RETENTION` / `CHECKPOINT`                   the last UTC day whose entries were all handled.
 * The purge reads each due entry's view: still unchanged for the retention period (its `writtenAt`) and final, it
 * rewrites the view's snapshot without the buyer fields, marks it `buyerDataPurgedAt` (conditioned on the version it
 * read, so a concurrent change wins and is purged on a later run), strips the order's history snapshots, and deletes
 * the entry. A view changed since (a COMPLETED order cancelled later) is re-entered at its new due day.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { daysBetween, utcDay, withoutBuyerData } from "#core/buyer-data.ts";
import { isTerminalState } from "#core/freshness.ts";
import { keyOf, N, S } from "./attributes.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

/** The view attribute saying when its buyer fields were purged (epoch ms). */
export const BUYER_DATA_PURGED_AT = "buyerDataPurgedAt";
/** Entries are kept this long after they fall due, in case the purge is paused or switched off (then TTL removes them). */
const ENTRY_TTL_MS = 365 * 24 * 3_600_000;
/** Without a checkpoint (first run), this many days back are looked at. */
export const FIRST_RUN_LOOKBACK_DAYS = 30;

export const retentionKeys = {
  entry: (day: string, orderId: string) => ({ pk: `RETENTION#${day}`, sk: `ORDER#${orderId}` }),
  checkpoint: { pk: "RETENTION", sk: "CHECKPOINT" },
} as const;

const num = (item: Record<string, AttributeValue> | undefined, name: string) =>
  item?.[name]?.N === undefined ? undefined : Number(item[name]?.N);

/** The index entry for an order whose view became final at `finalAt`. */
export function retentionEntry(orderId: string, finalAt: number, retentionMs: number): Record<string, AttributeValue> {
  const dueAt = finalAt + retentionMs;
  return {
    ...keyOf(retentionKeys.entry(utcDay(dueAt), orderId)),
    kind: S("RETENTION_DUE"),
    orderId: S(orderId),
    finalAt: N(finalAt),
    dueAt: N(dueAt),
    [TTL_ATTRIBUTE]: N(Math.floor((dueAt + ENTRY_TTL_MS) / 1000)),
  };
}

export interface PurgeRun {
  /** The UTC days whose entries were read. */
  days: string[];
  /** Orders whose buyer fields were removed now. */
  purged: number;
  /** History items rewritten without buyer fields. */
  historyItems: number;
  /** Entries moved to a later day: the order changed since it became final. */
  deferred: number;
  /** Entries left for the next run (a concurrent change, or the run's limit reached). */
  left: number;
  /** The checkpoint after the run: every entry up to this day is handled. */
  checkpoint: string | null;
}

export interface BuyerDataPurgeOptions {
  retentionMs: number;
  /** At most this many entries per run; the rest wait for the next run. */
  maxOrdersPerRun?: number;
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

export function createBuyerDataPurge(dynamo: DynamoDBClient, tableName: string, options: BuyerDataPurgeOptions) {
  const maxOrders = options.maxOrdersPerRun ?? 1000;

  const deleteEntry = (day: string, orderId: string) =>
    dynamo.send(new DeleteItemCommand({ TableName: tableName, Key: keyOf(retentionKeys.entry(day, orderId)) }));

  async function stripHistory(orderId: string): Promise<number> {
    let rewritten = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :event)",
          ExpressionAttributeValues: { ":pk": S(keys.orderView(orderId).pk), ":event": S("EVENT#") },
          ProjectionExpression: "pk, sk, #snapshot",
          ExpressionAttributeNames: { "#snapshot": "snapshot" },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const snapshot = item.snapshot?.S;
        if (snapshot === undefined) continue;
        const stripped = JSON.stringify(withoutBuyerData(JSON.parse(snapshot) as Record<string, unknown>));
        if (stripped === snapshot) continue;
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue },
            UpdateExpression: "SET #snapshot = :s",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#snapshot": "snapshot" },
            ExpressionAttributeValues: { ":s": S(stripped) },
          }),
        );
        rewritten++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return rewritten;
  }

  /** Handles one entry: "purged", "done" (nothing to purge), "deferred" (re-entered later) or "left" (retry). */
  async function purgeOne(day: string, orderId: string, now: number, run: PurgeRun): Promise<"handled" | "left"> {
    const { Item: view } = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: keyOf(keys.orderView(orderId)), ConsistentRead: true }),
    );
    if (!view || num(view, BUYER_DATA_PURGED_AT) !== undefined || !isTerminalState(view.orderState?.S)) {
      await deleteEntry(day, orderId);
      return "handled";
    }
    const writtenAt = num(view, "writtenAt") ?? 0;
    if (writtenAt + options.retentionMs > now) {
      // Changed since it became final: due again a full period after that change.
      const entry = retentionEntry(orderId, writtenAt, options.retentionMs);
      if (entry.pk?.S !== retentionKeys.entry(day, orderId).pk) {
        await dynamo.send(new PutItemCommand({ TableName: tableName, Item: entry }));
        await deleteEntry(day, orderId);
        run.deferred++;
        return "handled";
      }
      return "left";
    }
    const snapshot = JSON.parse(view.snapshot?.S ?? "{}") as Record<string, unknown>;
    try {
      await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.orderView(orderId)),
          UpdateExpression: "SET #snapshot = :s, #purgedAt = :t",
          ConditionExpression: "#version = :v",
          ExpressionAttributeNames: {
            "#snapshot": "snapshot",
            "#purgedAt": BUYER_DATA_PURGED_AT,
            "#version": "version",
          },
          ExpressionAttributeValues: {
            ":s": S(JSON.stringify(withoutBuyerData(snapshot))),
            ":t": N(now),
            ":v": view.version ?? N(0),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return "left"; // a change landed meanwhile: the next run sees it
      throw error;
    }
    run.purged++;
    run.historyItems += await stripHistory(orderId);
    await deleteEntry(day, orderId);
    return "handled";
  }

  return {
    async run(now: number): Promise<PurgeRun> {
      const today = utcDay(now);
      const { Item: checkpointItem } = await dynamo.send(
        new GetItemCommand({ TableName: tableName, Key: keyOf(retentionKeys.checkpoint), ConsistentRead: true }),
      );
      const after = checkpointItem?.day?.S;
      const from = after
        ? utcDay(Date.parse(`${after}T00:00:00Z`) + 24 * 3_600_000)
        : utcDay(now - FIRST_RUN_LOOKBACK_DAYS * 24 * 3_600_000);
      const run: PurgeRun = { days: [], purged: 0, historyItems: 0, deferred: 0, left: 0, checkpoint: after ?? null };
      let budget = maxOrders;
      let complete = true;
      for (const day of daysBetween(from, today)) {
        run.days.push(day);
        let dayComplete = day < today;
        let start: Record<string, AttributeValue> | undefined;
        do {
          const page = await dynamo.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": S(`RETENTION#${day}`) },
              ExclusiveStartKey: start,
            }),
          );
          for (const entry of page.Items ?? []) {
            const orderId = entry.orderId?.S;
            if (orderId === undefined) continue;
            if ((num(entry, "dueAt") ?? 0) > now || budget <= 0) {
              run.left++;
              dayComplete = false;
              continue;
            }
            budget--;
            if ((await purgeOne(day, orderId, now, run)) === "left") {
              run.left++;
              dayComplete = false;
            }
          }
          start = page.LastEvaluatedKey;
        } while (start);
        complete = complete && dayComplete;
        if (complete) run.checkpoint = day;
      }
      if (run.checkpoint !== null && run.checkpoint !== after) {
        await dynamo.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...keyOf(retentionKeys.checkpoint), kind: S("RETENTION_CHECKPOINT"), day: S(run.checkpoint) },
          }),
        );
      }
      return run;
    },
  };
}

export type BuyerDataPurge = ReturnType<typeof createBuyerDataPurge>;
