/**
 * What the CLI prints: `--json` prints the API's answer (or the command's result) as JSON on stdout; otherwise short
 * human lines and aligned tables. Errors go to stderr with what to do next. Pure formatting, no I/O here except
 * through the `Io` the caller passes.
 */
import type { CliError } from "./exit-codes.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress bars may draw. */
  interactive: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  interactive: process.stderr.isTTY === true,
};

export type Row = Record<string, unknown>;

export function cell(value: unknown): string {
  if (value === undefined || value === null || value === "") return "-";
  if (typeof value === "number" && value > 1_000_000_000_000 && value < 10_000_000_000_000) return isoTime(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export const isoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** An aligned table with a header row; `-` for empty cells. */
export function table(
  rows: readonly object[],
  columns: readonly string[],
  headers: readonly string[] = columns,
): string {
  const cells = rows.map((row) => columns.map((c) => cell((row as Row)[c])));
  const widths = columns.map((_, i) => Math.max(headers[i]?.length ?? 0, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join("\n");
}

/** `key  value` lines, aligned. */
export function fields(entries: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join("\n");
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m}m` : `${Math.round(m / 60)}h`;
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** The error line(s) for stderr, and the JSON error for stdout under --json. */
export function formatError(error: CliError): { text: string; json: Record<string, unknown> } {
  const text = error.hint ? `error: ${error.message}\n  -> ${error.hint}` : `error: ${error.message}`;
  return {
    text,
    json: {
      error: error.code ?? "CLI_ERROR",
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      exitCode: error.exitCode,
    },
  };
}
