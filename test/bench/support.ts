/** Small shared pieces of `npm run bench`: sizes, statistics, the results table, a counting proxy for dynalite. */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type BenchSize = "tiny" | "small" | "full";

export interface Sizes {
  /** Cold start: fresh `node` processes per bundle (median taken). */
  initRuns: number;
  /** Callback: sequential requests per round, rounds (raw and callback alternate), concurrent requests per round. */
  callbackSequential: number;
  callbackRounds: number;
  callbackConcurrent: number;
  /** Processor: distinct orders per phase (each phase is new / duplicate / stale snapshots of them). */
  processorOrders: number;
  /** Poller: changed orders per scenario. */
  pollerOrders: number;
  /** End to end: sandbox orders created in local mode. */
  e2eOrders: number;
  /** Contract: snapshots parsed. */
  contractSnapshots: number;
}

export const SIZES: Record<BenchSize, Sizes> = {
  tiny: {
    initRuns: 1,
    callbackSequential: 30,
    callbackRounds: 1,
    callbackConcurrent: 96,
    processorOrders: 20,
    pollerOrders: 10,
    e2eOrders: 30,
    contractSnapshots: 1_000,
  },
  small: {
    initRuns: 5,
    callbackSequential: 200,
    callbackRounds: 3,
    callbackConcurrent: 800,
    processorOrders: 200,
    pollerOrders: 40,
    e2eOrders: 1_000,
    contractSnapshots: 10_000,
  },
  full: {
    initRuns: 9,
    callbackSequential: 400,
    callbackRounds: 5,
    callbackConcurrent: 2_000,
    processorOrders: 500,
    pollerOrders: 100,
    e2eOrders: 10_000,
    contractSnapshots: 20_000,
  },
};

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
export const median = (values: readonly number[]) => percentile(values, 50);

/** One line of the results: a figure beside its limit, measured in the same run. */
export interface Row {
  section: string;
  figure: string;
  value: number;
  unit: string;
  /** The limit the figure is held against, when there is one. */
  limit?: { label: string; value: number };
  /** The target as a ratio to the limit (e.g. ≤ 1.3), and which way is good. */
  target?: { ratio: number; better: "lower" | "higher" };
  note?: string;
}

export interface RowResult extends Row {
  ratio?: number;
  met?: boolean;
}

export function judge(row: Row): RowResult {
  if (!row.limit || row.limit.value === 0 || !Number.isFinite(row.limit.value)) return row;
  const ratio = row.value / row.limit.value;
  if (!row.target) return { ...row, ratio };
  const met = row.target.better === "lower" ? ratio <= row.target.ratio : ratio >= row.target.ratio;
  return { ...row, ratio, met };
}

const fmt = (n: number) =>
  !Number.isFinite(n)
    ? "—"
    : Math.abs(n) >= 1000
      ? Math.round(n).toLocaleString("en-US")
      : Math.abs(n) >= 100
        ? n.toFixed(0)
        : Math.abs(n) >= 10
          ? n.toFixed(1)
          : n.toFixed(2);

export function formatTable(rows: readonly RowResult[]): string {
  const lines = [
    "| section | figure | pincode-bridge | limit (same run) | ratio | target |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const limit = r.limit ? `${r.limit.label}: ${fmt(r.limit.value)} ${r.unit}` : "—";
    const ratio = r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`;
    const target = r.target
      ? `${r.target.better === "lower" ? "≤" : "≥"} ${r.target.ratio}× ${r.met ? "met" : "MISSED"}`
      : "—";
    const value = `${fmt(r.value)} ${r.unit}${r.note ? ` (${r.note})` : ""}`;
    lines.push(`| ${r.section} | ${r.figure} | ${value} | ${limit} | ${ratio} | ${target} |`);
  }
  return lines.join("\n");
}

/**
 * An HTTP proxy in front of an emulator that counts requests by their `X-Amz-Target` operation (DynamoDB's JSON
 * protocol names the operation there), so "write requests per snapshot" is read off the wire, not the code.
 */
export interface CountingProxy {
  endpoint: string;
  counts(): Record<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  let counts: Record<string, number> = {};
  const server: Server = createServer((req, res) => {
    const op =
      String(req.headers["x-amz-target"] ?? "unknown")
        .split(".")
        .pop() ?? "unknown";
    counts[op] = (counts[op] ?? 0) + 1;
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = {};
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** DynamoDB operations that write (what on-demand bills as write request units). */
export const WRITE_OPERATIONS = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];
export const READ_OPERATIONS = ["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"];
export const sumOf = (counts: Record<string, number>, ops: readonly string[]) =>
  ops.reduce((sum, op) => sum + (counts[op] ?? 0), 0);

/** Runs `task(i)` for i in [0, total) with `concurrency` workers; resolves to per-task durations (ms). */
export async function runConcurrent(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<{ elapsedMs: number; durations: number[] }> {
  let next = 0;
  const durations: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await task(i);
        durations.push(performance.now() - t);
      }
    }),
  );
  return { elapsedMs: performance.now() - start, durations };
}
