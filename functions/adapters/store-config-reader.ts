/**
 * The command side's reads of the store config item (`STORE#<storeId>` / `CONFIG`, owned by the seller API's store
 * repository; layout agreed in SHARED-FILES.md): whether the store is active, its automation switches, and the
 * availability last set through a store toggle. A small GetItem / UpdateItem of our own, so the command side does not
 * depend on the API's module.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient, isConditionFailure } from "./command-repository.ts";

export interface StoreAutomation {
  /** Accept new orders as they arrive. */
  autoAccept: boolean;
  /** Mark the STORE fulfilment PACKING in the same Order Update as an accept. */
  packOnAccept: boolean;
}

export interface StoreConfigView {
  storeId: string;
  status: string;
  automation: StoreAutomation;
}

export interface StoreAvailability {
  status: "ENABLED" | "DISABLED";
  validTill?: number;
  submissionId?: string;
  setAt: number;
}

export interface StoreConfigReader {
  get(storeId: string): Promise<StoreConfigView | undefined>;
  /** Records the availability just requested; false when the store has no config item. */
  recordAvailability(storeId: string, availability: StoreAvailability): Promise<boolean>;
  /**
   * Sets a store's automation switches (local mode's demo turns them on). Creates an ACTIVE config item when the
   * store has none yet, and otherwise keeps every other attribute.
   */
  setAutomation(storeId: string, automation: StoreAutomation, now: number): Promise<void>;
}

export const storeConfigKey = (storeId: string) => ({ pk: `STORE#${storeId}`, sk: "CONFIG" });

/** Both switches are off unless set (automation is off by default). */
export function automationOf(item: Record<string, unknown> | undefined): StoreAutomation {
  const automation = (item?.automation ?? {}) as Record<string, unknown>;
  return { autoAccept: automation.autoAccept === true, packOnAccept: automation.packOnAccept === true };
}

export function createStoreConfigReader(dynamo: DynamoDBClient, tableName: string): StoreConfigReader {
  const doc = documentClient(dynamo);
  return {
    async get(storeId) {
      const result = await doc.send(
        new GetCommand({ TableName: tableName, Key: storeConfigKey(storeId), ConsistentRead: true }),
      );
      if (!result.Item) return undefined;
      return {
        storeId,
        status: typeof result.Item.status === "string" ? result.Item.status : "ACTIVE",
        automation: automationOf(result.Item),
      };
    },
    async setAutomation(storeId, automation, now) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: storeConfigKey(storeId),
          UpdateExpression:
            "SET automation = :a, updatedAt = :now, storeId = if_not_exists(storeId, :id), " +
            "#status = if_not_exists(#status, :active), createdAt = if_not_exists(createdAt, :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":a": automation, ":now": now, ":id": storeId, ":active": "ACTIVE" },
        }),
      );
    },

    async recordAvailability(storeId, availability) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: storeConfigKey(storeId),
            UpdateExpression: "SET availability = :a",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":a": availability },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}
