/**
 * Outcomes of asynchronous catalog and store writes (PINCODE-API §3.4, A5): the STORE_UPDATE / LISTING_UPDATE result
 * callback is merged into the `SUBMISSION#<id>` item with UpdateItem, so whatever the command side wrote there
 * (messages, PENDING status) is kept and only the result attributes are set.
 */
import { type AttributeValue, type DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import type { SubmissionResultCallback } from "#pincode/schemas.ts";
import { keyOf } from "./attributes.ts";
import { keys } from "./table.ts";

export type MessageOutcome = "FAILED" | "WARNING";

export interface SubmissionResultRecord {
  result: SubmissionResultCallback;
  receivedAt: number;
  /** Our events-queue message id. */
  messageId: string;
}

export interface SubmissionResultRepository {
  record(input: SubmissionResultRecord): Promise<{
    outcome: "SUCCEEDED" | "FAILED" | "PARTIAL";
    /** Our submission id, when the commands function already linked Pincode's submissionId to it (issue 9). */
    linkedSubmissionId?: string;
  }>;
}

/** Per-message outcome: a message with an ERROR issue failed; one with only warnings succeeded with warnings. */
export function messageOutcomes(result: SubmissionResultCallback): Record<string, MessageOutcome> {
  const outcomes: Record<string, MessageOutcome> = {};
  for (const issue of result.issues) {
    if (!issue.messageId) continue;
    const failed = (issue.severity ?? "ERROR").toUpperCase() === "ERROR";
    if (failed) outcomes[issue.messageId] = "FAILED";
    else outcomes[issue.messageId] ??= "WARNING";
  }
  return outcomes;
}

export function submissionOutcome(result: SubmissionResultCallback): "SUCCEEDED" | "FAILED" | "PARTIAL" {
  const errors = result.summary?.errors ?? Object.values(messageOutcomes(result)).filter((o) => o === "FAILED").length;
  if (errors === 0) return "SUCCEEDED";
  const total = result.summary?.total ?? 0;
  const success = result.summary?.success ?? 0;
  // §3.4 sample: total 0 with one error, so "all failed" cannot rely on total; any success makes it partial.
  return success > 0 || (total > errors && total > 0) ? "PARTIAL" : "FAILED";
}

export function createSubmissionResultRepository(
  dynamo: DynamoDBClient,
  tableName: string,
): SubmissionResultRepository {
  return {
    async record({ result, receivedAt, messageId }) {
      const outcome = submissionOutcome(result);
      const perMessage = messageOutcomes(result);
      const issues = result.issues.map((issue) => ({
        messageId: issue.messageId ?? null,
        code: issue.code ?? null,
        severity: issue.severity ?? null,
        message: issue.message ?? null,
        attributeErrors: issue.attribute_errors ?? [],
      }));
      const values: Record<string, AttributeValue> = {
        ":id": { S: result.submissionId },
        ":status": { S: result.processingStatus },
        ":outcome": { S: outcome },
        ":issues": { S: JSON.stringify(issues) },
        ":perMessage": { M: Object.fromEntries(Object.entries(perMessage).map(([id, o]) => [id, { S: o }])) },
        ":summary": { S: JSON.stringify(result.summary ?? null) },
        ":at": { N: String(receivedAt) },
        ":mid": { S: messageId },
        ":rid": { S: result.requestContext.requestId },
      };
      const updated = await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.submission(result.submissionId)),
          UpdateExpression:
            "SET submissionId = :id, processingStatus = :status, resultOutcome = :outcome, issues = :issues, " +
            "messageOutcomes = :perMessage, resultSummary = :summary, resultReceivedAt = :at, " +
            "resultMessageId = :mid, resultRequestId = :rid",
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      const linked = updated?.Attributes?.linkedSubmissionId?.S;
      return linked ? { outcome, linkedSubmissionId: linked } : { outcome };
    },
  };
}
