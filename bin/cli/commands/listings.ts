/**
 * `listings push <file.csv|file.json>`: pushes listing rows through `POST /v1/listings` in requests of --batch-size
 * rows, with a progress bar, a per-row outcome report and a state file next to the input so a re-run skips the rows
 * already submitted. Rows the API refuses as invalid are reported with the API's reason and the rest of their
 * request is sent without them. Unless --no-wait, the CLI then follows every submission until Pincode's result
 * callback and reports each row's outcome.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, InvalidArgumentError } from "commander";
import { type ApiClient, call } from "../client.ts";
import { type CliContext, clientFor, globals } from "../context.ts";
import { apiError, CliError, EXIT } from "../exit-codes.ts";
import {
  chunk,
  type InputRow,
  outcomesCsv,
  outcomesFromSubmission,
  parseListingsFile,
  type RowOutcome,
  requestKey,
  summarise,
} from "../listings.ts";
import { printJson, table } from "../output.ts";
import { isDone, loadState, type PushState, saveState, statePathFor } from "../push-state.ts";
import { FINAL_SUBMISSION_STATUSES } from "../wait.ts";

/** The API takes at most 500 rows per request (functions/core/catalog-requests.ts MAX_LISTING_ROWS). */
export const MAX_BATCH = 500;

const intIn = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  }
  return Number(value);
};
const seconds = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError("expected a number of seconds");
  return Number(value);
};

interface PushOptions {
  store?: string;
  batchSize: number;
  wait: boolean;
  timeout: number;
  report?: string;
  progress: boolean;
}

/** Rows the API named as invalid in a 400 (`rows: [{index, message}]`), by their position in the request. */
function invalidRows(body: unknown): { index: number; message: string }[] {
  const rows = (body as { rows?: unknown } | undefined)?.rows;
  if (!Array.isArray(rows)) return [];
  return rows.filter(
    (r): r is { index: number; message: string } =>
      typeof r === "object" && r !== null && typeof (r as { index?: unknown }).index === "number",
  );
}

async function sendRequest(
  client: ApiClient,
  rows: InputRow[],
  state: PushState,
): Promise<{ sent: InputRow[]; commandId?: string; submissions: { submissionId: string }[] }> {
  let batch = rows;
  for (;;) {
    if (batch.length === 0) return { sent: [], submissions: [] };
    const commandId = requestKey(batch);
    const response = await client.send({
      method: "POST",
      path: "/v1/listings",
      body: { listings: batch.map((r) => r.listing) },
      headers: { "idempotency-key": `"${commandId}"` },
    });
    const body = response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {};
    if (response.status === 202) {
      const submissions = (body.submissions as { submissionId: string }[] | undefined) ?? [];
      state.requests[commandId] = batch.map((r) => r.row);
      return { sent: batch, commandId, submissions };
    }
    // A bad row refuses its whole request: record those rows with the API's reason and send the others again.
    const invalid = response.status === 400 ? invalidRows(body) : [];
    const storeMiss =
      response.status === 404 && body.error === "STORE_NOT_FOUND"
        ? /listings\[(\d+)\]/.exec(String(body.message ?? ""))
        : null;
    if (invalid.length > 0 || storeMiss) {
      const refused = new Map<number, string>();
      for (const r of invalid) refused.set(r.index, r.message);
      if (storeMiss) {
        const store = batch[Number(storeMiss[1])]?.listing?.storeId;
        batch.forEach((r, i) => {
          if (r.listing?.storeId === store) refused.set(i, `storeId: no active store with this id (STORE_NOT_FOUND)`);
        });
      }
      batch.forEach((r, i) => {
        const message = refused.get(i);
        if (message !== undefined) {
          state.rows[String(r.row)] = { fingerprint: r.fingerprint, status: "INVALID", message: stripPath(message) };
        }
      });
      batch = batch.filter((_, i) => !refused.has(i));
      continue;
    }
    throw apiError(response.status, body, "listings push");
  }
}

/** The API names a row as `listings[<i>].field`; in the report the row number says which, so keep the field. */
const stripPath = (message: string) => message.replace(/listings\[\d+\]\.?/g, "");

export function registerListings(program: Command, ctx: CliContext): void {
  program
    .command("listings")
    .description("your catalog on Pincode: prices, stock, status, new listings")
    .command("push")
    .description("push listing rows from a CSV or JSON file (resumable; see docs/cli.md for the columns)")
    .argument("<file>", "a .csv (header row: type,storeId,sku,psin,mrp,sellingPrice,count,status,...) or .json file")
    .option("--store <storeId>", "the store for rows without a storeId")
    .option("--batch-size <n>", `rows per API request (1-${MAX_BATCH})`, intIn(1, MAX_BATCH), 100)
    .option("--no-wait", "do not wait for Pincode's per-row results")
    .option("--timeout <seconds>", "how long to wait for Pincode's results", seconds, 120)
    .option("--report <file.csv>", "also write the per-row outcome report as CSV")
    .option("--no-progress", "no progress bar")
    .action(async (file: string, options: PushOptions, cmd: Command) => {
      const json = globals(cmd).json === true;
      const path = resolve(ctx.cwd, file);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch {
        throw new CliError(EXIT.USAGE, `cannot read ${file}`, "check the path");
      }
      const parsed = parseListingsFile(file, text, options.store ? { storeId: options.store } : {});
      if (!parsed.ok)
        throw new CliError(EXIT.USAGE, `${file}: ${parsed.message}`, "see docs/cli.md for the file format");
      if (parsed.rows.length === 0) throw new CliError(EXIT.USAGE, `${file} has no rows`, "add rows below the header");

      const client = await clientFor(ctx, cmd);
      const statePath = statePathFor(path);
      const state = await loadState(statePath, basename(path), ctx.now()).catch((error: Error) => {
        throw new CliError(
          EXIT.USAGE,
          error.message,
          `delete or rename ${basename(statePath)} to push everything again`,
        );
      });

      const skipped = parsed.rows.filter((r) => isDone(state, r.row, r.fingerprint));
      const todo = parsed.rows.filter((r) => !isDone(state, r.row, r.fingerprint));
      for (const r of todo) {
        if (r.problem)
          state.rows[String(r.row)] = { fingerprint: r.fingerprint, status: "INVALID", message: r.problem };
        else delete state.rows[String(r.row)];
      }
      const sendable = todo.filter((r) => r.listing !== undefined);
      if (skipped.length > 0 && !json) {
        ctx.io.err(`${skipped.length} row(s) already submitted by an earlier run (${basename(statePath)}): skipped`);
      }

      const bar =
        options.progress && ctx.io.interactive && !json && sendable.length > 0
          ? new SingleBar({ format: "pushing [{bar}] {value}/{total} rows | {eta_formatted} left", hideCursor: true })
          : undefined;
      bar?.start(sendable.length, 0);
      try {
        for (const rows of chunk(sendable, options.batchSize)) {
          const { sent, commandId, submissions } = await sendRequest(client, rows, state);
          // Which row went in which submission: the submission's messages name their request row.
          for (const { submissionId } of submissions) {
            const { body } = await call(
              client,
              { method: "GET", path: `/v1/submissions/${encodeURIComponent(submissionId)}` },
              `submission ${submissionId}`,
            );
            for (const message of (body.messages as { row?: number }[] | undefined) ?? []) {
              const row = message.row === undefined ? undefined : sent[message.row];
              if (row) {
                state.rows[String(row.row)] = {
                  fingerprint: row.fingerprint,
                  status: "SUBMITTED",
                  ...(commandId ? { commandId } : {}),
                  submissionId,
                };
              }
            }
          }
          state.updatedAt = ctx.now();
          await saveState(statePath, state);
          bar?.increment(rows.length);
        }
      } finally {
        bar?.stop();
        await saveState(statePath, state);
      }

      // Per-row outcomes: from the submissions (waiting for Pincode's results unless --no-wait).
      const bySubmission = new Map<string, string>();
      for (const r of parsed.rows) {
        const s = state.rows[String(r.row)];
        if (s?.submissionId && s.commandId) bySubmission.set(s.submissionId, s.commandId);
      }
      let pendingLeft = false;
      if (bySubmission.size > 0) {
        const deadline = ctx.now() + (options.wait ? options.timeout * 1000 : 0);
        let open = [...bySubmission.keys()];
        let delay = 250;
        for (;;) {
          const still: string[] = [];
          for (const submissionId of open) {
            const { body } = await call(
              client,
              { method: "GET", path: `/v1/submissions/${encodeURIComponent(submissionId)}` },
              `submission ${submissionId}`,
            );
            const requestRows = state.requests[bySubmission.get(submissionId) ?? ""] ?? [];
            for (const [row, outcome] of outcomesFromSubmission(body, requestRows)) {
              const stored = state.rows[String(row)];
              if (stored) {
                stored.status = outcome.status === "PENDING" ? "SUBMITTED" : outcome.status;
                if (outcome.message) stored.message = outcome.message;
                else delete stored.message;
              }
            }
            if (!FINAL_SUBMISSION_STATUSES.includes(String(body.status))) still.push(submissionId);
          }
          open = still;
          if (open.length === 0 || ctx.now() + delay > deadline) break;
          await ctx.sleep(delay);
          delay = Math.min(delay * 2, 2_000);
        }
        pendingLeft = open.length > 0 && options.wait;
        await saveState(statePath, state);
      }

      const outcomes: RowOutcome[] = parsed.rows.map((r) => {
        const s = state.rows[String(r.row)];
        return {
          row: r.row,
          ...(typeof r.listing?.type === "string" ? { type: r.listing.type } : {}),
          ...(typeof r.listing?.storeId === "string" ? { storeId: r.listing.storeId } : {}),
          ...(typeof r.listing?.sku === "string" ? { sku: r.listing.sku } : {}),
          status: s?.status ?? "INVALID",
          ...(s?.commandId ? { commandId: s.commandId } : {}),
          ...(s?.submissionId ? { submissionId: s.submissionId } : {}),
          ...(s?.message ? { message: s.message } : {}),
        };
      });
      const counts = summarise(outcomes);
      if (options.report) await writeFile(resolve(ctx.cwd, options.report), outcomesCsv(outcomes));
      if (json) {
        printJson(ctx.io, {
          file: basename(path),
          state: basename(statePath),
          rows: outcomes.length,
          summary: counts,
          outcomes,
        });
      } else {
        const problems = outcomes.filter((o) => ["INVALID", "REJECTED", "FAILED", "WARNING"].includes(o.status));
        if (problems.length > 0) {
          ctx.io.out(table(problems.slice(0, 50), ["row", "sku", "status", "message"]));
          if (problems.length > 50) ctx.io.out(`... and ${problems.length - 50} more (--report or --json for all)`);
        }
        const parts = Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([status, n]) => `${status} ${n}`);
        ctx.io.out(
          `${outcomes.length} row(s): ${parts.join(", ")}${options.report ? ` (report: ${options.report})` : ""}`,
        );
      }
      const refused = counts.INVALID + counts.REJECTED + counts.FAILED;
      if (refused > 0) {
        throw new CliError(
          EXIT.REFUSED,
          `${refused} row(s) were not applied`,
          "fix those rows in the file and run the same command again: rows already submitted are skipped",
          "ROWS_REFUSED",
        );
      }
      if (pendingLeft) {
        throw new CliError(
          EXIT.UNAVAILABLE,
          `Pincode has not reported on every row after ${options.timeout}s`,
          `run the same command again later: nothing is resent, the outcomes are read again`,
          "RESULTS_PENDING",
        );
      }
    });
}
