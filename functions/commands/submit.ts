/**
 * The submit use cases of the seller API (issue 9): validate a seller's order actions, store toggle or listing
 * changes, record them as a command (and submissions), and queue them on the FIFO commands queue. The seller API
 * (functions/seller-api) calls these and maps `SubmitResult` to its HTTP answer; the commands function executes them.
 *
 * Idempotency (draft-ietf-httpapi-idempotency-key-header): the key is the `Idempotency-Key` header or the body's
 * `commandId` (generated when neither is given). The same key with the same request returns the same command (202
 * with its current status); the same key with another request is 422 IDEMPOTENCY_KEY_REUSED. A replay of a command
 * still QUEUED re-sends its queue message(s): a submit that failed after writing the command is completed by
 * retrying it with the same key (SQS FIFO drops the duplicate within 5 minutes; the executor drops it after). Every
 * command gets its queued-command index entry before it is created, so the poller's sweep completes the same way a
 * command whose client never retries (functions/poller/stranded-commands.ts).
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  type CommandRecord,
  type CommandRepository,
  createCommandRepository,
  toCommandView,
} from "#adapters/command-repository.ts";
import { createOrderRepository, type OrderRepository } from "#adapters/order-repository.ts";
import { createQueuedCommandIndex, type QueuedCommandIndex } from "#adapters/queued-command-index.ts";
import { createStoreConfigReader, type StoreConfigReader } from "#adapters/store-config-reader.ts";
import { createSubmissionRepository, type SubmissionRepository } from "#adapters/submission-repository.ts";
import { type ListingRow, parseListingsRequest, parseStoreToggleRequest } from "#core/catalog-requests.ts";
import { requestFingerprint } from "#core/idempotency.ts";
import {
  checkCommandId,
  type OrderStateView,
  orderStateViewOf,
  parseOrderActionsRequest,
  planOrderActions,
  projectPincodeActions,
  type SellerAction,
} from "#core/order-actions.ts";
import { OrderSchema } from "#pincode/schemas.ts";
import {
  type CommandQueue,
  createSqsCommandQueue,
  enqueueCommand,
  planSubmissions,
  type QueuedSubmission,
  submissionIdOf,
} from "./enqueue.ts";

export { type CommandQueue, createSqsCommandQueue, orderGroup, storeGroup, submissionIdOf } from "./enqueue.ts";

export interface SubmitResult {
  status: 202 | 400 | 404 | 409 | 422;
  body: Record<string, unknown>;
}

export interface SubmitDeps {
  commands: CommandRepository;
  submissions: SubmissionRepository;
  orders: Pick<OrderRepository, "get">;
  stores: StoreConfigReader;
  queue: CommandQueue;
  /** Every command's entry, written before the command item, so the poller's sweep finds it if its send fails. */
  queuedCommands: QueuedCommandIndex;
  /** Generates command ids (when the caller gives no key) and Pincode requestIds. */
  newId?: () => string;
}

const error = (status: SubmitResult["status"], code: string, message: string, extra: object = {}): SubmitResult => ({
  status,
  body: { error: code, message, ...extra },
});

/** The idempotency key: header or body commandId (both given: they must agree), else a new id. */
function resolveKey(
  header: string | undefined,
  bodyId: string | undefined,
  newId: () => string,
): { ok: true; key: string } | { ok: false; result: SubmitResult } {
  const checked = checkCommandId(header, "Idempotency-Key");
  if (!checked.ok) return { ok: false, result: error(400, "INVALID_REQUEST", checked.message) };
  if (header !== undefined && bodyId !== undefined && header !== bodyId) {
    return {
      ok: false,
      result: error(400, "INVALID_REQUEST", "commandId: must equal the Idempotency-Key header when both are given"),
    };
  }
  return { ok: true, key: header ?? bodyId ?? newId() };
}

function reused(commandId: string): SubmitResult {
  return error(
    422,
    "IDEMPOTENCY_KEY_REUSED",
    "Idempotency-Key / commandId: this key was already used with a different request; use a new key",
    { commandId },
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Order actions
// ---------------------------------------------------------------------------------------------------------------

/**
 * Records a new command: its queued-command index entry first (so a command is never QUEUED without one), then the
 * command item unless its id exists (then what is stored is returned, for the caller to compare fingerprints).
 */
async function record(deps: SubmitDeps, command: CommandRecord) {
  await deps.queuedCommands.markQueued(command.commandId, command.createdAt);
  return deps.commands.create(command);
}

const accepted = (command: CommandRecord, extra: object = {}): SubmitResult => ({
  status: 202,
  body: { commandId: command.commandId, status: command.status, ...extra },
});

/** The order's state as the next command will find it: the stored view plus the commands still in flight. */
async function projectedState(deps: SubmitDeps, orderId: string, view: Record<string, unknown>) {
  const parsed = OrderSchema.safeParse(view);
  let state: OrderStateView = parsed.success
    ? orderStateViewOf(parsed.data)
    : { orderState: null, fulfillments: [], items: [] };
  const inFlight = (await deps.commands.listForOrder(orderId)).filter(
    (c) => c.status === "QUEUED" || c.status === "SENT",
  );
  for (const command of inFlight) state = projectPincodeActions(state, command.pincodeActions ?? []);
  return state;
}

export async function submitOrderActions(
  deps: SubmitDeps,
  input: { orderId: string; idempotencyKey?: string; body: unknown; now?: number; origin?: "api" | "automation" },
): Promise<SubmitResult> {
  const now = input.now ?? Date.now();
  const newId = deps.newId ?? randomUUID;
  const parsed = parseOrderActionsRequest(input.body);
  if (!parsed.ok) return error(400, "INVALID_REQUEST", parsed.message);
  const key = resolveKey(input.idempotencyKey, parsed.value.commandId, newId);
  if (!key.ok) return key.result;
  const commandId = key.key;
  const request = { orderId: input.orderId, actions: parsed.value.actions };
  const requestHash = requestFingerprint(`order-actions:${input.orderId}`, request.actions);

  const replay = async (existing: CommandRecord): Promise<SubmitResult> => {
    if (existing.requestHash !== requestHash) return reused(commandId);
    if (existing.status === "QUEUED") await enqueueCommand(deps, existing, now);
    return accepted(existing);
  };
  const existing = await deps.commands.get(commandId);
  if (existing) return replay(existing);

  const view = await deps.orders.get(input.orderId);
  if (!view) return error(404, "ORDER_NOT_FOUND", "orderId: no order with this id is stored by the bridge");
  const state = await projectedState(deps, input.orderId, view.order);

  let actions: SellerAction[] = parsed.value.actions;
  const storeConfig = view.storeId ? await deps.stores.get(view.storeId) : undefined;
  const packOnAccept =
    storeConfig?.automation.packOnAccept === true &&
    actions.some((a) => a.type === "accept") &&
    !actions.some((a) => a.type === "packing" || a.type === "packed");
  if (packOnAccept) {
    // Store automation "mark PACKING on accept": the same Order Update carries both, in order.
    const at = actions.findIndex((a) => a.type === "accept");
    actions = [...actions.slice(0, at + 1), { type: "packing" }, ...actions.slice(at + 1)];
  }
  const plan = planOrderActions(actions, state);
  if (!plan.ok) return error(409, "TRANSITION_NOT_ALLOWED", plan.message);

  const command: CommandRecord = {
    commandId,
    type: "order-actions",
    status: "QUEUED",
    requestHash,
    request,
    orderId: input.orderId,
    ...(view.storeId ? { storeId: view.storeId } : {}),
    pincodeActions: plan.pincodeActions,
    requestId: `PB-${newId()}`,
    attempts: 0,
    inFlight: false,
    origin: input.origin ?? "api",
    createdAt: now,
    updatedAt: now,
  };
  const created = await record(deps, command);
  if (!created.created) return replay(created.existing);
  await enqueueCommand(deps, command, now);
  return accepted(command);
}

// ---------------------------------------------------------------------------------------------------------------
// Catalog and store
// ---------------------------------------------------------------------------------------------------------------

async function submitCatalogCommand(
  deps: SubmitDeps,
  args: {
    commandId: string;
    type: "store-toggle" | "listings";
    request: Record<string, unknown>;
    requestHash: string;
    storeId?: string;
    now: number;
  },
): Promise<{ command: CommandRecord; submissions: QueuedSubmission[] } | SubmitResult> {
  const newId = deps.newId ?? randomUUID;
  // Planned once from the request as it will be stored: the ids go on the command, the plan to the first enqueue.
  const planned = planSubmissions({ commandId: args.commandId, type: args.type, request: args.request });
  const command: CommandRecord = {
    commandId: args.commandId,
    type: args.type,
    status: "QUEUED",
    requestHash: args.requestHash,
    request: args.request,
    ...(args.storeId ? { storeId: args.storeId } : {}),
    submissionIds: planned.map((_, index) => submissionIdOf(args.commandId, index)),
    requestId: `PB-${newId()}`,
    attempts: 0,
    inFlight: false,
    origin: "api",
    createdAt: args.now,
    updatedAt: args.now,
  };
  const created = await record(deps, command);
  const stored = created.created ? command : created.existing;
  if (stored.requestHash !== args.requestHash) return reused(args.commandId);
  // A replay plans from the stored command; one past QUEUED sends nothing again (its submissions are read back).
  const submissions = await enqueueCommand(deps, stored, args.now, created.created ? planned : undefined);
  return { command: stored, submissions };
}

export async function submitStoreToggle(
  deps: SubmitDeps,
  input: { storeId: string; idempotencyKey?: string; body: unknown; now?: number },
): Promise<SubmitResult> {
  const now = input.now ?? Date.now();
  const newId = deps.newId ?? randomUUID;
  const parsed = parseStoreToggleRequest(input.body, now);
  if (!parsed.ok) return error(400, "INVALID_REQUEST", parsed.message);
  const key = resolveKey(input.idempotencyKey, parsed.value.commandId, newId);
  if (!key.ok) return key.result;
  const { commandId: _ignored, ...toggle } = parsed.value;
  const request = { storeId: input.storeId, ...toggle };
  const requestHash = requestFingerprint(`store-toggle:${input.storeId}`, toggle);

  const existing = await deps.commands.get(key.key);
  if (existing && existing.requestHash !== requestHash) return reused(key.key);
  if (!existing) {
    const store = await deps.stores.get(input.storeId);
    if (store?.status !== "ACTIVE") {
      return error(404, "STORE_NOT_FOUND", "storeId: no active store with this id is configured");
    }
  }
  const outcome = await submitCatalogCommand(deps, {
    commandId: key.key,
    type: "store-toggle",
    request,
    requestHash,
    storeId: input.storeId,
    now,
  });
  if ("status" in outcome && "body" in outcome) return outcome;
  const submission = outcome.submissions[0];
  if (!existing) {
    await deps.stores.recordAvailability(input.storeId, {
      status: toggle.status,
      ...(toggle.validTill !== undefined ? { validTill: toggle.validTill } : {}),
      ...(submission ? { submissionId: submission.submissionId } : {}),
      setAt: now,
    });
  }
  return {
    status: 202,
    body: {
      commandId: outcome.command.commandId,
      status: outcome.command.status,
      submissionId: submission?.submissionId ?? null,
      submissions: outcome.submissions,
    },
  };
}

export async function submitListings(
  deps: SubmitDeps,
  input: { idempotencyKey?: string; body: unknown; now?: number },
): Promise<SubmitResult> {
  const now = input.now ?? Date.now();
  const newId = deps.newId ?? randomUUID;
  const parsed = parseListingsRequest(input.body);
  if (!parsed.ok)
    return error(400, "INVALID_REQUEST", parsed.message, parsed.rows.length > 0 ? { rows: parsed.rows } : {});
  const key = resolveKey(input.idempotencyKey, parsed.value.commandId, newId);
  if (!key.ok) return key.result;
  const rows: ListingRow[] = parsed.value.listings;
  const requestHash = requestFingerprint("listings", rows);

  const existing = await deps.commands.get(key.key);
  if (existing && existing.requestHash !== requestHash) return reused(key.key);
  if (!existing) {
    const stores = [...new Set(rows.map((r) => r.storeId))];
    for (const storeId of stores) {
      const store = await deps.stores.get(storeId);
      if (store?.status !== "ACTIVE") {
        const index = rows.findIndex((r) => r.storeId === storeId);
        return error(404, "STORE_NOT_FOUND", `listings[${index}].storeId: no active store with this id is configured`);
      }
    }
  }
  const outcome = await submitCatalogCommand(deps, {
    commandId: key.key,
    type: "listings",
    request: { listings: rows },
    requestHash,
    now,
  });
  if ("status" in outcome && "body" in outcome) return outcome;
  return {
    status: 202,
    body: {
      commandId: outcome.command.commandId,
      status: outcome.command.status,
      rows: rows.length,
      submissions: outcome.submissions,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------------------------------

export function wireSubmitDeps(opts: {
  dynamo: DynamoDBClient;
  sqs: SQSClient;
  tableName: string;
  commandsQueueUrl: string;
}): SubmitDeps {
  return {
    commands: createCommandRepository(opts.dynamo, opts.tableName),
    submissions: createSubmissionRepository(opts.dynamo, opts.tableName),
    orders: createOrderRepository(opts.dynamo, opts.tableName),
    stores: createStoreConfigReader(opts.dynamo, opts.tableName),
    queue: createSqsCommandQueue(opts.sqs, opts.commandsQueueUrl),
    queuedCommands: createQueuedCommandIndex(opts.dynamo, opts.tableName),
  };
}

export { toCommandView };
