/**
 * The shared rate budget's schedule in DynamoDB (docs/rate-budget.md): one item per bucket,
 * `RATEBUDGET#<scope>:<bucket>` / `PACE`, holding `tat` (N, epoch ms: the earliest free slot, GCRA's "theoretical
 * arrival time") and `updatedAt` (N, epoch ms). Every write is a single-item conditional UpdateItem (no
 * transactions: dynalite has none), so any number of containers share one schedule:
 *
 *   busy:  SET tat = tat + :interval   IF tat >= :notBefore AND tat <= :latest   -> slot = the old tat
 *   idle:  SET tat = :notBefore + :interval   IF attribute_not_exists(tat) OR tat < :notBefore   -> slot = notBefore
 *
 * When both conditions fail, a consistent GetItem tells a full schedule (answer retryAt) from a lost race (try again).
 * One Pincode call costs one UpdateItem when the last call on that bucket saw the same state (busy or idle), two at
 * a change, three requests when a background caller is deferred.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type PacingReservation,
  type PacingReserveInput,
  type PacingStore,
  parseFamilyRates,
  SharedRateBudget,
  type SharedRateBudgetOptions,
} from "#pincode/rate-budget.ts";
import type { ThrottleFamily } from "#pincode/throttle.ts";
import { keyOf } from "./attributes.ts";
import { keys } from "./table.ts";

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";

export interface DynamoPacingStore extends PacingStore {
  /** DynamoDB requests made so far (for the cost figures in docs/rate-budget.md and the tests). */
  readonly requests: { update: number; get: number; conditionFailures: number };
}

const MAX_RACES = 8;

export function createDynamoPacingStore(client: DynamoDBClient, tableName: string): DynamoPacingStore {
  const requests = { update: 0, get: 0, conditionFailures: 0 };
  /**
   * Per bucket, the latest `tat` this container saw. `tat` never moves back (both writes only raise it), so this is a
   * lower bound of the real one: a caller it already puts beyond its horizon is deferred without a request, and a
   * caller it puts in the busy case skips the idle write.
   */
  const knownTat = new Map<string, number>();
  const learn = (key: string, tat: number) => {
    if (tat > (knownTat.get(key) ?? Number.NEGATIVE_INFINITY)) knownTat.set(key, tat);
  };
  const deferral = (tat: number, input: PacingReserveInput) => ({
    // Come back when the schedule's tail is as close as the caller accepts now.
    retryAt: tat - (input.latestSlot - Math.min(input.latestSlot, input.notBefore)),
  });

  const busy = async (input: PacingReserveInput): Promise<number | undefined> => {
    requests.update += 1;
    try {
      const out = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.rateBudget(input.key)),
          UpdateExpression: "SET tat = tat + :interval, updatedAt = :now",
          ConditionExpression: "tat >= :notBefore AND tat <= :latest",
          ExpressionAttributeValues: {
            ":interval": { N: String(input.intervalMs) },
            ":notBefore": { N: String(input.notBefore) },
            ":latest": { N: String(input.latestSlot) },
            ":now": { N: String(Date.now()) },
          },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const tat = Number(out.Attributes?.tat?.N);
      learn(input.key, tat);
      return tat - input.intervalMs;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      requests.conditionFailures += 1;
      return undefined;
    }
  };

  const idle = async (input: PacingReserveInput): Promise<number | undefined> => {
    requests.update += 1;
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: keyOf(keys.rateBudget(input.key)),
          UpdateExpression: "SET tat = :next, updatedAt = :now",
          ConditionExpression: "attribute_not_exists(tat) OR tat < :notBefore",
          ExpressionAttributeValues: {
            ":next": { N: String(input.notBefore + input.intervalMs) },
            ":notBefore": { N: String(input.notBefore) },
            ":now": { N: String(Date.now()) },
          },
        }),
      );
      learn(input.key, input.notBefore + input.intervalMs);
      return input.notBefore;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      requests.conditionFailures += 1;
      return undefined;
    }
  };

  return {
    requests,
    async reserve(input: PacingReserveInput): Promise<PacingReservation> {
      for (let race = 0; race < MAX_RACES; race++) {
        const known = knownTat.get(input.key);
        if (known !== undefined && known > input.latestSlot) return deferral(known, input);
        // Busy for sure (tat >= known >= notBefore): only the busy write can succeed.
        const attempts = known !== undefined && known >= input.notBefore ? [busy] : [idle, busy];
        for (const attempt of attempts) {
          const slot = await attempt(input);
          if (slot !== undefined) return { slot };
        }
        requests.get += 1;
        const current = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: keyOf(keys.rateBudget(input.key)),
            ConsistentRead: true,
            ProjectionExpression: "tat",
          }),
        );
        const tat = current.Item?.tat?.N === undefined ? undefined : Number(current.Item.tat.N);
        if (tat !== undefined) learn(input.key, tat);
        if (tat !== undefined && tat > input.latestSlot) return deferral(tat, input);
        // Another container moved the schedule between our writes: try again.
      }
      return { retryAt: input.notBefore };
    },
  };
}

/** The budget's configuration as functions receive it (lib/stacks/app-stack.ts sets both from stage config). */
export interface RateBudgetEnv {
  /** Calls per second for the whole stack, all endpoint families together (`-c pincodeRateLimitPerS=20`). */
  PINCODE_RATE_LIMIT_PER_S?: string | number | undefined;
  /** Optional per-family limits on top, `poll:5,status:10,update:5,catalog:2` (`-c pincodeRateLimits=...`). */
  PINCODE_RATE_LIMITS?: string | undefined;
}

/** Parses the budget variables; undefined when neither is set (the client then throttles per process as before). */
export function parseRateBudgetEnv(
  env: RateBudgetEnv,
): { perSecond?: number; families: Partial<Record<ThrottleFamily, number>> } | undefined {
  const raw = env.PINCODE_RATE_LIMIT_PER_S;
  const text = raw === undefined ? "" : String(raw).trim();
  let perSecond: number | undefined;
  if (text !== "") {
    perSecond = Number(text);
    if (!Number.isFinite(perSecond) || perSecond <= 0) {
      throw new Error("PINCODE_RATE_LIMIT_PER_S must be a number of calls per second > 0");
    }
  }
  const families = parseFamilyRates(env.PINCODE_RATE_LIMITS, "PINCODE_RATE_LIMITS");
  if (perSecond === undefined && Object.keys(families).length === 0) return undefined;
  return { ...(perSecond === undefined ? {} : { perSecond }), families };
}

/**
 * The client option for the stack-wide budget: `{ rateGate }` backed by the table, or `{}` when no budget is
 * configured. Spread it into a PincodeClientConfig: `{ baseUrl, ..., ...rateBudgetOption(env, { dynamo, tableName }) }`.
 */
export function rateBudgetOption(
  env: RateBudgetEnv,
  wiring: { dynamo: DynamoDBClient; tableName: string } & Partial<
    Pick<SharedRateBudgetOptions, "now" | "sleep" | "random" | "onWait" | "scope">
  >,
): { rateGate?: SharedRateBudget } {
  const budget = parseRateBudgetEnv(env);
  if (!budget) return {};
  const { dynamo, tableName, ...rest } = wiring;
  return {
    rateGate: new SharedRateBudget({
      ...budget,
      ...rest,
      store: createDynamoPacingStore(dynamo, tableName),
    }),
  };
}
