/**
 * Command execution (issue 9): one effect per command, even across retries, redeliveries and a Lambda timeout
 * mid-call. See docs/commands.md for the design; in short:
 *
 * - The command item is the execution record. Before a call it is claimed (status SENT, attempts + 1, inFlight) with
 *   a conditional write; the call carries the command's one Pincode requestId.
 * - A clear answer ends the command: SUCCEEDED (the returned order view stored through the freshness guard),
 *   REJECTED (Pincode's errorCode and message). A failure that did not reach Pincode's order logic (429, auth)
 *   clears inFlight and is retried through SQS.
 * - An ambiguous failure (timeout, network, 5xx, unreadable 2xx) leaves inFlight set and fails the record. The next
 *   delivery, or the one after a Lambda timeout, finds inFlight and asks Status Check first: the actions already in
 *   effect are not sent again.
 * - After MAX_ATTEMPTS attempts the command is FAILED with the last reason.
 *
 * Catalog and store submissions have no status query at Pincode (PINCODE-API A5), so after an ambiguous failure the
 * same request (same requestId, same messageIds) is sent again: every message sets an absolute value (price, status,
 * count, toggle), so a second application changes nothing.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { CommandOutcome, CommandRecord, CommandRepository } from "#adapters/command-repository.ts";
import {
  type BridgeEvent,
  COMMAND_FAILED,
  COMMAND_REJECTED,
  COMMAND_SUCCEEDED,
  type EventPublisher,
  orderChangedEvent,
} from "#adapters/event-publisher.ts";
import { countMetric } from "#adapters/metric-helpers.ts";
import type { OrderRepository, StoredOrderView } from "#adapters/order-repository.ts";
import { type SubmissionRepository, submissionCompletedEvent } from "#adapters/submission-repository.ts";
import { actionInEffect } from "#core/order-actions.ts";
import type { CommandCallOptions, SubmissionResult } from "#pincode/client.ts";
import {
  PincodeApiError,
  PincodeAuthError,
  PincodeResponseError,
  PincodeTransportError,
  PincodeValidationError,
} from "#pincode/errors.ts";
import { type Order, type OrderUpdateAction, TERMINAL_ORDER_STATES } from "#pincode/schemas.ts";

/** The Pincode calls the commands function makes; the real PincodeClient satisfies it. */
export interface PincodeCommandClient {
  updateOrder(orderId: string, actions: OrderUpdateAction[], options?: CommandCallOptions): Promise<Order>;
  getOrderStatus(orderId: string, options?: CommandCallOptions): Promise<Order>;
  toggleStore(messages: never[], options?: CommandCallOptions): Promise<SubmissionResult>;
  createListings(messages: never[], options?: CommandCallOptions): Promise<SubmissionResult>;
  updateListings(messages: never[], options?: CommandCallOptions): Promise<SubmissionResult>;
}

export interface ExecutorDeps {
  commands: CommandRepository;
  submissions: SubmissionRepository;
  orders: OrderRepository;
  events: EventPublisher;
  pincode: PincodeCommandClient;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  /** Attempts (calls that may have reached Pincode, or were refused before it) before a command is FAILED. */
  maxAttempts?: number;
  /** The commands queue's maxReceiveCount: the delivery with this receive count is a message's last before the DLQ. */
  maxReceiveCount?: number;
}

/** One below the queue's maxReceiveCount (5): the last delivery can still decide FAILED (or SUCCEEDED) before the DLQ. */
export const DEFAULT_MAX_ATTEMPTS = 4;

/** The commands queue's redrive `maxReceiveCount` (stage config `queues.maxReceiveCount`). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/** A message that can never succeed: it ends in the DLQ with this reason logged. */
export class PoisonCommandError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "PoisonCommandError";
  }
}

/** The record failed and SQS must redeliver it (the command item says what happened). */
export class RetryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RetryLaterError";
  }
}

export type CallFailure =
  | { kind: "rejected"; errorCode: string | null; message: string | null; httpStatus: number | null }
  | { kind: "not-sent"; reason: string }
  | { kind: "ambiguous"; reason: string }
  | { kind: "invalid"; reason: string };

/**
 * What a failed Pincode call means for a command. Only an answer from Pincode's order logic (a 4xx other than
 * 401/412/429) is a rejection; a call refused before it (throttled, token) was not applied; everything else may
 * have been applied.
 */
export function classifyFailure(error: unknown, endpoint: string): CallFailure {
  if (error instanceof PincodeValidationError) {
    return { kind: "invalid", reason: `request failed Pincode's contract: ${error.message}` };
  }
  if (error instanceof PincodeAuthError) return { kind: "not-sent", reason: `token: ${error.message}` };
  if (error instanceof PincodeTransportError) {
    // The token endpoint's failures, and a deadline spent before sending, never reached the order logic.
    if (error.endpoint !== endpoint || error.reason === "deadline") return { kind: "not-sent", reason: error.message };
    return { kind: "ambiguous", reason: `${error.reason}: no answer from Pincode` };
  }
  if (error instanceof PincodeApiError) {
    if (error.status === 429 || error.status === 401 || error.status === 412) {
      return { kind: "not-sent", reason: `HTTP ${error.status} ${error.errorCode ?? ""}`.trim() };
    }
    if (error.status >= 400 && error.status < 500 && error.status !== 408) {
      return {
        kind: "rejected",
        errorCode: error.errorCode ?? null,
        message: error.pincodeMessage ?? null,
        httpStatus: error.status,
      };
    }
    return { kind: "ambiguous", reason: `HTTP ${error.status} ${error.errorCode ?? ""}`.trim() };
  }
  if (error instanceof PincodeResponseError)
    return { kind: "ambiguous", reason: `unreadable answer: ${error.message}` };
  return { kind: "ambiguous", reason: error instanceof Error ? error.message : String(error) };
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const summaryOf = (view: StoredOrderView) => ({
  orderState: view.summary?.orderState ?? null,
  fulfillments: view.summary?.fulfillments ?? [],
});

function commandEvent(command: CommandRecord): BridgeEvent | undefined {
  const outcome = command.outcome ?? {};
  const base = {
    commandId: command.commandId,
    orderId: command.orderId ?? "",
    storeId: command.storeId ?? null,
    actions: (command.pincodeActions ?? []).map((a) => a.type),
    attempts: command.attempts,
    completedAt: command.completedAt ?? command.updatedAt,
  };
  if (command.status === "SUCCEEDED") {
    return {
      detailType: COMMAND_SUCCEEDED,
      detail: {
        ...base,
        orderState: outcome.orderState ?? null,
        fulfillments: outcome.fulfillments ?? [],
        decidedBy: outcome.decidedBy ?? "order-update",
      },
    };
  }
  if (command.status === "REJECTED") {
    return {
      detailType: COMMAND_REJECTED,
      detail: {
        ...base,
        errorCode: outcome.errorCode ?? null,
        message: outcome.message ?? null,
        httpStatus: outcome.httpStatus ?? null,
      },
    };
  }
  if (command.status === "FAILED") {
    // Consumers learn that the bridge gave up (before, a FAILED command published nothing).
    return {
      detailType: COMMAND_FAILED,
      detail: { ...base, reason: outcome.reason ?? null, decidedBy: outcome.decidedBy ?? null },
    };
  }
  return undefined;
}

/**
 * Publishes a final command's event and the order's unconfirmed OrderChanged events, then marks them published.
 * `view`: the order view the command just stored (its pending events as the write left them), so it is not read again.
 */
async function announce(deps: ExecutorDeps, command: CommandRecord, view?: StoredOrderView): Promise<void> {
  const current = view ?? (command.orderId ? await deps.orders.get(command.orderId) : undefined);
  const events: BridgeEvent[] = (current?.pendingEvents ?? []).map(orderChangedEvent);
  const event = commandEvent(command);
  if (event) events.push(event);
  if (events.length > 0) await deps.events.publish(events);
  // Both outbox markers are batched writes (with the batch's other records' markers).
  await Promise.all([
    current && current.pendingEvents.length > 0
      ? deps.orders.clearPendingEvents(current.orderId, current.version)
      : undefined,
    deps.commands.clearEventPending(command.commandId, command.completedAt),
  ]);
}

const COMMAND_STATUS_METRIC = {
  SUCCEEDED: "CommandsSucceeded",
  REJECTED: "CommandsRejected",
  FAILED: "CommandsFailed",
} as const;

export type ExecutionResult = "SUCCEEDED" | "REJECTED" | "FAILED" | "duplicate";

/** Executes the order command `commandId` (a commands-queue `command.order` message). */
export async function executeOrderCommand(
  deps: ExecutorDeps,
  commandId: string,
  timeLeftMs: () => number = () => Number.POSITIVE_INFINITY,
  options: {
    skipPredecessors?: boolean;
    lastDelivery?: boolean;
    /** The message's order id: enables the first-try path (predecessor Query, then one claiming UpdateItem). */
    orderId?: string;
  } = {},
): Promise<ExecutionResult> {
  const { logger, metrics } = deps;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const budget = () => ({ timeLeftMs: Math.max(0, timeLeftMs()) });

  // Issue 11, the common case in one request: no earlier command of the order unfinished, and the command idle
  // (QUEUED, or SENT with nothing in flight) with attempts left: claimed and read back at once. Anything else (a
  // predecessor to run, a final command, an unknown outcome to check, attempts spent, no such command) fails the
  // condition and takes the full path below, which reads the command and decides as before.
  if (options.orderId && !options.skipPredecessors) {
    const earlier = await deps.commands.earlierUnfinished(options.orderId, commandId);
    if (earlier?.length === 0) {
      const claimed = await deps.commands.claimIfIdle(commandId, options.orderId, maxAttempts, deps.now());
      if (claimed) return attempt(deps, claimed, claimed.pincodeActions ?? [], claimed, budget, options);
    }
  }

  const command = await deps.commands.get(commandId);
  if (!command) throw new PoisonCommandError(`command ${commandId} does not exist`);
  if (command.type !== "order-actions" || !command.orderId || !command.pincodeActions?.length) {
    throw new PoisonCommandError(`command ${commandId} is not an order command with actions`);
  }
  const orderId = command.orderId;

  if (command.status === "SUCCEEDED" || command.status === "REJECTED" || command.status === "FAILED") {
    // A redelivery: the effect happened once; only an unconfirmed event is still owed.
    if (command.eventPending) await announce(deps, command);
    countMetric(metrics, "CommandDuplicates");
    return "duplicate";
  }

  // Creation order is execution order: a command submitted earlier for this order whose queue message is not yet
  // here (two submits racing to SendMessage) runs first, so "pack" never overtakes "accept".
  if (!options.skipPredecessors) {
    const earlier = (await deps.commands.listForOrder(orderId)).filter(
      (c) =>
        (c.status === "QUEUED" || c.status === "SENT") &&
        c.commandId !== commandId &&
        (c.createdAt < command.createdAt || (c.createdAt === command.createdAt && c.commandId < commandId)),
    );
    for (const predecessor of earlier) {
      logger.info("running an earlier command of the order first", { commandId, predecessor: predecessor.commandId });
      try {
        await executeOrderCommand(deps, predecessor.commandId, timeLeftMs, { skipPredecessors: true });
      } catch (error) {
        if (!options.lastDelivery || error instanceof PoisonCommandError) throw error;
        // This message's last delivery: dead-lettered, the command would stay QUEUED for good. Nothing was sent.
        return finish(deps, command, "FAILED", {
          reason: `an earlier command of the order (${predecessor.commandId}) did not finish before this command's last delivery; nothing was sent (${reasonOf(error)})`,
        });
      }
    }
  }

  let actions = command.pincodeActions;
  if (command.inFlight) {
    // An earlier attempt may have taken effect without us hearing the answer: Pincode decides, not a resend.
    const checkedAt = deps.now();
    let order: Order;
    try {
      order = await deps.pincode.getOrderStatus(orderId, budget());
    } catch (error) {
      // A failed Status Check makes no attempt but spends a receive: on the last one, decide instead of the DLQ.
      if (!options.lastDelivery) throw error;
      return finish(deps, command, "FAILED", {
        reason: `the Status Check after an ambiguous attempt went unanswered on the message's last delivery (${reasonOf(error)}); whether that attempt took effect cannot be told`,
      });
    }
    countMetric(metrics, "CommandStatusChecks");
    const missing = actions.filter((action) => !actionInEffect(action, order));
    if (missing.length === 0) {
      logger.info("ambiguous attempt had taken effect (Status Check)", { commandId, orderId });
      return store(deps, command, order, "status-check", checkedAt);
    }
    // Closed meanwhile (a Pincode-side cancel, say): a resend would only be refused (§4.1, no update after a terminal
    // state; an invoice may still follow a COMPLETED order), and that refusal would say nothing about the earlier
    // attempt, which may have taken effect before the order closed. REJECTED would claim it did not: give up, saying so.
    const closedBy = order.orderState ?? "";
    if (
      TERMINAL_ORDER_STATES.includes(closedBy) &&
      missing.some((action) => action.type !== "CLIENT_ORDER_INFO_UPDATE" || closedBy === "CANCELLED")
    ) {
      logger.warn("order closed before an ambiguous attempt could be confirmed", { commandId, orderId });
      return finish(deps, command, "FAILED", {
        reason: `the order is ${closedBy} at Pincode: whether the earlier ambiguous attempt took effect cannot be told, and a resend would be refused`,
        decidedBy: "status-check",
      });
    }
    // Pincode applies a request's actions in order; resend only what is not yet in effect.
    actions = missing;
  }
  if (command.attempts >= maxAttempts) {
    return finish(deps, command, "FAILED", {
      reason: `gave up after ${command.attempts} attempt(s): ${command.lastError ?? "no answer"}`,
    });
  }

  const claimed = await deps.commands.claim(commandId, command.attempts, deps.now());
  if (!claimed) {
    // Another executor (an inline run from a later command, a redelivery) got there first. If it finished the
    // command, this message is done; otherwise that attempt is live and this message is retried.
    const now = await deps.commands.get(commandId);
    if (now && (now.status === "SUCCEEDED" || now.status === "REJECTED" || now.status === "FAILED")) {
      countMetric(metrics, "CommandDuplicates");
      return "duplicate";
    }
    throw new RetryLaterError(`command ${commandId} changed while starting an attempt`);
  }
  return attempt(deps, command, actions, claimed, budget, options);
}

/** Writes the final status (first writer wins) and announces it; "duplicate" when another executor finished first. */
async function finish(
  deps: ExecutorDeps,
  command: CommandRecord,
  status: "SUCCEEDED" | "REJECTED" | "FAILED",
  outcome: CommandOutcome,
  view?: StoredOrderView,
): Promise<ExecutionResult> {
  const final = await deps.commands.complete(command.commandId, status, outcome, deps.now());
  if (final) await announce(deps, final, view);
  countMetric(deps.metrics, COMMAND_STATUS_METRIC[status]);
  deps.logger.info("command finished", {
    commandId: command.commandId,
    orderId: command.orderId ?? null,
    status,
    decidedBy: outcome.decidedBy ?? null,
  });
  return final ? status : "duplicate";
}

/**
 * Stores the order view Pincode returned through the freshness guard and finishes the command SUCCEEDED.
 * `calledAt`: when the call that fetched `order` began, a lower bound of when it was true (docs/ingestion.md); the
 * answer arrived now, so the snapshot was true somewhere in [calledAt, now].
 */
async function store(
  deps: ExecutorDeps,
  command: CommandRecord,
  order: Order,
  decidedBy: "order-update" | "status-check",
  calledAt: number,
): Promise<ExecutionResult> {
  if (order.id !== command.orderId) {
    throw new PoisonCommandError(`Pincode answered for another order than ${command.orderId}`);
  }
  const result = await deps.orders.upsert({
    order,
    source: "order-update",
    receivedAt: deps.now(),
    syncedAt: calledAt,
    // One history item per command: a redelivery rewrites the same one.
    messageId: `command-${command.commandId}`,
    requestId: command.requestId,
  });
  return finish(deps, command, "SUCCEEDED", { ...summaryOf(result.view), decidedBy }, result.view);
}

/** One claimed attempt: the Order Update call with the command's requestId, and what its outcome means. */
async function attempt(
  deps: ExecutorDeps,
  command: CommandRecord,
  actions: OrderUpdateAction[],
  claimed: CommandRecord,
  budget: () => { timeLeftMs: number },
  options: { lastDelivery?: boolean },
): Promise<ExecutionResult> {
  const { commandId } = command;
  const orderId = command.orderId as string;
  const sentAt = deps.now();
  try {
    const order = await deps.pincode.updateOrder(orderId, actions, { requestId: command.requestId, ...budget() });
    return await store(deps, command, order, "order-update", sentAt);
  } catch (error) {
    if (error instanceof PoisonCommandError) throw error;
    const failure = classifyFailure(error, "/tsp/order/v1/update");
    switch (failure.kind) {
      case "rejected":
        deps.logger.warn("Pincode rejected the command", { commandId, orderId, errorCode: failure.errorCode });
        return finish(deps, command, "REJECTED", {
          errorCode: failure.errorCode,
          message: failure.message,
          httpStatus: failure.httpStatus,
        });
      case "invalid":
        return finish(deps, command, "FAILED", { reason: failure.reason });
      case "not-sent":
        await deps.commands.releaseNotSent(commandId, claimed.attempts, failure.reason, deps.now());
        if (options.lastDelivery) {
          return finish(deps, command, "FAILED", {
            reason: `not sent by the message's last delivery: ${failure.reason}`,
          });
        }
        throw new RetryLaterError(`command ${commandId} not sent: ${failure.reason}`);
      case "ambiguous":
        countMetric(deps.metrics, "CommandAmbiguousFailures");
        await deps.commands.recordAmbiguous(commandId, claimed.attempts, failure.reason, deps.now());
        if (options.lastDelivery) {
          return finish(deps, command, "FAILED", {
            reason: `outcome unknown on the message's last delivery (${failure.reason}); not resent`,
          });
        }
        throw new RetryLaterError(`command ${commandId} outcome unknown (${failure.reason}); Status Check next`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Submissions
// ---------------------------------------------------------------------------------------------------------------

/** Once every submission of a catalog command is past sending, the command gets its final status. */
async function settleCatalogCommand(deps: ExecutorDeps, commandId: string): Promise<void> {
  const command = await deps.commands.get(commandId);
  if (!command || command.status === "SUCCEEDED" || command.status === "REJECTED" || command.status === "FAILED") {
    return;
  }
  const subs = await Promise.all((command.submissionIds ?? []).map((id) => deps.submissions.get(id)));
  if (subs.some((s) => !s || (s.status === "PENDING" && s.stage !== "SUBMITTED"))) return;
  const rejected = subs.find((s) => s?.status === "REJECTED");
  const failed = subs.find((s) => s?.status === "FAILED");
  const status = rejected ? "REJECTED" : failed ? "FAILED" : "SUCCEEDED";
  await deps.commands.complete(
    commandId,
    status,
    {
      ...(rejected?.error
        ? { errorCode: rejected.error.errorCode ?? null, message: rejected.error.message ?? null }
        : {}),
      ...(failed?.error?.reason ? { reason: failed.error.reason } : {}),
    },
    deps.now(),
    { announce: false },
  );
}

/** Sends the submission `submissionId` (a commands-queue `command.submission` message). */
export async function executeSubmission(
  deps: ExecutorDeps,
  submissionId: string,
  timeLeftMs: () => number = () => Number.POSITIVE_INFINITY,
  delivery: { lastDelivery?: boolean } = {},
): Promise<ExecutionResult> {
  const { logger, metrics } = deps;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const record = await deps.submissions.get(submissionId);
  if (!record) throw new PoisonCommandError(`submission ${submissionId} does not exist`);
  if (record.status !== "PENDING" || record.stage === "SUBMITTED") {
    await settleCatalogCommand(deps, record.commandId);
    countMetric(metrics, "CommandDuplicates");
    return "duplicate";
  }
  const finalise = async (status: "REJECTED" | "FAILED", error: Parameters<SubmissionRepository["markFinal"]>[2]) => {
    await deps.submissions.markFinal(submissionId, status, error, deps.now());
    await settleCatalogCommand(deps, record.commandId);
    countMetric(metrics, status === "REJECTED" ? "SubmissionsRejected" : "SubmissionsFailed");
    logger.warn("submission not accepted by Pincode", { submissionId, status, errorCode: error.errorCode ?? null });
    return status;
  };
  if (record.attempts >= maxAttempts) {
    return finalise("FAILED", { reason: `gave up after ${record.attempts} attempt(s)` });
  }
  const claimed = await deps.submissions.claim(submissionId, record.attempts, deps.now());
  if (!claimed) throw new RetryLaterError(`submission ${submissionId} changed while starting an attempt`);
  const options = { requestId: record.requestId, timeLeftMs: Math.max(0, timeLeftMs()) };
  const messages = record.messages as never[];
  const endpoint = record.operation === "STORE_TOGGLE" ? "/tsp/catalog/v1/store" : "/tsp/catalog/v1/listing";
  let answer: SubmissionResult;
  try {
    answer =
      record.operation === "STORE_TOGGLE"
        ? await deps.pincode.toggleStore(messages, options)
        : record.operation === "CREATE"
          ? await deps.pincode.createListings(messages, options)
          : await deps.pincode.updateListings(messages, options);
  } catch (error) {
    const failure = classifyFailure(error, endpoint);
    switch (failure.kind) {
      case "rejected":
        return finalise("REJECTED", {
          errorCode: failure.errorCode,
          message: failure.message,
          httpStatus: failure.httpStatus,
        });
      case "invalid":
        return finalise("FAILED", { reason: failure.reason });
      // Not every receive is an attempt (a record skipped behind a failed one of its group, a lost claim): on the
      // message's last delivery the submission is decided rather than dead-lettered PENDING (as order commands are).
      case "not-sent":
        await deps.submissions.releaseNotSent(submissionId, claimed.attempts, failure.reason, deps.now());
        if (delivery.lastDelivery) {
          return finalise("FAILED", { reason: `not sent by the message's last delivery: ${failure.reason}` });
        }
        throw new RetryLaterError(`submission ${submissionId} not sent: ${failure.reason}`);
      case "ambiguous":
        await deps.submissions.recordAmbiguous(submissionId, claimed.attempts, failure.reason, deps.now());
        if (delivery.lastDelivery) {
          return finalise("FAILED", {
            reason: `outcome unknown on the message's last delivery (${failure.reason}); not resent`,
          });
        }
        throw new RetryLaterError(`submission ${submissionId} outcome unknown (${failure.reason}); resent next`);
    }
  }
  // A7: a 2xx without a submissionId (204 ACCEPTED) leaves nothing to correlate the result callback with.
  const pincodeSubmissionId = answer.submissionId ?? `none:${record.requestId}`;
  const { result } = await deps.submissions.markSubmitted(submissionId, pincodeSubmissionId, deps.now());
  if (result) {
    // The result callback was processed before we linked it: we announce the completion.
    const linked = await deps.submissions.get(submissionId);
    if (linked) await deps.events.publish([submissionCompletedEvent(linked, result, pincodeSubmissionId)]);
  }
  await settleCatalogCommand(deps, record.commandId);
  countMetric(metrics, "SubmissionsSent");
  logger.info("submission accepted by Pincode", {
    submissionId,
    pincodeSubmissionId,
    messages: record.messages.length,
  });
  return "SUCCEEDED";
}
