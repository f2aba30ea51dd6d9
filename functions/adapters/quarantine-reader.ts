/**
 * Reading quarantined callbacks for operators (`QUARANTINE#<day>` / `<ts>#<uuid>`, written by
 * quarantine-repository.ts) and recording their replay. Kept apart from the writer so the callback function's bundle
 * never carries it. Lists never read the body or headers (projection), so a list cannot leak buyer data.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type QuarantineCursor, quarantineApiId } from "#core/operations.ts";

export interface QuarantineListItem {
  id: string;
  day: string;
  receivedAt: number;
  code: string;
  reason: string;
  bodyBytes?: number;
  bodyTruncated?: boolean;
  callbackRequestId?: string;
  apiRequestId?: string;
  replayedAt?: number;
  replayMessageId?: string;
}

export interface QuarantinedCallback extends QuarantineListItem {
  pk: string;
  sk: string;
  /** The body as received; may hold buyer data. */
  body: Uint8Array;
}

export interface QuarantinePage {
  items: QuarantineListItem[];
  /** Where the next page starts, when there is one. */
  next?: QuarantineCursor;
}

export interface QuarantineReader {
  /** Newest first over `days` (newest first), starting at `cursor`. */
  list(days: readonly string[], limit: number, cursor?: QuarantineCursor): Promise<QuarantinePage>;
  count(day: string): Promise<number>;
  get(key: { pk: string; sk: string }): Promise<QuarantinedCallback | undefined>;
  /** Records the replay once; false when an earlier replay was recorded first. */
  markReplayed(key: { pk: string; sk: string }, at: number, messageId: string): Promise<boolean>;
}

const LIST_PROJECTION =
  "pk, sk, #code, reason, receivedAt, bodyBytes, bodyTruncated, callbackRequestId, apiRequestId, replayedAt, replayMessageId";

function listItem(item: Record<string, AttributeValue>): QuarantineListItem | undefined {
  const pk = item.pk?.S ?? "";
  const sk = item.sk?.S ?? "";
  const id = quarantineApiId(pk, sk);
  if (!id) return undefined;
  const out: QuarantineListItem = {
    id,
    day: pk.slice("QUARANTINE#".length),
    receivedAt: Number(item.receivedAt?.N ?? sk.split("#")[0]),
    code: item.code?.S ?? "unknown",
    reason: item.reason?.S ?? "",
  };
  if (item.bodyBytes?.N !== undefined) out.bodyBytes = Number(item.bodyBytes.N);
  if (item.bodyTruncated?.BOOL !== undefined) out.bodyTruncated = item.bodyTruncated.BOOL;
  if (item.callbackRequestId?.S) out.callbackRequestId = item.callbackRequestId.S;
  if (item.apiRequestId?.S) out.apiRequestId = item.apiRequestId.S;
  if (item.replayedAt?.N !== undefined) out.replayedAt = Number(item.replayedAt.N);
  if (item.replayMessageId?.S) out.replayMessageId = item.replayMessageId.S;
  return out;
}

function storedBody(item: Record<string, AttributeValue>): Uint8Array {
  if (item.body?.S !== undefined) return new TextEncoder().encode(item.body.S);
  if (item.body?.B !== undefined) return item.body.B;
  return new Uint8Array(0);
}

export function createQuarantineReader(dynamo: DynamoDBClient, tableName: string): QuarantineReader {
  return {
    async list(days, limit, cursor) {
      const items: QuarantineListItem[] = [];
      // Days are newest first; a cursor resumes at its own day (or the first older one still in range).
      const startAt = cursor ? days.findIndex((day) => day <= cursor.day) : 0;
      if (startAt < 0) return { items };
      let startSk = cursor && days[startAt] === cursor.day ? cursor.sk : undefined;
      for (let d = startAt; d < days.length; d++) {
        const day = days[d] as string;
        let exclusive: Record<string, AttributeValue> | undefined = startSk
          ? { pk: { S: `QUARANTINE#${day}` }, sk: { S: startSk } }
          : undefined;
        startSk = undefined;
        do {
          const want = limit - items.length;
          const page = await dynamo.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": { S: `QUARANTINE#${day}` } },
              ExpressionAttributeNames: { "#code": "code" },
              ProjectionExpression: LIST_PROJECTION,
              ScanIndexForward: false,
              Limit: want,
              ExclusiveStartKey: exclusive,
            }),
          );
          for (const raw of page.Items ?? []) {
            const item = listItem(raw);
            if (item) items.push(item);
          }
          exclusive = page.LastEvaluatedKey;
          if (items.length >= limit) {
            // Resume after the last returned item of this day, or at the next day when this one is done.
            if (exclusive?.sk?.S) return { items, next: { day, sk: exclusive.sk.S } };
            const nextDay = days[d + 1];
            return nextDay ? { items, next: { day: nextDay } } : { items };
          }
        } while (exclusive);
      }
      return { items };
    },

    async count(day) {
      let total = 0;
      let exclusive: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": { S: `QUARANTINE#${day}` } },
            Select: "COUNT",
            ExclusiveStartKey: exclusive,
          }),
        );
        total += page.Count ?? 0;
        exclusive = page.LastEvaluatedKey;
      } while (exclusive);
      return total;
    },

    async get(key) {
      const result = await dynamo.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          ConsistentRead: true,
        }),
      );
      if (!result.Item) return undefined;
      const item = listItem(result.Item);
      if (!item) return undefined;
      return { ...item, pk: key.pk, sk: key.sk, body: storedBody(result.Item) };
    },

    async markReplayed(key, at, messageId) {
      try {
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: key.pk }, sk: { S: key.sk } },
            UpdateExpression: "SET replayedAt = :at, replayMessageId = :mid",
            ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(replayedAt)",
            ExpressionAttributeValues: { ":at": { N: String(at) }, ":mid": { S: messageId } },
          }),
        );
        return true;
      } catch (error) {
        if (
          error instanceof ConditionalCheckFailedException ||
          (error as { name?: string }).name === "ConditionalCheckFailedException"
        ) {
          return false;
        }
        throw error;
      }
    },
  };
}
