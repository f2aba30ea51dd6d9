/**
 * Stores are data (issue 9): the stores the bridge serves live in the table, not in deploy config. `-c storeIds` /
 * STORE_IDS only seeds the list (missing stores are added as ACTIVE; a retired one is never brought back by a seed).
 *
 * Items (SHARED-FILES.md "Store config item"):
 *   `STORE#<id>` / `CONFIG`  storeId, status ACTIVE|RETIRED, createdAt, updatedAt, name?, automation {autoAccept,
 *                            packOnAccept}, availability {status, validTill?, submissionId?, setAt}, retiredAt?
 *   `STORES` / `STORE#<id>`  the directory entry (storeId only), so all stores are listed by one Query, never a Scan.
 * The CONFIG item is authoritative; the directory only says which CONFIG items to read. A write creates CONFIG first
 * and the directory entry second, so a failure in between leaves a store that is simply not listed until the
 * (idempotent) PUT or seed is retried; a directory entry without CONFIG is skipped.
 *
 * Note: the CONFIG item carries `storeId` and `updatedAt`, the byStore GSI's keys, so it is also projected into that
 * index; order listings filter on `kind = ORDER_VIEW` (order-query-repository.ts).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { keyOf, N, S } from "./attributes.ts";
import { keys } from "./table.ts";

export type StoreStatus = "ACTIVE" | "RETIRED";

export interface StoreAutomation {
  autoAccept: boolean;
  packOnAccept: boolean;
}

export interface StoreAvailability {
  status: "ENABLED" | "DISABLED";
  validTill?: number;
  submissionId?: string;
  setAt: number;
}

export interface StoreConfig {
  storeId: string;
  status: StoreStatus;
  createdAt: number;
  updatedAt: number;
  name?: string;
  automation: StoreAutomation;
  availability?: StoreAvailability;
  retiredAt?: number;
}

export interface StorePut {
  storeId: string;
  name?: string;
  automation?: Partial<StoreAutomation>;
}

export interface StoreRepository {
  get(storeId: string): Promise<StoreConfig | undefined>;
  /** Every store the bridge knows, active and retired, ordered by id. */
  list(): Promise<StoreConfig[]>;
  /** The ids of the ACTIVE stores (what the poller fans out to). */
  listActiveIds(): Promise<string[]>;
  /** Adds the store, or updates it (a retired store becomes ACTIVE again). `created` says which. */
  put(input: StorePut, now: number): Promise<{ store: StoreConfig; created: boolean }>;
  /** Marks the store RETIRED (its orders stay readable); undefined when there is no such store. */
  retire(storeId: string, now: number): Promise<StoreConfig | undefined>;
  /** Adds the missing ones as ACTIVE; existing stores (retired included) are left as they are. Returns how many were added. */
  seed(storeIds: readonly string[], now: number): Promise<number>;
  /** Records the availability last asked for (the Store Toggle's outcome arrives with its submission). */
  setAvailability(storeId: string, availability: StoreAvailability, now: number): Promise<void>;
}

/** A store id as accepted from the API and from STORE_IDS: Pincode's serviceProviderId, conservatively bounded. */
export const STORE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const STORE_ID_FORM = "1-64 characters: letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

const BATCH_GET_MAX_KEYS = 100;
/** Conditional puts in flight while seeding STORE_IDS. */
const SEED_CONCURRENCY = 16;

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

export function storeFromItem(item: Record<string, AttributeValue>): StoreConfig {
  const n = (v: AttributeValue | undefined) => (v?.N === undefined ? undefined : Number(v.N));
  const automation = item.automation?.M ?? {};
  const store: StoreConfig = {
    storeId: item.storeId?.S ?? "",
    status: item.status?.S === "RETIRED" ? "RETIRED" : "ACTIVE",
    createdAt: n(item.createdAt) ?? 0,
    updatedAt: n(item.updatedAt) ?? 0,
    automation: {
      autoAccept: automation.autoAccept?.BOOL === true,
      packOnAccept: automation.packOnAccept?.BOOL === true,
    },
  };
  if (item.name?.S) store.name = item.name.S;
  const retiredAt = n(item.retiredAt);
  if (retiredAt !== undefined) store.retiredAt = retiredAt;
  const availability = item.availability?.M;
  if (availability?.status?.S) {
    store.availability = {
      status: availability.status.S === "DISABLED" ? "DISABLED" : "ENABLED",
      setAt: n(availability.setAt) ?? 0,
    };
    const validTill = n(availability.validTill);
    if (validTill !== undefined) store.availability.validTill = validTill;
    if (availability.submissionId?.S) store.availability.submissionId = availability.submissionId.S;
  }
  return store;
}

export function createStoreRepository(dynamo: DynamoDBClient, tableName: string): StoreRepository {
  const putDirectory = (storeId: string) =>
    dynamo.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...keyOf(keys.storeDirectory(storeId)), kind: S("STORE_DIRECTORY"), directoryStoreId: S(storeId) },
      }),
    );

  async function get(storeId: string) {
    const result = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: keyOf(keys.storeConfig(storeId)), ConsistentRead: true }),
    );
    return result.Item ? storeFromItem(result.Item) : undefined;
  }

  async function directoryIds(): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": S(keys.storeDirectory("").pk) },
          ProjectionExpression: "sk",
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const sk = item.sk?.S ?? "";
        if (sk.startsWith("STORE#")) ids.push(sk.slice("STORE#".length));
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return ids;
  }

  async function list(): Promise<StoreConfig[]> {
    const ids = await directoryIds();
    const stores: StoreConfig[] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX_KEYS) {
      let requestKeys = ids.slice(i, i + BATCH_GET_MAX_KEYS).map((id) => keyOf(keys.storeConfig(id)));
      for (let attempt = 1; requestKeys.length > 0; attempt++) {
        const result = await dynamo.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: requestKeys, ConsistentRead: true } } }),
        );
        for (const item of result.Responses?.[tableName] ?? []) stores.push(storeFromItem(item));
        requestKeys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (requestKeys.length > 0 && attempt >= 8) throw new Error("store list: DynamoDB kept keys unprocessed");
        if (requestKeys.length > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
      }
    }
    return stores.sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
  }

  return {
    get,
    list,

    async listActiveIds() {
      return (await list()).filter((s) => s.status === "ACTIVE").map((s) => s.storeId);
    },

    async put(input, now) {
      const names: Record<string, string> = { "#status": "status" };
      const values: Record<string, AttributeValue> = {
        ":kind": S("STORE_CONFIG"),
        ":id": S(input.storeId),
        ":active": S("ACTIVE"),
        ":now": N(now),
        ":off": { M: { autoAccept: { BOOL: false }, packOnAccept: { BOOL: false } } },
      };
      const sets = [
        "kind = :kind",
        "storeId = :id",
        "#status = :active",
        "updatedAt = :now",
        "createdAt = if_not_exists(createdAt, :now)",
        "automation = if_not_exists(automation, :off)",
      ];
      if (input.name !== undefined) {
        sets.push("#name = :name");
        names["#name"] = "name";
        values[":name"] = S(input.name);
      }
      const removes = ["retiredAt"];
      const result = await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.storeConfig(input.storeId)),
          UpdateExpression: `SET ${sets.join(", ")} REMOVE ${removes.join(", ")}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_OLD",
        }),
      );
      const created = !result.Attributes || Object.keys(result.Attributes).length === 0;
      // Nested automation flags are set one by one after the map exists, so an omitted flag keeps its value.
      const flags = Object.entries(input.automation ?? {}).filter(([, v]) => typeof v === "boolean");
      if (flags.length > 0) {
        await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(keys.storeConfig(input.storeId)),
            UpdateExpression: `SET ${flags.map(([k]) => `automation.#${k} = :${k}`).join(", ")}`,
            ExpressionAttributeNames: Object.fromEntries(flags.map(([k]) => [`#${k}`, k])),
            ExpressionAttributeValues: Object.fromEntries(flags.map(([k, v]) => [`:${k}`, { BOOL: v as boolean }])),
          }),
        );
      }
      await putDirectory(input.storeId);
      const store = await get(input.storeId);
      if (!store) throw new Error("store vanished right after it was written");
      return { store, created };
    },

    async retire(storeId, now) {
      try {
        const result = await dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(keys.storeConfig(storeId)),
            UpdateExpression: "SET #status = :retired, updatedAt = :now, retiredAt = if_not_exists(retiredAt, :now)",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":retired": S("RETIRED"), ":now": N(now) },
            ReturnValues: "ALL_NEW",
          }),
        );
        // A seeded store written before the directory existed is listed from now on.
        await putDirectory(storeId);
        return storeFromItem(result.Attributes ?? {});
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async seed(storeIds, now) {
      let added = 0;
      const seedOne = async (storeId: string) => {
        try {
          await dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                ...keyOf(keys.storeConfig(storeId)),
                kind: S("STORE_CONFIG"),
                storeId: S(storeId),
                status: S("ACTIVE"),
                createdAt: N(now),
                updatedAt: N(now),
                automation: { M: { autoAccept: { BOOL: false }, packOnAccept: { BOOL: false } } },
                seeded: { BOOL: true },
              },
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
          added++;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        await putDirectory(storeId);
      };
      // Each store is its own conditional put (never overwrites one that exists), so they can go concurrently: at
      // 10,000 stores one at a time took 7 minutes in local mode (issue 13). Bounded, so the table is not flooded.
      const pending = [...new Set(storeIds)];
      let next = 0;
      const worker = async () => {
        while (next < pending.length) await seedOne(pending[next++] as string);
      };
      await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, pending.length) }, worker));
      return added;
    },

    async setAvailability(storeId, availability, now) {
      const value: Record<string, AttributeValue> = { status: S(availability.status), setAt: N(availability.setAt) };
      if (availability.validTill !== undefined) value.validTill = N(availability.validTill);
      if (availability.submissionId !== undefined) value.submissionId = S(availability.submissionId);
      await dynamo.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.storeConfig(storeId)),
          UpdateExpression: "SET availability = :a, updatedAt = :now",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":a": { M: value }, ":now": N(now) },
        }),
      );
    },
  };
}
