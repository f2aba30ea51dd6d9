/**
 * The single-table key layout (DESIGN.md "Data"). The CDK table and the emulator tables are both built from these
 * names, so they cannot drift apart.
 */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;
/** GSI over current order views: all orders of a store by update time. Sparse: only VIEW items carry storeId. */
export const BY_STORE_INDEX = { name: "byStore", partitionKey: "storeId", sortKey: "updatedAt" } as const;
/** Epoch-seconds TTL attribute for housekeeping items (quarantine, history). */
export const TTL_ATTRIBUTE = "expiresAt";

export const keys = {
  orderView: (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: "VIEW" }),
  orderHistory: (orderId: string, at: number, id: string) => ({
    pk: `ORDER#${orderId}`,
    sk: `EVENT#${String(at).padStart(15, "0")}#${id}`,
  }),
  command: (commandId: string) => ({ pk: `COMMAND#${commandId}`, sk: "STATE" }),
  submission: (submissionId: string) => ({ pk: `SUBMISSION#${submissionId}`, sk: "STATE" }),
  pollCheckpoint: (storeId: string) => ({ pk: `STORE#${storeId}`, sk: "POLL" }),
  /**
   * Issue 11: the highest order-changed version whose events were published (the processor's outbox marker, batched).
   * Its own partition, so nothing that queries `ORDER#<id>` sees it.
   */
  orderPublished: (orderId: string) => ({ pk: `PUBLISHED#${orderId}`, sk: "MARKER" }),
  /** A store's configuration (stores are data: functions/adapters/store-repository.ts). */
  storeConfig: (storeId: string) => ({ pk: `STORE#${storeId}`, sk: "CONFIG" }),
  /** The store directory: one small item per store under one partition, so stores are listed by a Query, never a Scan. */
  storeDirectory: (storeId: string) => ({ pk: "STORES", sk: `STORE#${storeId}` }),
  /** Pending submissions by age: one small item per submission waiting for its result callback (oldest first). */
  pendingSubmission: (since: number, submissionId: string) => ({
    pk: "SUBMISSIONS#PENDING",
    sk: `${String(since).padStart(15, "0")}#${submissionId}`,
  }),
  /**
   * QUEUED commands by creation time: one small item per command, written before the command itself, so the poller's
   * sweep finds a command whose queue message was never sent (functions/poller/stranded-commands.ts).
   */
  queuedCommand: (createdAt: number, commandId: string) => ({
    pk: "COMMANDS#QUEUED",
    sk: `${String(createdAt).padStart(15, "0")}#${commandId}`,
  }),
  /** The shared Pincode rate budget's pacing schedule, one item per bucket (docs/rate-budget.md). */
  rateBudget: (bucket: string) => ({ pk: `RATEBUDGET#${bucket}`, sk: "PACE" }),
  quarantine: (at: number, id: string) => ({
    pk: `QUARANTINE#${new Date(at).toISOString().slice(0, 10)}`,
    sk: `${String(at).padStart(15, "0")}#${id}`,
  }),
} as const;

/** The CreateTable input for emulators (dynalite, DynamoDB Local); the CDK data stack mirrors it. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: "S" as const },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: "S" as const },
      { AttributeName: BY_STORE_INDEX.partitionKey, AttributeType: "S" as const },
      { AttributeName: BY_STORE_INDEX.sortKey, AttributeType: "N" as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: BY_STORE_INDEX.name,
        KeySchema: [
          { AttributeName: BY_STORE_INDEX.partitionKey, KeyType: "HASH" as const },
          { AttributeName: BY_STORE_INDEX.sortKey, KeyType: "RANGE" as const },
        ],
        Projection: { ProjectionType: "ALL" as const },
      },
    ],
  };
}
