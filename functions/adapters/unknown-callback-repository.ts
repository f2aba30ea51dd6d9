/**
 * Callbacks of a kind we do not know yet (PINCODE-API A16: Pincode's vocabulary grows). They are authenticated and
 * well-formed but unhandled: kept in the table for a while so nothing Pincode sent is lost, then expired by TTL.
 */
import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { TTL_ATTRIBUTE } from "./table.ts";

export const UNKNOWN_CALLBACK_RETENTION_MS = 90 * 24 * 3_600_000;

export const unknownCallbackKey = (at: number, messageId: string) => ({
  pk: `UNKNOWN#${new Date(at).toISOString().slice(0, 10)}`,
  sk: `${String(at).padStart(15, "0")}#${messageId}`,
});

export interface UnknownCallbackRecord {
  messageId: string;
  receivedAt: number;
  callbackType?: string;
  requestId?: string;
  body: Record<string, unknown>;
}

export interface UnknownCallbackRepository {
  record(input: UnknownCallbackRecord): Promise<void>;
}

export function createUnknownCallbackRepository(dynamo: DynamoDBClient, tableName: string): UnknownCallbackRepository {
  return {
    async record({ messageId, receivedAt, callbackType, requestId, body }) {
      const key = unknownCallbackKey(receivedAt, messageId);
      // Keyed by our message id and receipt time: a redelivery rewrites the same item.
      await dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: { S: key.pk },
            sk: { S: key.sk },
            kind: { S: "UNKNOWN_CALLBACK" },
            messageId: { S: messageId },
            receivedAt: { N: String(receivedAt) },
            ...(callbackType ? { callbackType: { S: callbackType } } : {}),
            ...(requestId ? { requestId: { S: requestId } } : {}),
            body: { S: JSON.stringify(body) },
            [TTL_ATTRIBUTE]: { N: String(Math.floor((receivedAt + UNKNOWN_CALLBACK_RETENTION_MS) / 1000)) },
          },
        }),
      );
    },
  };
}
