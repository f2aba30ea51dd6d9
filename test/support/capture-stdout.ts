/**
 * Captures what Powertools writes while `fn` runs (EMF metrics and info logs go to stdout, warnings and errors to
 * stderr, all as JSON lines), so tests can assert on the logs and metrics a user would see in CloudWatch.
 */
import { vi } from "vitest";

export interface Captured<T> {
  result: T;
  lines: string[];
  /** The JSON lines, parsed. */
  records: Record<string, unknown>[];
}

export async function captureStdout<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(sink),
    vi.spyOn(process.stderr, "write").mockImplementation(sink),
  ];
  try {
    const result = await fn();
    const lines = chunks.join("").split("\n").filter(Boolean);
    const records = lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    return { result, lines, records };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** EMF records carrying metric `name`, with their dimension values. */
export function emfMetrics(records: Record<string, unknown>[], name: string): Record<string, unknown>[] {
  return records.filter((r) => {
    const aws = r._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] } | undefined;
    return aws?.CloudWatchMetrics?.some((m) => m.Metrics?.some((metric) => metric.Name === name)) ?? false;
  });
}
