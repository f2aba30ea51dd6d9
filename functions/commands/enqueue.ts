/**
 * Puts a recorded command's message(s) on the FIFO commands queue: the last step of a submit, all of a replay of a
 * command still QUEUED (the client's retry with the same Idempotency-Key), and all the poller's sweep of stranded
 * commands does (functions/poller/stranded-commands.ts). One function for the three, so they cannot drift apart.
 *
 * Everything is planned from the stored command (its validated request), never from the caller's clock: a replay or
 * a sweep re-creates exactly the submissions and messages the first submit planned. Every step is idempotent (the
 * pointer and the submissions by key, the messages by FIFO deduplication id = command or submission id, and after
 * SQS's 5-minute window by the executor's conditional claim).
 */
import { createHash, randomUUID } from "node:crypto";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { CommandRecord, CommandRepository } from "#adapters/command-repository.ts";
import { createQueuePublisher } from "#adapters/queue-publisher.ts";
import type { SubmissionRecord, SubmissionRepository } from "#adapters/submission-repository.ts";
import {
  type ListingRow,
  planListingBatches,
  type StoreToggleRequest,
  storeToggleMessage,
} from "#core/catalog-requests.ts";
import { type CommandsQueueMessage, newCommandsMessage } from "#core/messages.ts";

/** Sends one commands-queue message (FIFO: group and deduplication id are required). */
export interface CommandQueue {
  send(message: CommandsQueueMessage, options: { groupId: string; deduplicationId: string }): Promise<void>;
}

export interface EnqueueDeps {
  commands: Pick<CommandRepository, "linkToOrder">;
  submissions: Pick<SubmissionRepository, "create">;
  queue: CommandQueue;
  /** Generates Pincode requestIds for new submissions. */
  newId?: () => string;
}

/** What a 202 lists per submission of a catalog or store command. */
export interface QueuedSubmission {
  submissionId: string;
  storeId: string;
  status: string;
  messages: number;
}

/** FIFO message groups: one per order (accept runs before pack), one per store for catalog and toggles. */
export const orderGroup = (orderId: string) => `order:${orderId}`;
export const storeGroup = (storeId: string) => `store:${storeId}`;

/** Our submission ids derive from the command id, so a replay re-creates exactly the same submissions. */
export function submissionIdOf(commandId: string, index: number): string {
  const digest = createHash("sha256").update(commandId).digest("hex").slice(0, 24);
  return `SUB-${digest}-${index + 1}`;
}

export interface PlannedSubmission {
  storeId: string;
  operation: SubmissionRecord["operation"];
  messages: Record<string, unknown>[];
  rows: number[];
}

/**
 * The submissions of a store-toggle or listings command, from its stored (already validated) request: the submit,
 * its replay and the sweep all plan with this. Nothing time-dependent is checked again (a toggle's validTill was
 * validated against the submit's clock; the sweep's may be later).
 */
export function planSubmissions(
  command: Pick<CommandRecord, "commandId" | "type" | "request" | "storeId">,
): PlannedSubmission[] {
  const messageId = (batchIndex: number, position: number) =>
    `${submissionIdOf(command.commandId, batchIndex)}.${position + 1}`;
  if (command.type === "store-toggle") {
    const { storeId, status, validTill } = command.request as unknown as { storeId: string } & StoreToggleRequest;
    const toggle: StoreToggleRequest = { status, ...(validTill !== undefined ? { validTill } : {}) };
    return [
      {
        storeId,
        operation: "STORE_TOGGLE",
        messages: [storeToggleMessage(storeId, toggle, messageId(0, 0))],
        rows: [0],
      },
    ];
  }
  if (command.type === "listings") {
    return planListingBatches((command.request as { listings: ListingRow[] }).listings, messageId);
  }
  return [];
}

function newSubmissionRecord(
  command: CommandRecord,
  planned: PlannedSubmission,
  index: number,
  newId: () => string,
  now: number,
): SubmissionRecord {
  return {
    submissionId: submissionIdOf(command.commandId, index),
    commandId: command.commandId,
    type: command.type === "store-toggle" ? "store-toggle" : "listings",
    operation: planned.operation,
    storeId: planned.storeId,
    messages: planned.messages,
    rows: planned.rows,
    status: "PENDING",
    stage: "QUEUED",
    requestId: `PB-${newId()}`,
    attempts: 0,
    inFlight: false,
    createdAt: now,
    updatedAt: now,
  };
}

/** An order command: the order's pointer (so the transition check and the executor see it), then its message. */
async function sendOrderCommand(deps: EnqueueDeps, command: CommandRecord, now: number): Promise<void> {
  const orderId = command.orderId as string;
  await deps.commands.linkToOrder(orderId, command.commandId, command.createdAt);
  await deps.queue.send(newCommandsMessage({ kind: "command.order", commandId: command.commandId, orderId }, now), {
    groupId: orderGroup(orderId),
    deduplicationId: command.commandId,
  });
}

/** A catalog or store command: creates its submissions (idempotently) and queues each one still waiting to be sent. */
async function queueSubmissions(
  deps: EnqueueDeps,
  command: CommandRecord,
  planned: PlannedSubmission[],
  now: number,
): Promise<QueuedSubmission[]> {
  const newId = deps.newId ?? randomUUID;
  const out: QueuedSubmission[] = [];
  for (const [index, plan] of planned.entries()) {
    const { record } = await deps.submissions.create(newSubmissionRecord(command, plan, index, newId, now));
    if (record.stage === "QUEUED" && record.status === "PENDING") {
      await deps.queue.send(
        newCommandsMessage(
          {
            kind: "command.submission",
            commandId: command.commandId,
            submissionId: record.submissionId,
            storeId: record.storeId,
          },
          now,
        ),
        { groupId: storeGroup(record.storeId), deduplicationId: record.submissionId },
      );
    }
    out.push({
      submissionId: record.submissionId,
      storeId: record.storeId,
      status: record.status,
      messages: record.messages.length,
    });
  }
  return out;
}

/**
 * Queues the command's message(s): an order command's pointer and `command.order` message, or a catalog/store
 * command's submissions and their `command.submission` messages (the submissions are returned, none for an order).
 * `planned`: the submissions a submit just planned from this command's request (`planSubmissions`), so they are not
 * planned twice; a replay or the sweep omits it and plans from the stored command.
 */
export async function enqueueCommand(
  deps: EnqueueDeps,
  command: CommandRecord,
  now: number,
  planned?: PlannedSubmission[],
): Promise<QueuedSubmission[]> {
  if (command.type === "order-actions") {
    await sendOrderCommand(deps, command, now);
    return [];
  }
  return queueSubmissions(deps, command, planned ?? planSubmissions(command), now);
}

export function createSqsCommandQueue(sqs: SQSClient, queueUrl: string): CommandQueue {
  const publisher = createQueuePublisher(sqs);
  return {
    send: (message, options) => publisher.send(queueUrl, message, options),
  };
}
