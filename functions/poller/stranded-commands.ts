/**
 * The sweep of stranded commands, run by the poller's scheduled run once a minute. A command is recorded (QUEUED)
 * before its message goes to the FIFO commands queue; when the send fails (SQS outage, a Lambda timeout or crash in
 * between) the seller API answers 503 and asks the client to retry with the same key. A client that never retries
 * leaves a QUEUED command nothing would run: this completes it the way that retry would (functions/commands/enqueue.ts).
 *
 * It reads the oldest queued-command index entries older than the grace period (one Query), their commands together
 * (BatchGetItem), re-sends the message(s) of each still QUEUED and deletes the entries of the others (gone, or past
 * QUEUED) in batches. A re-send is safe: the FIFO deduplication id is the command or submission id and the executor's
 * claim is conditional. Commands written by the previous release have no entry: the sweep does not see them.
 */
import type { CommandRepository } from "#adapters/command-repository.ts";
import type { PendingSubmissionIndex } from "#adapters/pending-submission-index.ts";
import type { QueuedCommandEntries, QueuedCommandEntry } from "#adapters/queued-command-entries.ts";
import { type EnqueueDeps, enqueueCommand } from "../commands/enqueue.ts";

/**
 * How old a QUEUED command must be before the sweep re-sends it: well past the seller API's Retry-After (5 s), so a
 * client's own retry goes first, and past the time a healthy submit takes from its write to its send.
 */
export const STRANDED_COMMAND_GRACE_MS = 2 * 60_000;
/** Entries examined per run (one Query, one BatchGetItem of at most 100 keys); a backlog clears over a few runs. */
export const STRANDED_SWEEP_LIMIT = 50;

export interface StrandedCommandsDeps extends EnqueueDeps {
  commands: Pick<CommandRepository, "getMany" | "linkToOrder">;
  entries: QueuedCommandEntries;
  /** A resumed catalog or store command's submissions are indexed as pending, as the seller API does on a replay. */
  pendingSubmissions?: Pick<PendingSubmissionIndex, "markPending">;
  graceMs?: number;
  limit?: number;
}

export interface StrandedSweep {
  /** Entries read (all created before now - grace). */
  examined: number;
  /** Commands still QUEUED whose message(s) were sent again. */
  resumed: number;
  /** Entries deleted: their command does not exist or has left QUEUED. */
  removed: number;
  /** The first re-send that failed (the run stops there: an SQS outage would fail every send). */
  failed?: { commandId: string; errorName: string };
  /** Age of the oldest command the run found still QUEUED (0 when none older than the grace period is). */
  oldestQueuedAgeMs: number;
}

export async function sweepStrandedCommands(deps: StrandedCommandsDeps, now: number): Promise<StrandedSweep> {
  const entries = await deps.entries.oldest(
    now - (deps.graceMs ?? STRANDED_COMMAND_GRACE_MS),
    deps.limit ?? STRANDED_SWEEP_LIMIT,
  );
  if (entries.length === 0) return { examined: 0, resumed: 0, removed: 0, oldestQueuedAgeMs: 0 };
  const found = await deps.commands.getMany([...new Set(entries.map((e) => e.commandId))]);
  const byId = new Map(found.map((c) => [c.commandId, c]));

  const stale: QueuedCommandEntry[] = [];
  const resent = new Set<string>();
  let oldestCreatedAt = Number.POSITIVE_INFINITY;
  let failed: StrandedSweep["failed"];
  for (const entry of entries) {
    const command = byId.get(entry.commandId);
    if (command?.status !== "QUEUED") {
      stale.push(entry);
      continue;
    }
    oldestCreatedAt = Math.min(oldestCreatedAt, command.createdAt);
    // Two entries can name one command (two submits of one key racing to create it): send it once.
    if (failed || resent.has(command.commandId)) continue;
    try {
      const submissions = await enqueueCommand(deps, command, now);
      for (const submission of submissions) {
        if (submission.status === "PENDING") {
          await deps.pendingSubmissions?.markPending(submission.submissionId, command.createdAt);
        }
      }
      resent.add(command.commandId);
    } catch (error) {
      failed = { commandId: command.commandId, errorName: error instanceof Error ? error.name : typeof error };
    }
  }
  const removed = stale.length > 0 ? await deps.entries.remove(stale) : 0;
  return {
    examined: entries.length,
    resumed: resent.size,
    removed,
    ...(failed ? { failed } : {}),
    oldestQueuedAgeMs: Number.isFinite(oldestCreatedAt) ? Math.max(0, now - oldestCreatedAt) : 0,
  };
}
