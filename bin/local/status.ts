/**
 * The live status line and the shutdown summary of local mode: orders by state (from DynamoDB), callbacks ACKed and
 * rejected (from the HTTP front door), poll lag (from the poll checkpoints) and DLQ depth (from SQS).
 */
import { type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface CallbackCounters {
  acked: number;
  rejected: number;
}

export interface StatusSnapshot {
  ordersByState: Record<string, number>;
  orders: number;
  callbacks: CallbackCounters;
  /** Largest lag among stores (now - checkpoint window end), or null before the first poll completes. */
  pollLagMs: number | null;
  dlqDepth: number;
}

export interface StatusSources {
  dynamo: DynamoDBClient;
  tableName: string;
  sqs: SQSClient;
  dlqUrls: readonly string[];
  callbacks: () => CallbackCounters;
  now?: () => number;
}

export async function readStatus(sources: StatusSources): Promise<StatusSnapshot> {
  const now = sources.now ?? Date.now;
  const ordersByState: Record<string, number> = {};
  let orders = 0;
  let oldestWindowEnd: number | null = null;
  let startKey: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
  do {
    const page = await sources.dynamo.send(
      new ScanCommand({
        TableName: sources.tableName,
        ProjectionExpression: "pk, sk, orderState, windowEnd",
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.sk?.S === "VIEW" && item.pk?.S?.startsWith("ORDER#")) {
        const state = item.orderState?.S ?? "NEW";
        ordersByState[state] = (ordersByState[state] ?? 0) + 1;
        orders++;
      } else if (item.sk?.S === "POLL" && item.windowEnd?.N) {
        const end = Number(item.windowEnd.N);
        oldestWindowEnd = oldestWindowEnd === null ? end : Math.min(oldestWindowEnd, end);
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  let dlqDepth = 0;
  for (const url of sources.dlqUrls) {
    const attrs = await sources.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    dlqDepth += Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  return {
    ordersByState,
    orders,
    callbacks: sources.callbacks(),
    pollLagMs: oldestWindowEnd === null ? null : Math.max(0, now() - oldestWindowEnd),
    dlqDepth,
  };
}

export function formatStatus(s: StatusSnapshot): string {
  const states = Object.entries(s.ordersByState)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  const lag = s.pollLagMs === null ? "n/a" : `${Math.round(s.pollLagMs / 1000)}s`;
  return `orders ${s.orders}${states ? ` (${states})` : ""} | callbacks acked ${s.callbacks.acked} rejected ${s.callbacks.rejected} | poll lag ${lag} | DLQ ${s.dlqDepth}`;
}
