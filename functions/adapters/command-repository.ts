/**
 * Seller commands in the single table (issue 9, DESIGN.md "Data"):
 *
 * - `COMMAND#<commandId>` / `STATE`: the request, its fingerprint, the status (QUEUED → SENT → SUCCEEDED | REJECTED |
 *   FAILED), attempts, the Pincode requestId used on every attempt, the outcome and timestamps. It is at once the
 *   idempotency record of the seller API (one key, one command) and the execution record of the commands function.
 * - `ORDER#<orderId>` / `COMMAND#<createdAt>#<commandId>`: a pointer per order command, so an order's commands list
 *   with one Query (single-item writes only: dynalite has no transactions).
 *
 * Every status change is a conditional UpdateItem on what the writer last saw, so two writers can never both win.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { OrderUpdateAction } from "#pincode/schemas.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export const COMMAND_STATUSES = ["QUEUED", "SENT", "SUCCEEDED", "REJECTED", "FAILED"] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const TERMINAL_COMMAND_STATUSES: readonly CommandStatus[] = ["SUCCEEDED", "REJECTED", "FAILED"];
export type CommandType = "order-actions" | "store-toggle" | "listings";

/** Command items (and their idempotency keys) expire 30 days after creation (TTL `expiresAt`). */
export const COMMAND_RETENTION_MS = 30 * 24 * 3_600_000;

export interface CommandOutcome {
  /** SUCCEEDED: the order state after the update; REJECTED: Pincode's errorCode and message; FAILED: why. */
  orderState?: string | null;
  fulfillments?: { fulfillmentId: string; type: string | null; fulfillmentState: string | null }[];
  /** How the outcome was established: the update's reply, or a Status Check after an ambiguous failure. */
  decidedBy?: "order-update" | "status-check";
  errorCode?: string | null;
  message?: string | null;
  httpStatus?: number | null;
  reason?: string;
}

export interface CommandRecord {
  commandId: string;
  type: CommandType;
  status: CommandStatus;
  /** sha256 of the target and the validated request (functions/core/idempotency.ts). */
  requestHash: string;
  /** The validated seller request (without commandId). */
  request: Record<string, unknown>;
  orderId?: string;
  storeId?: string;
  /** Order commands: the Pincode Order Update actions, fulfilment ids resolved at submit time. */
  pincodeActions?: OrderUpdateAction[];
  /** Catalog/store commands: the submissions they were split into. */
  submissionIds?: string[];
  /** Pincode requestId, the same on every attempt of this command. */
  requestId: string;
  attempts: number;
  /** A call may have reached Pincode without us knowing its result: check before sending again. */
  inFlight: boolean;
  /** Who asked: the seller API, or the store's automation. */
  origin: "api" | "automation";
  outcome?: CommandOutcome;
  lastError?: string;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  /** The final status's event (CommandSucceeded / CommandRejected) is not yet confirmed published. */
  eventPending?: boolean;
}

/** What the seller API returns for a command (JSON-ready, no internal fields). */
export interface CommandView {
  commandId: string;
  type: CommandType;
  status: CommandStatus;
  orderId: string | null;
  storeId: string | null;
  request: Record<string, unknown>;
  pincodeActions: OrderUpdateAction[] | null;
  submissionIds: string[] | null;
  attempts: number;
  requestId: string;
  origin: "api" | "automation";
  outcome: CommandOutcome | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export function toCommandView(record: CommandRecord): CommandView {
  return {
    commandId: record.commandId,
    type: record.type,
    status: record.status,
    orderId: record.orderId ?? null,
    storeId: record.storeId ?? null,
    request: record.request,
    pincodeActions: record.pincodeActions ?? null,
    submissionIds: record.submissionIds ?? null,
    attempts: record.attempts,
    requestId: record.requestId,
    origin: record.origin,
    outcome: record.outcome ?? null,
    lastError: record.lastError ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    completedAt: record.completedAt ?? null,
  };
}

export interface CommandRepository {
  get(commandId: string): Promise<CommandRecord | undefined>;
  /** Creates the command unless its id exists; then returns what is stored (the caller compares fingerprints). */
  create(record: CommandRecord): Promise<{ created: true } | { created: false; existing: CommandRecord }>;
  /** Writes the order's pointer item (idempotent: same key, same content). */
  linkToOrder(orderId: string, commandId: string, createdAt: number): Promise<void>;
  /** The order's commands, oldest first. */
  listForOrder(orderId: string): Promise<CommandRecord[]>;
  /**
   * Starts an attempt: status SENT, attempts + 1, inFlight. Conditional on the attempts count read before, so a
   * concurrent executor loses; `undefined` when it did (or the command is already final).
   */
  claim(commandId: string, seenAttempts: number, now: number): Promise<CommandRecord | undefined>;
  /** The attempt did not reach Pincode's order logic (throttled, auth refused): nothing to check before the next. */
  releaseNotSent(commandId: string, attempts: number, reason: string, now: number): Promise<void>;
  /** The attempt's result is unknown (timeout, 5xx, lost response): stays SENT + inFlight for a Status Check. */
  recordAmbiguous(commandId: string, attempts: number, reason: string, now: number): Promise<void>;
  /** Final outcome; only from a non-final status, so the first final writer wins. */
  complete(
    commandId: string,
    status: "SUCCEEDED" | "REJECTED" | "FAILED",
    outcome: CommandOutcome,
    now: number,
    options?: { announce?: boolean },
  ): Promise<boolean>;
  /** The final status's event was published. */
  clearEventPending(commandId: string): Promise<void>;
  /** JSON-ready reads for the seller API. */
  getCommand(commandId: string): Promise<CommandView | undefined>;
  listOrderCommands(orderId: string): Promise<CommandView[]>;
}

export const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

const orderCommandKey = (orderId: string, createdAt: number, commandId: string) => ({
  pk: `ORDER#${orderId}`,
  sk: `COMMAND#${String(createdAt).padStart(15, "0")}#${commandId}`,
});

export function documentClient(dynamo: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

const FIELDS = [
  "commandId",
  "type",
  "status",
  "requestHash",
  "request",
  "orderId",
  "storeId",
  "pincodeActions",
  "submissionIds",
  "requestId",
  "attempts",
  "inFlight",
  "origin",
  "outcome",
  "lastError",
  "createdAt",
  "updatedAt",
  "completedAt",
  "eventPending",
] as const;

function fromItem(item: Record<string, unknown>): CommandRecord {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) if (item[field] !== undefined) record[field] = item[field];
  record.attempts = Number(record.attempts ?? 0);
  record.inFlight = record.inFlight === true;
  record.origin ??= "api";
  return record as unknown as CommandRecord;
}

export function createCommandRepository(dynamo: DynamoDBClient, tableName: string): CommandRepository {
  const doc = documentClient(dynamo);

  async function get(commandId: string): Promise<CommandRecord | undefined> {
    const result = await doc.send(
      new GetCommand({ TableName: tableName, Key: keys.command(commandId), ConsistentRead: true }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async function conditionalUpdate(input: ConstructorParameters<typeof UpdateCommand>[0]): Promise<boolean> {
    try {
      await doc.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  const repository: CommandRepository = {
    get,

    async create(record) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.command(record.commandId),
              kind: "COMMAND",
              ...record,
              [TTL_ATTRIBUTE]: Math.floor((record.createdAt + COMMAND_RETENTION_MS) / 1000),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await get(record.commandId);
        if (!existing) throw error;
        return { created: false, existing };
      }
    },

    async linkToOrder(orderId, commandId, createdAt) {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...orderCommandKey(orderId, createdAt, commandId),
            kind: "ORDER_COMMAND",
            commandId,
            createdAt,
            [TTL_ATTRIBUTE]: Math.floor((createdAt + COMMAND_RETENTION_MS) / 1000),
          },
        }),
      );
    },

    async listForOrder(orderId) {
      const ids: string[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: { ":pk": `ORDER#${orderId}`, ":prefix": "COMMAND#" },
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) if (typeof item.commandId === "string") ids.push(item.commandId);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      const records = await Promise.all(ids.map((id) => get(id)));
      return records.filter((r): r is CommandRecord => r !== undefined);
    },

    async claim(commandId, seenAttempts, now) {
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.command(commandId),
            UpdateExpression: "SET #status = :sent, attempts = :next, inFlight = :true, updatedAt = :now",
            ConditionExpression: "attempts = :seen AND #status IN (:queued, :sent)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":sent": "SENT",
              ":queued": "QUEUED",
              ":next": seenAttempts + 1,
              ":seen": seenAttempts,
              ":true": true,
              ":now": now,
            },
            ReturnValues: "ALL_NEW",
          }),
        );
        return result.Attributes ? fromItem(result.Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async releaseNotSent(commandId, attempts, reason, now) {
      await conditionalUpdate({
        TableName: tableName,
        Key: keys.command(commandId),
        UpdateExpression: "SET inFlight = :false, lastError = :reason, updatedAt = :now",
        ConditionExpression: "attempts = :attempts AND #status = :sent",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":false": false,
          ":reason": reason,
          ":now": now,
          ":attempts": attempts,
          ":sent": "SENT",
        },
      });
    },

    async recordAmbiguous(commandId, attempts, reason, now) {
      await conditionalUpdate({
        TableName: tableName,
        Key: keys.command(commandId),
        UpdateExpression: "SET lastError = :reason, updatedAt = :now",
        ConditionExpression: "attempts = :attempts AND #status = :sent",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":reason": reason, ":now": now, ":attempts": attempts, ":sent": "SENT" },
      });
    },

    complete(commandId, status, outcome, now, options = {}) {
      return conditionalUpdate({
        TableName: tableName,
        Key: keys.command(commandId),
        UpdateExpression:
          "SET #status = :status, outcome = :outcome, inFlight = :false, completedAt = :now, updatedAt = :now, " +
          "eventPending = :announce",
        ConditionExpression: "#status IN (:queued, :sent)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: {
          ":status": status,
          ":outcome": outcome,
          ":announce": options.announce ?? true,
          ":false": false,
          ":now": now,
          ":queued": "QUEUED",
          ":sent": "SENT",
        },
      });
    },

    async clearEventPending(commandId) {
      await doc
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.command(commandId),
            UpdateExpression: "REMOVE eventPending",
            ConditionExpression: "attribute_exists(pk)",
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
    },

    async getCommand(commandId) {
      const record = await get(commandId);
      return record ? toCommandView(record) : undefined;
    },

    async listOrderCommands(orderId) {
      return (await repository.listForOrder(orderId)).map(toCommandView);
    },
  };
  return repository;
}
