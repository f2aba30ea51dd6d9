/**
 * DynamoDB attribute-value helpers shared by the table adapters. Their own module (not order-repository.ts) so an
 * adapter that order-repository.ts itself imports (buyer-data-retention.ts) can use them without a circular import.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
/** A table key ({pk, sk} strings) as DynamoDB attribute values. */
export const keyOf = (key: { pk: string; sk: string }): Record<string, AttributeValue> => ({
  pk: S(key.pk),
  sk: S(key.sk),
});
