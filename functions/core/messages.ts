/**
 * The messages that travel on our queues. Every producer builds them with these helpers and every consumer parses
 * them with `QueueMessageSchema`, so the envelope is defined once.
 *
 * Events queue (standard): order.snapshot, order.changed, submission.result, callback.unknown.
 * Poll queue (standard): poll.store (one per store per scheduled run).
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { describeIssues } from "../pincode/schemas.ts";

export const MESSAGE_VERSION = 1;

const base = {
  v: z.literal(MESSAGE_VERSION),
  /** Our own id for the message (not Pincode's requestId). */
  messageId: z.string().min(1),
  /** When we received or produced it, epoch ms. */
  receivedAt: z.number().int().nonnegative(),
};

/** A full order snapshot from Pincode, kept exactly as received; the processor parses it with OrderSchema. */
export const OrderSnapshotMessageSchema = z.object({
  ...base,
  kind: z.literal("order.snapshot"),
  source: z.enum(["callback", "status-check", "order-update"]),
  /** PINCODE-API A6: type + requestContext.requestId identifies a callback delivery (for de-duplication). */
  requestId: z.string().optional(),
  orderId: z.string().min(1),
  /** The order view object (the callback's `response`). */
  order: z.record(z.string(), z.unknown()),
});

/** The poller saw this order in Order Poll: the processor resolves it through Status Check. */
export const OrderChangedMessageSchema = z.object({
  ...base,
  kind: z.literal("order.changed"),
  source: z.literal("poll"),
  orderId: z.string().min(1),
  storeId: z.string().min(1),
  /** End of the poll window the id came from: a stored view synced after this is already fresh enough. */
  observedAt: z.number().int().nonnegative(),
});

/** A STORE_UPDATE / LISTING_UPDATE submission result (PINCODE-API §3.4), kept as received. */
export const SubmissionResultMessageSchema = z.object({
  ...base,
  kind: z.literal("submission.result"),
  requestId: z.string().optional(),
  submissionId: z.string().min(1),
  body: z.record(z.string(), z.unknown()),
});

/** A callback of a kind we do not know yet, with a valid requestContext: kept, never dropped. */
export const UnknownCallbackMessageSchema = z.object({
  ...base,
  kind: z.literal("callback.unknown"),
  requestId: z.string().optional(),
  callbackType: z.string().optional(),
  body: z.record(z.string(), z.unknown()),
});

export const EventsQueueMessageSchema = z.discriminatedUnion("kind", [
  OrderSnapshotMessageSchema,
  OrderChangedMessageSchema,
  SubmissionResultMessageSchema,
  UnknownCallbackMessageSchema,
]);
export type EventsQueueMessage = z.infer<typeof EventsQueueMessageSchema>;
export type OrderSnapshotMessage = z.infer<typeof OrderSnapshotMessageSchema>;
export type OrderChangedMessage = z.infer<typeof OrderChangedMessageSchema>;
export type SubmissionResultMessage = z.infer<typeof SubmissionResultMessageSchema>;
export type UnknownCallbackMessage = z.infer<typeof UnknownCallbackMessageSchema>;

/** One store to poll, fanned out by the scheduled poller run onto the poll queue. */
export const PollTaskMessageSchema = z.object({
  ...base,
  kind: z.literal("poll.store"),
  storeId: z.string().min(1),
  /** The scheduled run that produced the task (epoch ms). */
  scheduledAt: z.number().int().nonnegative(),
});
export type PollTaskMessage = z.infer<typeof PollTaskMessageSchema>;

type Draft<T> = Omit<T, "v" | "messageId" | "receivedAt"> & { messageId?: string; receivedAt?: number };

/** Fills in the envelope fields and validates, so a producer can never put a malformed message on a queue. */
export function newEventsMessage<T extends EventsQueueMessage>(draft: Draft<T>, now = Date.now()): T {
  return EventsQueueMessageSchema.parse({
    v: MESSAGE_VERSION,
    messageId: draft.messageId ?? randomUUID(),
    receivedAt: draft.receivedAt ?? now,
    ...draft,
  }) as T;
}

export function newPollTask(storeId: string, scheduledAt: number, now = Date.now()): PollTaskMessage {
  return PollTaskMessageSchema.parse({
    v: MESSAGE_VERSION,
    messageId: randomUUID(),
    receivedAt: now,
    kind: "poll.store",
    storeId,
    scheduledAt,
  });
}

export type QueueBodyParse<T> = { ok: true; message: T } | { ok: false; reason: string };

/**
 * Parses a queue message body: JSON first, then the envelope schema. A body that fails either can never be processed,
 * so consumers turn the reason into a poison-message error (logged, retried, then left in the DLQ).
 */
export function parseQueueBody<T>(body: string, schema: z.ZodType<T>, what: string): QueueBodyParse<T> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, message: parsed.data }
    : { ok: false, reason: `not ${what}: ${describeIssues(parsed.error)}` };
}

// --- Commands queue (FIFO): seller commands to execute against Pincode (issue 9) ---------------------------------

/**
 * Execute the order command `commandId` (Order Update). Message group = the order, deduplication id = the command
 * id; the command item (`COMMAND#<commandId>`) holds the request, so the message only names it.
 */
export const OrderCommandMessageSchema = z.object({
  ...base,
  kind: z.literal("command.order"),
  commandId: z.string().min(1),
  orderId: z.string().min(1),
});

/**
 * Send the catalog/store submission `submissionId` (Store Toggle or Listing Create/Update). Message group = the
 * store, deduplication id = the submission id; the `SUBMISSION#<submissionId>` item holds the messages.
 */
export const SubmissionCommandMessageSchema = z.object({
  ...base,
  kind: z.literal("command.submission"),
  commandId: z.string().min(1),
  submissionId: z.string().min(1),
  storeId: z.string().min(1),
});

export const CommandsQueueMessageSchema = z.discriminatedUnion("kind", [
  OrderCommandMessageSchema,
  SubmissionCommandMessageSchema,
]);
export type CommandsQueueMessage = z.infer<typeof CommandsQueueMessageSchema>;
export type OrderCommandMessage = z.infer<typeof OrderCommandMessageSchema>;
export type SubmissionCommandMessage = z.infer<typeof SubmissionCommandMessageSchema>;

type CommandDraft<T> = T extends unknown ? Draft<T> : never;

export function newCommandsMessage(draft: CommandDraft<CommandsQueueMessage>, now = Date.now()): CommandsQueueMessage {
  return CommandsQueueMessageSchema.parse({
    v: MESSAGE_VERSION,
    messageId: draft.messageId ?? randomUUID(),
    receivedAt: draft.receivedAt ?? now,
    ...draft,
  });
}
