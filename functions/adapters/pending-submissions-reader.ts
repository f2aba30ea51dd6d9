/**
 * How many submissions are still waiting for Pincode's result, and for how long the oldest has: read-only over the
 * pending-submission index (`SUBMISSIONS#PENDING`, pending-submission-index.ts). Index entries whose submission has
 * a result or a final status are skipped, not deleted (the poller's scheduled run clears them), so the seller API
 * needs no delete right. Bounded: past `max` entries the count is reported as a lower bound (`capped`).
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { keys } from "./table.ts";

export interface PendingSubmissionsCount {
  count: number;
  oldestAgeMs: number | null;
  /** More entries than were examined: `count` is at least this. */
  capped: boolean;
}

export const MAX_PENDING_EXAMINED = 100;

export function createPendingSubmissionsReader(dynamo: DynamoDBClient, tableName: string, max = MAX_PENDING_EXAMINED) {
  const partition = keys.pendingSubmission(0, "").pk;
  return async (now: number): Promise<PendingSubmissionsCount> => {
    const entries: { submissionId: string; since: number }[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": { S: partition } },
          ScanIndexForward: true,
          Limit: max + 1 - entries.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        entries.push({ submissionId: item.submissionId?.S ?? "", since: Number(item.since?.N ?? 0) });
      }
      start = page.LastEvaluatedKey;
    } while (start && entries.length <= max);
    const capped = entries.length > max;
    const examined = entries.slice(0, max);
    const pending = await Promise.all(
      examined.map(async (entry) => {
        const result = await dynamo.send(
          new GetItemCommand({
            TableName: tableName,
            Key: {
              pk: { S: keys.submission(entry.submissionId).pk },
              sk: { S: keys.submission(entry.submissionId).sk },
            },
            ProjectionExpression: "processingStatus, resultOutcome, #status",
            ExpressionAttributeNames: { "#status": "status" },
          }),
        );
        const item = result.Item;
        if (!item) return undefined;
        const done =
          item.processingStatus !== undefined || item.resultOutcome !== undefined || item.status?.S !== "PENDING";
        return done ? undefined : entry;
      }),
    );
    const open = pending.filter((p): p is { submissionId: string; since: number } => p !== undefined);
    const oldest = open.reduce<number | null>((min, p) => (min === null || p.since < min ? p.since : min), null);
    return { count: open.length, oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest), capped };
  };
}
