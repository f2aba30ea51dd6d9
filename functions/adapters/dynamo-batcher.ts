/**
 * Coalesces the single-item reads and unconditional writes that concurrent records make in the same moment into
 * BatchGetItem / BatchWriteItem requests (issue 11: the processor handles a batch's records concurrently, and one
 * request per record per step was most of its cost). Transparent to callers: `get(key)` and `put(item)` resolve as
 * their own GetItem / PutItem would, after one shared request for everything asked in the same turn of the event loop.
 *
 * Reads are strongly consistent, as the GetItem they replace. Unprocessed keys/items are retried with a short
 * backoff; whatever is still unprocessed after the last attempt fails its own caller (the record is retried by SQS).
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;
type Key = { pk: string; sk: string };

/** DynamoDB's limits per request. */
export const BATCH_GET_MAX = 100;
export const BATCH_WRITE_MAX = 25;
const ATTEMPTS = 5;

const keyString = (pk: string, sk: string) => `${pk}\u0000${sk}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export interface DynamoBatcher {
  /** The item at `key` (undefined when absent), strongly consistent. */
  get(key: Key): Promise<Item | undefined>;
  /** An unconditional put; items with the same key in one turn collapse to the last one. */
  put(item: Item): Promise<void>;
}

export function createDynamoBatcher(dynamo: DynamoDBClient, tableName: string): DynamoBatcher {
  let reads = new Map<string, { key: Key; waiters: Waiter<Item | undefined>[] }>();
  let writes = new Map<string, { item: Item; waiters: Waiter<void>[] }>();
  let readScheduled = false;
  let writeScheduled = false;

  async function flushReads(batch: typeof reads): Promise<void> {
    const entries = [...batch.values()];
    for (let start = 0; start < entries.length; start += BATCH_GET_MAX) {
      const chunk = entries.slice(start, start + BATCH_GET_MAX);
      const found = new Map<string, Item>();
      try {
        let pending: Item[] = chunk.map((e) => ({ pk: { S: e.key.pk }, sk: { S: e.key.sk } }));
        for (let attempt = 1; pending.length > 0; attempt++) {
          if (attempt > ATTEMPTS) throw new Error(`BatchGetItem left ${pending.length} key(s) unprocessed`);
          if (attempt > 1) await sleep(10 * 2 ** attempt);
          const result = await dynamo.send(
            new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of result.Responses?.[tableName] ?? []) {
            found.set(keyString(item.pk?.S ?? "", item.sk?.S ?? ""), item);
          }
          pending = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        }
        for (const e of chunk) {
          const item = found.get(keyString(e.key.pk, e.key.sk));
          for (const w of e.waiters) w.resolve(item);
        }
      } catch (error) {
        for (const e of chunk) for (const w of e.waiters) w.reject(error);
      }
    }
  }

  async function flushWrites(batch: typeof writes): Promise<void> {
    const entries = [...batch.values()];
    for (let start = 0; start < entries.length; start += BATCH_WRITE_MAX) {
      const chunk = entries.slice(start, start + BATCH_WRITE_MAX);
      try {
        let pending = chunk.map((e) => ({ PutRequest: { Item: e.item } }));
        for (let attempt = 1; pending.length > 0; attempt++) {
          if (attempt > ATTEMPTS) throw new Error(`BatchWriteItem left ${pending.length} item(s) unprocessed`);
          if (attempt > 1) await sleep(10 * 2 ** attempt);
          const result = await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
          pending = (result.UnprocessedItems?.[tableName] ?? []).flatMap((r) =>
            r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : [],
          );
        }
        for (const e of chunk) for (const w of e.waiters) w.resolve();
      } catch (error) {
        for (const e of chunk) for (const w of e.waiters) w.reject(error);
      }
    }
  }

  return {
    get(key) {
      return new Promise((resolve, reject) => {
        const id = keyString(key.pk, key.sk);
        const entry = reads.get(id) ?? { key, waiters: [] };
        entry.waiters.push({ resolve, reject });
        reads.set(id, entry);
        if (!readScheduled) {
          readScheduled = true;
          // setImmediate: every record that is ready to read in this turn joins the same request.
          setImmediate(() => {
            const batch = reads;
            reads = new Map();
            readScheduled = false;
            void flushReads(batch);
          });
        }
      });
    },
    put(item) {
      return new Promise((resolve, reject) => {
        const id = keyString(item.pk?.S ?? "", item.sk?.S ?? "");
        const entry = writes.get(id);
        if (entry) {
          entry.item = item;
          entry.waiters.push({ resolve, reject });
        } else {
          writes.set(id, { item, waiters: [{ resolve, reject }] });
        }
        if (!writeScheduled) {
          writeScheduled = true;
          setImmediate(() => {
            const batch = writes;
            writes = new Map();
            writeScheduled = false;
            void flushWrites(batch);
          });
        }
      });
    },
  };
}
