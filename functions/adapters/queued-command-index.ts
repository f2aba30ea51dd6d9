/**
 * The write side of the queued-command index: before a command item is created (QUEUED), a small entry under one
 * partition, sorted by creation time (`COMMANDS#QUEUED` / `<createdAt, 15 digits>#<commandId>`), so the poller's sweep
 * can find a command whose queue message was never sent without a Scan (queued-command-entries.ts reads and clears).
 *
 * Written first, so every QUEUED command has one; an entry whose command was never created (the create failed or was
 * refused) or has left QUEUED is deleted when the sweep examines it.
 */
import { type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { keyOf } from "./attributes.ts";
import { COMMAND_RETENTION_MS } from "./command-repository.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export interface QueuedCommandIndex {
  /** Records that the command `commandId` created at `createdAt` is about to be QUEUED (idempotent). */
  markQueued(commandId: string, createdAt: number): Promise<void>;
}

export function createQueuedCommandIndex(dynamo: DynamoDBClient, tableName: string): QueuedCommandIndex {
  return {
    async markQueued(commandId, createdAt) {
      await dynamo.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...keyOf(keys.queuedCommand(createdAt, commandId)),
            kind: { S: "COMMAND_QUEUED" },
            commandId: { S: commandId },
            createdAt: { N: String(createdAt) },
            // Expires with the command it points to.
            [TTL_ATTRIBUTE]: { N: String(Math.floor((createdAt + COMMAND_RETENTION_MS) / 1000)) },
          },
        }),
      );
    },
  };
}
