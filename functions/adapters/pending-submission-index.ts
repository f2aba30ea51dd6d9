/**
 * The age of the oldest submission still waiting for its result callback, without a Scan: every PENDING submission
 * gets a small index item under one partition, sorted by when it started (`SUBMISSIONS#PENDING` /
 * `<since, 15 digits>#<submissionId>`), so the oldest is the first item of a one-item Query.
 *
 * The index heals itself: the result path does not have to remove the entry. `oldestPending` looks at the oldest
 * entries, reads their submission (submission-repository.ts, which merges the result callback's half), deletes the
 * entries whose submission is no longer PENDING (COMPLETED, REJECTED, FAILED, or expired) and reports the first that
 * still is. The poller's scheduled run calls it once a minute and emits OldestPendingSubmissionAgeMs.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { keyOf } from "./attributes.ts";
import { createSubmissionRepository } from "./submission-repository.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export interface PendingSubmissionIndex {
  /** Records that a submission is waiting for its result (idempotent). */
  markPending(submissionId: string, since: number): Promise<void>;
  /** The oldest submission still pending, or undefined; clears entries whose result has arrived. */
  oldestPending(): Promise<{ submissionId: string; since: number } | undefined>;
}

/** Entries older than this expire by TTL whatever happened (a submission never answered is alarmed on long before). */
export const PENDING_INDEX_RETENTION_MS = 14 * 24 * 3_600_000;
/** Entries examined per call: a burst of completed submissions is cleared over a few scheduled runs. */
const MAX_EXAMINED = 25;

export function createPendingSubmissionIndex(dynamo: DynamoDBClient, tableName: string): PendingSubmissionIndex {
  const partition = keys.pendingSubmission(0, "").pk;
  const submissions = createSubmissionRepository(dynamo, tableName);
  const isPending = async (submissionId: string) =>
    (await submissions.getSubmission(submissionId))?.status === "PENDING";
  return {
    async markPending(submissionId, since) {
      await dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...keyOf(keys.pendingSubmission(since, submissionId)),
            kind: { S: "SUBMISSION_PENDING" },
            submissionId: { S: submissionId },
            since: { N: String(since) },
            [TTL_ATTRIBUTE]: { N: String(Math.floor((since + PENDING_INDEX_RETENTION_MS) / 1000)) },
          },
        }),
      );
    },

    async oldestPending() {
      let start: Record<string, AttributeValue> | undefined;
      let examined = 0;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk",
            ExpressionAttributeValues: { ":pk": { S: partition } },
            ScanIndexForward: true,
            Limit: 5,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const entry of page.Items ?? []) {
          examined++;
          const submissionId = entry.submissionId?.S ?? "";
          const since = Number(entry.since?.N ?? 0);
          if (await isPending(submissionId)) return { submissionId, since };
          await dynamo.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: entry.pk!, sk: entry.sk! } }));
        }
        start = page.LastEvaluatedKey;
      } while (start && examined < MAX_EXAMINED);
      return undefined;
    },
  };
}
