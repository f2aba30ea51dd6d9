/**
 * The sweep's side of the queued-command index (queued-command-index.ts writes it): the oldest entries created before
 * a cutoff (one Query, oldest first), and the removal of entries whose command is gone or has left QUEUED (batched
 * deletes). Entries a delete leaves unprocessed stay and are examined again by the next run.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { keyOf } from "./attributes.ts";
import { keys } from "./table.ts";

export interface QueuedCommandEntry {
  commandId: string;
  createdAt: number;
}

export interface QueuedCommandEntries {
  /** Up to `limit` entries created before `before` (epoch ms), oldest first. */
  oldest(before: number, limit: number): Promise<QueuedCommandEntry[]>;
  /** Deletes these entries (BatchWriteItem); returns how many were deleted. */
  remove(entries: readonly QueuedCommandEntry[]): Promise<number>;
}

/** DynamoDB's BatchWriteItem limit; unprocessed deletes are retried a few times, then left for the next run. */
const BATCH_WRITE_MAX = 25;
const DELETE_ATTEMPTS = 3;

export function createQueuedCommandEntries(dynamo: DynamoDBClient, tableName: string): QueuedCommandEntries {
  const partition = keys.queuedCommand(0, "").pk;
  return {
    async oldest(before, limit) {
      const found: QueuedCommandEntry[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            // Sort keys start with the 15-digit creation time: everything below `<before>` was created before it.
            KeyConditionExpression: "pk = :pk AND sk < :before",
            ExpressionAttributeValues: {
              ":pk": { S: partition },
              ":before": { S: String(Math.max(0, before)).padStart(15, "0") },
            },
            ScanIndexForward: true,
            Limit: limit - found.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const commandId = item.commandId?.S;
          const createdAt = Number(item.createdAt?.N);
          if (commandId && Number.isFinite(createdAt)) found.push({ commandId, createdAt });
        }
        start = page.LastEvaluatedKey;
      } while (start && found.length < limit);
      return found;
    },

    async remove(entries) {
      let deleted = 0;
      for (let at = 0; at < entries.length; at += BATCH_WRITE_MAX) {
        let pending = entries.slice(at, at + BATCH_WRITE_MAX).map((e) => ({
          DeleteRequest: { Key: keyOf(keys.queuedCommand(e.createdAt, e.commandId)) },
        }));
        const size = pending.length;
        for (let attempt = 1; attempt <= DELETE_ATTEMPTS && pending.length > 0; attempt++) {
          const result = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
          pending = (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        }
        deleted += size - pending.length;
      }
      return deleted;
    },
  };
}
