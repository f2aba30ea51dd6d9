/**
 * Catalog and store submissions (issue 9; PINCODE-API §1.4, §3.4, A5):
 *
 * - `SUBMISSION#<submissionId>` / `STATE`, our id, created PENDING (stage QUEUED) with its Pincode messages when the
 *   seller submits; the commands function sends it (stage SENT), records Pincode's `submissionId` (stage SUBMITTED) or
 *   a synchronous refusal (REJECTED) or giving up (FAILED).
 * - `SUBMISSION#<pincodeSubmissionId>` / `STATE`: where the result callback lands
 *   (functions/adapters/submission-result-repository.ts merges it with UpdateItem). The commands function adds
 *   `linkedSubmissionId` to it, so whichever of the two writes comes second sees both halves; reads follow the link
 *   and correlate the result's issues to our messages by `messageId`.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient, isConditionFailure } from "./command-repository.ts";
import { type BridgeEvent, SUBMISSION_COMPLETED, type SubmissionCompletedDetail } from "./event-publisher.ts";
import { keys, TTL_ATTRIBUTE } from "./table.ts";

export type SubmissionType = "store-toggle" | "listings";
export type SubmissionOperation = "STORE_TOGGLE" | "CREATE" | "PARTIAL_UPDATE";
export type SubmissionStatus = "PENDING" | "COMPLETED" | "REJECTED" | "FAILED";
export type SubmissionStage = "QUEUED" | "SENT" | "SUBMITTED";

/** Submissions expire 90 days after creation (TTL `expiresAt`). */
export const SUBMISSION_RETENTION_MS = 90 * 24 * 3_600_000;

export interface SubmissionError {
  errorCode?: string | null;
  message?: string | null;
  httpStatus?: number | null;
  reason?: string;
}

export interface SubmissionRecord {
  submissionId: string;
  commandId: string;
  type: SubmissionType;
  operation: SubmissionOperation;
  storeId: string;
  /** The Pincode messages exactly as they will be sent (each with its messageId). */
  messages: Record<string, unknown>[];
  /** For each message, the index of the row of the seller's request it came from. */
  rows: number[];
  /** PENDING until the result callback (COMPLETED), or REJECTED / FAILED when it never reached Pincode's queue. */
  status: "PENDING" | "REJECTED" | "FAILED";
  stage: SubmissionStage;
  /** Pincode requestId, the same on every attempt. */
  requestId: string;
  attempts: number;
  inFlight: boolean;
  pincodeSubmissionId?: string;
  error?: SubmissionError;
  createdAt: number;
  updatedAt: number;
  sentAt?: number;
}

/** The result callback's half, as submission-result-repository.ts writes it. */
export interface SubmissionResultPart {
  processingStatus: string;
  resultOutcome: "SUCCEEDED" | "FAILED" | "PARTIAL";
  issues: {
    messageId: string | null;
    code: string | null;
    severity: string | null;
    message: string | null;
    attributeErrors: unknown[];
  }[];
  messageOutcomes: Record<string, string>;
  resultSummary: Record<string, unknown> | null;
  resultReceivedAt: number;
}

export type MessageOutcomeView = "PENDING" | "SUCCEEDED" | "WARNING" | "FAILED" | "REJECTED";

export interface SubmissionMessageView {
  messageId: string;
  row: number;
  serviceProviderId: string | null;
  serviceProviderItemId: string | null;
  type: string | null;
  outcome: MessageOutcomeView;
  issues: { code: string | null; severity: string | null; message: string | null }[];
}

export interface SubmissionView {
  submissionId: string;
  commandId: string;
  type: SubmissionType;
  operation: SubmissionOperation;
  storeId: string;
  status: SubmissionStatus;
  stage: SubmissionStage;
  /** Milliseconds since creation while PENDING, else null. */
  pendingForMs: number | null;
  pincodeSubmissionId: string | null;
  /** SUCCEEDED | FAILED | PARTIAL once the result callback arrived. */
  outcome: string | null;
  summary: Record<string, unknown> | null;
  messages: SubmissionMessageView[];
  error: SubmissionError | null;
  attempts: number;
  createdAt: number;
  sentAt: number | null;
  completedAt: number | null;
}

export interface SubmissionRepository {
  /** Creates the submission unless it exists (then returns what is stored). */
  create(record: SubmissionRecord): Promise<{ created: boolean; record: SubmissionRecord }>;
  get(submissionId: string): Promise<SubmissionRecord | undefined>;
  claim(submissionId: string, seenAttempts: number, now: number): Promise<SubmissionRecord | undefined>;
  releaseNotSent(submissionId: string, attempts: number, reason: string, now: number): Promise<void>;
  recordAmbiguous(submissionId: string, attempts: number, reason: string, now: number): Promise<void>;
  /**
   * Pincode accepted the request: records its submissionId and links the result item back to ours. Returns the
   * result half when the result callback was already processed (the caller then announces completion).
   */
  markSubmitted(
    submissionId: string,
    pincodeSubmissionId: string,
    now: number,
  ): Promise<{ result: SubmissionResultPart | undefined }>;
  markFinal(submissionId: string, status: "REJECTED" | "FAILED", error: SubmissionError, now: number): Promise<boolean>;
  /**
   * The SubmissionCompleted event for Pincode's submission `pincodeSubmissionId`, when both halves are stored (our
   * submission linked to it, and its result callback); else undefined.
   */
  completedEvent(pincodeSubmissionId: string): Promise<BridgeEvent | undefined>;
  /** JSON-ready view for the seller API; accepts our id or Pincode's. */
  getSubmission(submissionId: string, now?: number): Promise<SubmissionView | undefined>;
}

const FIELDS = [
  "submissionId",
  "commandId",
  "type",
  "operation",
  "storeId",
  "messages",
  "rows",
  "status",
  "stage",
  "requestId",
  "attempts",
  "inFlight",
  "pincodeSubmissionId",
  "error",
  "createdAt",
  "updatedAt",
  "sentAt",
] as const;

function fromItem(item: Record<string, unknown>): SubmissionRecord {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) if (item[field] !== undefined) record[field] = item[field];
  record.attempts = Number(record.attempts ?? 0);
  record.inFlight = record.inFlight === true;
  return record as unknown as SubmissionRecord;
}

/** Reads the result callback's half from an item, if present. */
export function resultPartOf(item: Record<string, unknown> | undefined): SubmissionResultPart | undefined {
  if (!item || typeof item.processingStatus !== "string") return undefined;
  const parse = (value: unknown, fallback: unknown) => {
    if (typeof value !== "string") return fallback;
    try {
      return JSON.parse(value);
    } catch {
      return fallback;
    }
  };
  return {
    processingStatus: item.processingStatus,
    resultOutcome: (item.resultOutcome as SubmissionResultPart["resultOutcome"]) ?? "FAILED",
    issues: parse(item.issues, []) as SubmissionResultPart["issues"],
    messageOutcomes: (item.messageOutcomes as Record<string, string> | undefined) ?? {},
    resultSummary: parse(item.resultSummary, null) as Record<string, unknown> | null,
    resultReceivedAt: Number(item.resultReceivedAt ?? 0),
  };
}

/** Per-message outcome: an ERROR issue fails the message, only warnings make it WARNING, none means it succeeded. */
export function messageViews(
  record: SubmissionRecord,
  result: SubmissionResultPart | undefined,
): SubmissionMessageView[] {
  return record.messages.map((message, index) => {
    const messageId = String(message.messageId);
    const data = (message.data ?? {}) as Record<string, unknown>;
    const issues = (result?.issues ?? [])
      .filter((issue) => issue.messageId === messageId)
      .map((issue) => ({ code: issue.code, severity: issue.severity, message: issue.message }));
    let outcome: MessageOutcomeView = "PENDING";
    if (record.status === "REJECTED" || record.status === "FAILED") outcome = "REJECTED";
    else if (result) {
      const perMessage = result.messageOutcomes[messageId];
      outcome = perMessage === "FAILED" ? "FAILED" : perMessage === "WARNING" ? "WARNING" : "SUCCEEDED";
    }
    return {
      messageId,
      row: record.rows[index] ?? index,
      serviceProviderId: typeof message.serviceProviderId === "string" ? message.serviceProviderId : null,
      serviceProviderItemId: typeof message.serviceProviderItemId === "string" ? message.serviceProviderItemId : null,
      type:
        typeof data.type === "string"
          ? data.type
          : typeof message.operationType === "string"
            ? message.operationType
            : null,
      outcome,
      issues,
    };
  });
}

export function toSubmissionView(
  record: SubmissionRecord,
  result: SubmissionResultPart | undefined,
  now: number,
): SubmissionView {
  const status: SubmissionStatus =
    record.status === "REJECTED" || record.status === "FAILED" ? record.status : result ? "COMPLETED" : "PENDING";
  return {
    submissionId: record.submissionId,
    commandId: record.commandId,
    type: record.type,
    operation: record.operation,
    storeId: record.storeId,
    status,
    stage: record.stage,
    pendingForMs: status === "PENDING" ? Math.max(0, now - record.createdAt) : null,
    pincodeSubmissionId: record.pincodeSubmissionId ?? null,
    outcome: result?.resultOutcome ?? null,
    summary: result?.resultSummary ?? null,
    messages: messageViews(record, result),
    error: record.error ?? null,
    attempts: record.attempts,
    createdAt: record.createdAt,
    sentAt: record.sentAt ?? null,
    completedAt: result?.resultReceivedAt ?? null,
  };
}

/** The SubmissionCompleted event for a submission whose result callback has been processed. */
export function submissionCompletedEvent(
  record: SubmissionRecord,
  result: SubmissionResultPart,
  pincodeSubmissionId: string,
): BridgeEvent {
  const messages = messageViews(record, result);
  const tally = (outcome: string) => messages.filter((m) => m.outcome === outcome).length;
  const detail: SubmissionCompletedDetail = {
    submissionId: record.submissionId,
    pincodeSubmissionId,
    commandId: record.commandId,
    type: record.type,
    storeId: record.storeId,
    outcome: result.resultOutcome,
    processingStatus: result.processingStatus,
    counts: {
      messages: messages.length,
      succeeded: tally("SUCCEEDED"),
      warnings: tally("WARNING"),
      failed: tally("FAILED"),
    },
    messages: messages.map((m) => ({
      messageId: m.messageId,
      row: m.row,
      serviceProviderItemId: m.serviceProviderItemId,
      outcome: m.outcome,
      issueCodes: m.issues.map((i) => i.code ?? "").filter(Boolean),
    })),
    completedAt: result.resultReceivedAt,
  };
  return { detailType: SUBMISSION_COMPLETED, detail };
}

export function createSubmissionRepository(dynamo: DynamoDBClient, tableName: string): SubmissionRepository {
  const doc = documentClient(dynamo);

  async function getItem(submissionId: string): Promise<Record<string, unknown> | undefined> {
    const result = await doc.send(
      new GetCommand({ TableName: tableName, Key: keys.submission(submissionId), ConsistentRead: true }),
    );
    return result.Item;
  }

  async function get(submissionId: string): Promise<SubmissionRecord | undefined> {
    const item = await getItem(submissionId);
    return item && item.kind === "SUBMISSION" ? fromItem(item) : undefined;
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

  return {
    async create(record) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...keys.submission(record.submissionId),
              kind: "SUBMISSION",
              ...record,
              [TTL_ATTRIBUTE]: Math.floor((record.createdAt + SUBMISSION_RETENTION_MS) / 1000),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return { created: true, record };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await get(record.submissionId);
        if (!existing) throw error;
        return { created: false, record: existing };
      }
    },

    get,

    async claim(submissionId, seenAttempts, now) {
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.submission(submissionId),
            UpdateExpression: "SET stage = :sent, attempts = :next, inFlight = :true, updatedAt = :now, sentAt = :now",
            ConditionExpression: "attempts = :seen AND #status = :pending AND stage IN (:queued, :sent)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: {
              ":sent": "SENT",
              ":queued": "QUEUED",
              ":pending": "PENDING",
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

    async releaseNotSent(submissionId, attempts, reason, now) {
      await conditionalUpdate({
        TableName: tableName,
        Key: keys.submission(submissionId),
        UpdateExpression: "SET inFlight = :false, lastError = :reason, updatedAt = :now",
        ConditionExpression: "attempts = :attempts AND stage = :sent",
        ExpressionAttributeValues: {
          ":false": false,
          ":reason": reason,
          ":now": now,
          ":attempts": attempts,
          ":sent": "SENT",
        },
      });
    },

    async recordAmbiguous(submissionId, attempts, reason, now) {
      await conditionalUpdate({
        TableName: tableName,
        Key: keys.submission(submissionId),
        UpdateExpression: "SET lastError = :reason, updatedAt = :now",
        ConditionExpression: "attempts = :attempts AND stage = :sent",
        ExpressionAttributeValues: { ":reason": reason, ":now": now, ":attempts": attempts, ":sent": "SENT" },
      });
    },

    async markSubmitted(submissionId, pincodeSubmissionId, now) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.submission(submissionId),
          UpdateExpression: "SET stage = :submitted, inFlight = :false, pincodeSubmissionId = :p, updatedAt = :now",
          ExpressionAttributeValues: {
            ":submitted": "SUBMITTED",
            ":false": false,
            ":p": pincodeSubmissionId,
            ":now": now,
          },
        }),
      );
      const linked = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.submission(pincodeSubmissionId),
          UpdateExpression: "SET linkedSubmissionId = :ours, linkedAt = :now",
          ExpressionAttributeValues: { ":ours": submissionId, ":now": now },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { result: resultPartOf(linked.Attributes) };
    },

    markFinal(submissionId, status, error, now) {
      return conditionalUpdate({
        TableName: tableName,
        Key: keys.submission(submissionId),
        UpdateExpression: "SET #status = :status, #error = :error, inFlight = :false, updatedAt = :now",
        ConditionExpression: "#status = :pending",
        ExpressionAttributeNames: { "#status": "status", "#error": "error" },
        ExpressionAttributeValues: {
          ":status": status,
          ":error": error,
          ":false": false,
          ":now": now,
          ":pending": "PENDING",
        },
      });
    },

    async completedEvent(pincodeSubmissionId) {
      const item = await getItem(pincodeSubmissionId);
      const result = resultPartOf(item);
      const linked = typeof item?.linkedSubmissionId === "string" ? await get(item.linkedSubmissionId) : undefined;
      return result && linked ? submissionCompletedEvent(linked, result, pincodeSubmissionId) : undefined;
    },

    async getSubmission(submissionId, now = Date.now()) {
      let item = await getItem(submissionId);
      // Pincode's id: follow the link to ours.
      if (item && item.kind !== "SUBMISSION" && typeof item.linkedSubmissionId === "string") {
        item = await getItem(item.linkedSubmissionId);
      }
      if (item?.kind !== "SUBMISSION") return undefined;
      const record = fromItem(item);
      const result = record.pincodeSubmissionId ? resultPartOf(await getItem(record.pincodeSubmissionId)) : undefined;
      return toSubmissionView(record, result, now);
    },
  };
}
