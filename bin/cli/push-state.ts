/**
 * The resumable state of `listings push`, kept next to the input as `<file>.push-state.json`: for each row its
 * fingerprint and the request (command) and submission it went in; for each request the file rows in request order,
 * so a submission's per-message outcome maps back to file rows. Written after every request, atomically (temp file
 * + rename), so an interrupted push resumes without sending a done row twice.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import type { RowStatus } from "./listings.ts";

export const STATE_VERSION = 1;

export interface RowState {
  fingerprint: string;
  status: RowStatus;
  commandId?: string;
  submissionId?: string;
  message?: string;
}

export interface PushState {
  version: typeof STATE_VERSION;
  input: string;
  updatedAt: number;
  rows: Record<string, RowState>;
  /** commandId -> the file rows of that request, in the order they were sent. */
  requests: Record<string, number[]>;
}

export const statePathFor = (input: string) => `${input}.push-state.json`;

export function emptyState(input: string, now: number): PushState {
  return { version: STATE_VERSION, input, updatedAt: now, rows: {}, requests: {} };
}

export async function loadState(path: string, input: string, now: number): Promise<PushState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return emptyState(input, now);
  }
  const parsed = JSON.parse(text) as Partial<PushState>;
  if (parsed.version !== STATE_VERSION || typeof parsed.rows !== "object" || typeof parsed.requests !== "object") {
    throw new Error(`${path} is not a push state file of this version; move it away to start over`);
  }
  return parsed as PushState;
}

export async function saveState(path: string, state: PushState): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temp, path);
}

/** A row is done when it went into a submission and has not changed since. */
export function isDone(state: PushState, row: number, fingerprint: string): boolean {
  const stored = state.rows[String(row)];
  return stored !== undefined && stored.fingerprint === fingerprint && stored.submissionId !== undefined;
}
