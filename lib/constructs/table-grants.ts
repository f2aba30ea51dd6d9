import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { BY_STORE_INDEX } from "../../functions/adapters/table.ts";
import { type FunctionTableUse, tableGrantsOf } from "../../functions/adapters/table-access.ts";
import type { PincodeFunction } from "./pincode-function.ts";

/** What a principal needs on the table's customer-managed key to read and write items through DynamoDB. */
export const TABLE_KEY_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
] as const;

/**
 * Grants a function exactly its table use (functions/adapters/table-access.ts): each action only on the partitions
 * (`dynamodb:LeadingKeys`) of the item kinds its adapters touch, attribute-limited reads (and the poller's pointer put) where narrowed, and the byStore
 * index (keyed by raw store id, so by ARN and without a key condition) only to a function that queries it.
 */
export function grantTableUse(fn: PincodeFunction, table: ITable, key: IKey, use: FunctionTableUse): void {
  const grants = tableGrantsOf(use);
  for (const grant of grants) {
    fn.role.addToPolicy(
      new PolicyStatement({
        actions: grant.actions.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
        conditions: {
          "ForAllValues:StringLike": { "dynamodb:LeadingKeys": grant.partitions },
          ...(grant.attributes
            ? {
                // Fine-grained access (AWS DynamoDB docs, "Using IAM policy conditions"): only these attributes, only
                // a projected read (a read without a projection would return the whole item), and a write that returns
                // nothing (ALL_OLD would hand back the item it replaced: the poller's command pointer put).
                "ForAllValues:StringEquals": { "dynamodb:Attributes": grant.attributes },
                StringEqualsIfExists: { "dynamodb:Select": "SPECIFIC_ATTRIBUTES", "dynamodb:ReturnValues": "NONE" },
              }
            : {}),
        },
      }),
    );
  }
  if (use.byStoreIndex) {
    fn.role.addToPolicy(
      new PolicyStatement({
        actions: ["dynamodb:Query"],
        resources: [`${table.tableArn}/index/${BY_STORE_INDEX.name}`],
      }),
    );
  }
  if (grants.length > 0 || use.byStoreIndex) key.grant(fn, ...TABLE_KEY_ACTIONS);
}
