/**
 * Seller commands in the single table (issue 9, DESIGN.md "Data"):
 *
 * - `COMMAND#<commandId>` / `STATE`: the request, its fingerprint, the status (QUEUED → SENT → SUCCEEDED | REJECTED |
 *   FAILED), attempts, the Pincode requestId used on every attempt, the outcome and timestamps. It is at once the
 *   idempotency record of the seller API (one key, one command) and the execution record of the commands function.
 * - `ORDER#<orderId>` / `COMMAND#<createdAt>#<commandId>`: a pointer per order command, so an order's commands list
 *   with one Query (single-item writes only: dynalite has no transactions).
 *
 * - `COMMAND#<commandId>` / `PUBLISHED`: the outbox marker of the final status's event (issue 11), written through
 *   the batcher with the batch's other markers instead of an UpdateItem on the command. The command's `eventPending`
 *   is true from its final write on; the event is still owed while no marker carries the command's `completedAt`.
 *   Items the previous release wrote (eventPending REMOVEd once published, no marker) read the same.
 *
 * Every status change is a conditional UpdateItem on what the writer last saw, so two writers can never both win.
 */
import { type AttributeValue, ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { OrderUpdateAction } from "#pincode/schemas.ts";
import { createDynamoBatcher } from "./dynamo-batcher.ts";
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
  /** The final status's event (CommandSucceeded / CommandRejected / CommandFailed) is not yet confirmed published. */
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
  /** The command, `eventPending` resolved against its outbox marker. */
  get(commandId: string): Promise<CommandRecord | undefined>;
  /** Creates the command unless its id exists; then returns what is stored (the caller compares fingerprints). */
  create(record: CommandRecord): Promise<{ created: true } | { created: false; existing: CommandRecord }>;
  /** Commands by id, read together (BatchGetItem; absent ids left out; `eventPending` not resolved). */
  getMany(commandIds: readonly string[]): Promise<CommandRecord[]>;
  /** Writes the order's pointer item (idempotent: same key, same content). */
  linkToOrder(orderId: string, commandId: string, createdAt: number): Promise<void>;
  /** The order's commands, oldest first (read together, BatchGetItem; `eventPending` not resolved). */
  listForOrder(orderId: string): Promise<CommandRecord[]>;
  /**
   * The order's commands created before `commandId` (by its pointer: creation time, then id) that are still QUEUED or
   * SENT, oldest first; `undefined` when the order has no pointer for `commandId`.
   */
  earlierUnfinished(orderId: string, commandId: string): Promise<CommandRecord[] | undefined>;
  /**
   * The first-try claim (issue 11: one request instead of GetItem + UpdateItem): starts an attempt of the order
   * command `commandId` of `orderId` if it is QUEUED or SENT, no attempt is in flight and fewer than `maxAttempts`
   * were made, and returns the claimed command (ALL_NEW). `undefined` when any of that does not hold: the caller then
   * reads the command and takes the full path (final, in flight, out of attempts, not an order command).
   */
  claimIfIdle(commandId: string, orderId: string, maxAttempts: number, now: number): Promise<CommandRecord | undefined>;
  /**
   * Starts an attempt: status SENT, attempts + 1, inFlight. Conditional on the attempts count read before, so a
   * concurrent executor loses; `undefined` when it did (or the command is already final).
   */
  claim(commandId: string, seenAttempts: number, now: number): Promise<CommandRecord | undefined>;
  /** The attempt did not reach Pincode's order logic (throttled, auth refused): nothing to check before the next. */
  releaseNotSent(commandId: string, attempts: number, reason: string, now: number): Promise<void>;
  /** The attempt's result is unknown (timeout, 5xx, lost response): stays SENT + inFlight for a Status Check. */
  recordAmbiguous(commandId: string, attempts: number, reason: string, now: number): Promise<void>;
  /**
   * Final outcome; only from a non-final status, so the first final writer wins. Returns the final command as written
   * (ALL_NEW), `undefined` when another writer had finished it.
   */
  complete(
    commandId: string,
    status: "SUCCEEDED" | "REJECTED" | "FAILED",
    outcome: CommandOutcome,
    now: number,
    options?: { announce?: boolean },
  ): Promise<CommandRecord | undefined>;
  /** The final status's event was published: writes the outbox marker for the completion at `completedAt`. */
  clearEventPending(commandId: string, completedAt: number | undefined): Promise<void>;
  /** JSON-ready reads for the seller API. */
  getCommand(commandId: string): Promise<CommandView | undefined>;
  listOrderCommands(orderId: string): Promise<CommandView[]>;
}

export const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

/** Every attribute of an order's command pointer: a grant limited to them can write pointers, never an order view. */
export const ORDER_COMMAND_POINTER_ATTRIBUTES = ["pk", "sk", "kind", "commandId", "createdAt", TTL_ATTRIBUTE] as const;

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

/** A batcher item (wire form) as the document client reads it; command items hold S, N, BOOL, NULL, L and M only. */
function plain(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  if (value.L) return value.L.map(plain);
  if (value.M) return plainItem(value.M);
  if (value.SS) return new Set(value.SS);
  if (value.NS) return new Set(value.NS.map(Number));
  return undefined;
}
const plainItem = (item: Record<string, AttributeValue>) =>
  Object.fromEntries(Object.entries(item).map(([key, value]) => [key, plain(value)]));

/** The sort key of a command's outbox marker (its partition is the command's). */
export const COMMAND_PUBLISHED_SK = "PUBLISHED";
const commandPublishedKey = (commandId: string) => ({ pk: keys.command(commandId).pk, sk: COMMAND_PUBLISHED_SK });

export function createCommandRepository(dynamo: DynamoDBClient, tableName: string): CommandRepository {
  const doc = documentClient(dynamo);
  // Issue 11: the concurrent records of a batch share predecessor reads and outbox-marker writes.
  const batcher = createDynamoBatcher(dynamo, tableName);

  async function getItem(commandId: string): Promise<CommandRecord | undefined> {
    const result = await doc.send(
      new GetCommand({ TableName: tableName, Key: keys.command(commandId), ConsistentRead: true }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  /** A conditional UpdateItem returning the command as written (ALL_NEW), or undefined when its condition failed. */
  async function updateReturning(input: Omit<UpdateCommandInput, "ReturnValues">): Promise<CommandRecord | undefined> {
    try {
      const result = await doc.send(new UpdateCommand({ ...input, ReturnValues: "ALL_NEW" }));
      return result.Attributes ? fromItem(result.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async function get(commandId: string): Promise<CommandRecord | undefined> {
    const record = await getItem(commandId);
    if (!record?.eventPending) return record;
    // Published once a marker names this completion (a previous release REMOVEd the flag instead: no marker needed).
    const marker = await batcher.get(commandPublishedKey(commandId));
    if (marker?.completedAt?.N !== undefined && Number(marker.completedAt.N) === (record.completedAt ?? 0)) {
      record.eventPending = false;
    }
    return record;
  }

  async function batchRead(ids: readonly string[]): Promise<CommandRecord[]> {
    const items = await Promise.all(ids.map((id) => batcher.get(keys.command(id))));
    return items.flatMap((item) => (item ? [fromItem(plainItem(item))] : []));
  }

  /** The order's command pointers, oldest first. */
  async function pointers(orderId: string): Promise<{ sk: string; commandId: string }[]> {
    const found: { sk: string; commandId: string }[] = [];
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
      for (const item of page.Items ?? []) {
        if (typeof item.commandId === "string") found.push({ sk: String(item.sk), commandId: item.commandId });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found;
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

    getMany: batchRead,

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
      return batchRead((await pointers(orderId)).map((p) => p.commandId));
    },

    async earlierUnfinished(orderId, commandId) {
      const all = await pointers(orderId);
      const own = all.findIndex((p) => p.commandId === commandId);
      if (own < 0) return undefined;
      // Sort keys are COMMAND#<createdAt, 15 digits>#<commandId>: query order is creation order, then id.
      const earlier = all.filter((p, i) => i !== own && p.sk < (all[own] as { sk: string }).sk);
      if (earlier.length === 0) return [];
      const records = await batchRead(earlier.map((p) => p.commandId));
      return records.filter((r) => r.status === "QUEUED" || r.status === "SENT");
    },

    async claimIfIdle(commandId, orderId, maxAttempts, now) {
      return updateReturning({
        TableName: tableName,
        Key: keys.command(commandId),
        UpdateExpression: "SET #status = :sent, attempts = attempts + :one, inFlight = :true, updatedAt = :now",
        // Not in flight: no attempt whose outcome is unknown (that needs a Status Check first), and no concurrent
        // executor between its claim and its outcome (it set inFlight): two executors can never both win.
        ConditionExpression:
          "#type = :orderActions AND orderId = :orderId AND attribute_exists(pincodeActions) AND " +
          "#status IN (:queued, :sent) AND inFlight = :false AND attempts < :max",
        ExpressionAttributeNames: { "#status": "status", "#type": "type" },
        ExpressionAttributeValues: {
          ":orderActions": "order-actions",
          ":orderId": orderId,
          ":sent": "SENT",
          ":queued": "QUEUED",
          ":one": 1,
          ":max": maxAttempts,
          ":true": true,
          ":false": false,
          ":now": now,
        },
      });
    },

    async claim(commandId, seenAttempts, now) {
      return updateReturning({
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
      });
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

    async complete(commandId, status, outcome, now, options = {}) {
      return updateReturning({
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
      // The final command as written (ALL_NEW): its event is built from it without reading it again.
    },

    async clearEventPending(commandId, completedAt) {
      // Issue 11: a small marker batched with the batch's other writes, instead of an UpdateItem on the command. It
      // expires with the command (the same retention from its completion is at least as long).
      const at = completedAt ?? 0;
      await batcher.put({
        pk: { S: commandPublishedKey(commandId).pk },
        sk: { S: COMMAND_PUBLISHED_SK },
        kind: { S: "COMMAND_PUBLISHED" },
        commandId: { S: commandId },
        completedAt: { N: String(at) },
        [TTL_ATTRIBUTE]: { N: String(Math.floor((Date.now() + COMMAND_RETENTION_MS) / 1000)) },
      });
    },

    async getCommand(commandId) {
      const record = await getItem(commandId);
      return record ? toCommandView(record) : undefined;
    },

    async listOrderCommands(orderId) {
      return (await repository.listForOrder(orderId)).map(toCommandView);
    },
  };
  return repository;
}
