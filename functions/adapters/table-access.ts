/**
 * What each table adapter sends to DynamoDB, on which item kinds: the one source the CDK stack builds every function's
 * IAM grants from (`dynamodb:LeadingKeys` conditions), so a grant cannot drift from the keys the code writes. Emulators
 * do not enforce IAM, so a missing prefix here would only show in production: test/infra/table-access.test.ts scans
 * every adapter's source for the commands it sends and the partition keys it builds and fails when one is not listed.
 *
 * Plain data (no aws-cdk-lib): `functions/` never imports the CDK; `lib/` imports this.
 */
import { retentionKeys } from "./buyer-data-retention.ts";
import { ORDER_COMMAND_POINTER_ATTRIBUTES } from "./command-repository.ts";
import { SYNC_STATE_ATTRIBUTES } from "./order-repository.ts";
import { keys } from "./table.ts";
import { unknownCallbackKey } from "./unknown-callback-repository.ts";

/** The DynamoDB actions our adapters send (IAM names without the `dynamodb:` prefix). No Scan, no transactions. */
export type TableAction =
  | "GetItem"
  | "BatchGetItem"
  | "Query"
  | "PutItem"
  | "UpdateItem"
  | "DeleteItem"
  | "BatchWriteItem";

/** An id no real key holds: the key builders called with it give the partition pattern of their item kind. */
const ANY = "*";
/** `QUARANTINE#2025-01-02` -> `QUARANTINE#*`: partitions named by day cannot take `*` through their builder. */
const dayPartition = (pk: string) => `${pk.slice(0, pk.indexOf("#") + 1)}*`;

/**
 * The partition (`pk`) pattern of every item kind, as IAM `StringLike` reads it, each from the key builder itself
 * (DESIGN.md "Data"). Sort keys are not conditionable in IAM: an item kind is told apart by its partition only.
 */
export const PARTITIONS = {
  /** `ORDER#<orderId>`: the view, its history and the order's command pointers. */
  order: keys.orderView(ANY).pk,
  /** `PUBLISHED#<orderId>`: the processor's outbox marker (issue 11). */
  orderPublished: keys.orderPublished(ANY).pk,
  command: keys.command(ANY).pk,
  submission: keys.submission(ANY).pk,
  /** `SUBMISSIONS#PENDING`: one partition, exact. */
  pendingSubmissions: keys.pendingSubmission(0, ANY).pk,
  /** `COMMANDS#QUEUED`: the queued-command index, one partition, exact (`COMMAND#*` does not match it). */
  queuedCommands: keys.queuedCommand(0, ANY).pk,
  /** `STORE#<id>`: store config and poll checkpoint. */
  store: keys.storeConfig(ANY).pk,
  /** `STORES`: the store directory, one partition, exact. */
  storeDirectory: keys.storeDirectory(ANY).pk,
  rateBudget: keys.rateBudget(ANY).pk,
  quarantine: dayPartition(keys.quarantine(0, ANY).pk),
  unknownCallback: dayPartition(unknownCallbackKey(0, ANY).pk),
  /** `RETENTION#<day>`: the optional buyer-data retention index (docs/buyer-data.md). */
  retention: retentionKeys.entry(ANY, ANY).pk,
  /** `RETENTION`: the purge's checkpoint, one partition, exact. */
  retentionCheckpoint: retentionKeys.checkpoint.pk,
} as const;
export type PartitionKind = keyof typeof PARTITIONS;

/** One grant: these actions on items whose partition matches one of these kinds. */
export interface TableAccess {
  readonly actions: readonly TableAction[];
  readonly partitions: readonly PartitionKind[];
  /**
   * When set, reads may fetch only these attributes (`dynamodb:Attributes`, with `dynamodb:Select` SPECIFIC_ATTRIBUTES):
   * how the poller checks an order's freshness without being able to read its buyer.
   */
  readonly attributes?: readonly string[];
}

/** Queries on the byStore GSI. Its partition key is the raw store id (no prefix), so it is granted by index ARN only. */
export const BY_STORE_INDEX_QUERY = "byStoreIndexQuery";

/**
 * Each adapter's table access, by file name under functions/adapters/. An adapter that reads another adapter's items
 * through it (pending-submission-index -> submission-repository's get) lists that access as its own.
 */
export const ADAPTER_TABLE_ACCESS = {
  "command-repository": [
    { actions: ["GetItem", "PutItem", "UpdateItem"], partitions: ["command"] },
    // Issue 11: an order's earlier commands read together, the COMMAND#<id>/PUBLISHED outbox markers batched.
    { actions: ["BatchGetItem", "BatchWriteItem"], partitions: ["command"] },
    // The order's pointer ORDER#<id>/COMMAND#<ts>#<id>: written once, listed by Query.
    { actions: ["PutItem", "Query"], partitions: ["order"] },
  ],
  "order-repository": [
    // View and outbox marker read together (BatchGetItem), history and marker batched (BatchWriteItem).
    { actions: ["BatchGetItem", "BatchWriteItem", "PutItem", "UpdateItem"], partitions: ["order", "orderPublished"] },
    // A final order's buyer-data retention entry, its own PutItem (sent only with buyerDataRetentionDays set).
    { actions: ["PutItem"], partitions: ["retention"] },
  ],
  "buyer-data-retention": [
    // Reads due entries by day, strips buyer fields from the view and its history, deletes handled entries.
    { actions: ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"], partitions: ["order", "retention"] },
    { actions: ["GetItem", "PutItem"], partitions: ["retentionCheckpoint"] },
  ],
  "order-query-repository": [{ actions: ["Query"], partitions: ["order"] }],
  "pending-submission-index": [
    { actions: ["PutItem", "Query", "DeleteItem"], partitions: ["pendingSubmissions"] },
    { actions: ["GetItem"], partitions: ["submission"] },
  ],
  "pending-submissions-reader": [
    { actions: ["Query"], partitions: ["pendingSubmissions"] },
    { actions: ["GetItem"], partitions: ["submission"] },
  ],
  // BatchGetItem: the fan-out reads many stores' next-due times at once (issue 13).
  // Written before every command item (seller API, processor automation); read and cleared by the poller's sweep.
  "queued-command-index": [{ actions: ["PutItem"], partitions: ["queuedCommands"] }],
  "queued-command-entries": [{ actions: ["Query", "BatchWriteItem"], partitions: ["queuedCommands"] }],
  "poll-checkpoint-repository": [{ actions: ["BatchGetItem", "GetItem", "UpdateItem"], partitions: ["store"] }],
  "quarantine-reader": [{ actions: ["GetItem", "Query", "UpdateItem"], partitions: ["quarantine"] }],
  "quarantine-repository": [{ actions: ["PutItem"], partitions: ["quarantine"] }],
  "rate-budget-store": [{ actions: ["GetItem", "UpdateItem"], partitions: ["rateBudget"] }],
  "store-config-reader": [{ actions: ["GetItem", "UpdateItem"], partitions: ["store"] }],
  "store-repository": [
    {
      actions: ["BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"],
      partitions: ["store", "storeDirectory"],
    },
  ],
  "submission-repository": [{ actions: ["GetItem", "PutItem", "UpdateItem"], partitions: ["submission"] }],
  "submission-result-repository": [{ actions: ["UpdateItem"], partitions: ["submission"] }],
  "unknown-callback-repository": [{ actions: ["PutItem"], partitions: ["unknownCallback"] }],
} as const satisfies Record<string, readonly TableAccess[]>;
export type TableAdapter = keyof typeof ADAPTER_TABLE_ACCESS;

/** Part of an adapter: the methods a function calls (through its deps field `via`) and the access they need. */
export interface NarrowTableAccess {
  readonly adapter: TableAdapter;
  readonly via: string;
  readonly methods: readonly string[];
  readonly access: readonly TableAccess[];
}

/**
 * Narrower uses of an adapter, for a function that calls only part of it (the test checks the calls and that each is
 * a subset of the adapter's whole access).
 */
export const NARROW_TABLE_ACCESS = {
  /** The poller compares poll hits with the stored freshness and write time: a projected read, no buyer data. */
  orderSyncState: {
    adapter: "order-repository",
    via: "orders",
    methods: ["getSyncState"],
    access: [{ actions: ["BatchGetItem"], partitions: ["order"], attributes: ["pk", "sk", ...SYNC_STATE_ATTRIBUTES] }],
  },
  /** The seller API records a submission as pending; only the poller reads and clears the index. */
  pendingSubmissionMark: {
    adapter: "pending-submission-index",
    via: "pendingSubmissions",
    methods: ["markPending"],
    access: [{ actions: ["PutItem"], partitions: ["pendingSubmissions"] }],
  },
  /**
   * The poller's sweep re-sends stranded commands: reads them in a batch and (re)writes an order command's pointer,
   * limited to the pointer's attributes, so the poller still cannot write an order view or its buyer.
   */
  strandedCommandResend: {
    adapter: "command-repository",
    via: "commands",
    methods: ["getMany", "linkToOrder"],
    access: [
      { actions: ["BatchGetItem"], partitions: ["command"] },
      { actions: ["PutItem"], partitions: ["order"], attributes: [...ORDER_COMMAND_POINTER_ATTRIBUTES] },
    ],
  },
} as const satisfies Record<string, NarrowTableAccess>;

/** The table use of one function: the adapters it wires, a narrowed use where it calls only part of one, the index. */
export interface FunctionTableUse {
  readonly adapters: readonly TableAdapter[];
  /** Adapter -> the narrower access used instead of the adapter's whole access. */
  readonly narrowed?: Partial<Record<TableAdapter, keyof typeof NARROW_TABLE_ACCESS>>;
  /** Queries the byStore GSI (order listings). */
  readonly byStoreIndex?: boolean;
}

/**
 * Every function's table use, by function folder name. The stack grants exactly this; the test checks it against
 * the adapters each function's code imports (a function that starts using an adapter fails the test until listed).
 */
export const FUNCTION_TABLE_USE = {
  callback: { adapters: [] },
  "callback-auth": { adapters: [] },
  poller: {
    adapters: [
      "poll-checkpoint-repository",
      "store-repository",
      "pending-submission-index",
      "rate-budget-store",
      "order-repository",
      // The sweep of stranded commands (poller/stranded-commands.ts): the index, the commands, their submissions.
      "queued-command-entries",
      "command-repository",
      "submission-repository",
    ],
    // Poll hits are compared with the stored view's freshness only: the poller reads no buyer, and writes no order
    // item but a command pointer (its attributes only).
    narrowed: { "order-repository": "orderSyncState", "command-repository": "strandedCommandResend" },
  },
  processor: {
    adapters: [
      "order-repository",
      "submission-result-repository",
      "submission-repository",
      "unknown-callback-repository",
      "quarantine-repository",
      "rate-budget-store",
      // Per-store automation (auto-accept) submits commands through commands/submit.ts.
      "command-repository",
      "queued-command-index",
      "store-config-reader",
    ],
  },
  commands: {
    adapters: ["command-repository", "submission-repository", "order-repository", "rate-budget-store"],
  },
  "seller-api": {
    adapters: [
      "order-query-repository",
      "pending-submission-index",
      "poll-checkpoint-repository",
      "store-repository",
      "pending-submissions-reader",
      "quarantine-reader",
      // Order actions, listings and store toggles through commands/submit.ts.
      "command-repository",
      "submission-repository",
      "order-repository",
      "store-config-reader",
      "queued-command-index",
    ],
    narrowed: { "pending-submission-index": "pendingSubmissionMark" },
    byStoreIndex: true,
  },
  /** The optional daily buyer-data purge (deployed only with buyerDataRetentionDays). */
  retention: { adapters: ["buyer-data-retention"] },
} as const satisfies Record<string, FunctionTableUse>;
export type TableFunction = keyof typeof FUNCTION_TABLE_USE;

/**
 * A function's grants, one per access entry (entries over the same partitions merged). An entry stays one statement:
 * a single request may name several of its partitions (the order repository reads a view and its outbox marker in one
 * BatchGetItem), and IAM's `ForAllValues` must find every leading key of the request in ONE statement's list.
 */
export function tableGrantsOf(use: FunctionTableUse): {
  actions: TableAction[];
  partitions: string[];
  attributes?: string[];
}[] {
  const accesses: readonly TableAccess[] = use.adapters.flatMap((adapter): readonly TableAccess[] => {
    const narrow = use.narrowed?.[adapter];
    return narrow ? NARROW_TABLE_ACCESS[narrow].access : ADAPTER_TABLE_ACCESS[adapter];
  });
  const grants = new Map<string, { actions: Set<TableAction>; partitions: string[]; attributes?: string[] }>();
  for (const access of accesses) {
    const partitions = [...new Set(access.partitions.map((kind) => PARTITIONS[kind]))].sort();
    const attributes = access.attributes ? [...access.attributes] : undefined;
    const id = `${partitions.join(",")}|${attributes?.join(",") ?? ""}`;
    const grant = grants.get(id) ?? {
      actions: new Set<TableAction>(),
      partitions,
      ...(attributes ? { attributes } : {}),
    };
    for (const action of access.actions) grant.actions.add(action);
    grants.set(id, grant);
  }
  return [...grants.values()].map((g) => ({ ...g, actions: [...g.actions].sort() }));
}
