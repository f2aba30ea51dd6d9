/**
 * Contract: what the processor does to every snapshot before any I/O — the inbound order parse plus the freshness
 * key — per snapshot, CPU only, on the documented ORDER_VIEW sample with varied ids and timestamps. The machine is
 * shared: the figure is CPU time (process.cpuUsage), the median of several rounds, and the previous release's path (zod parse, f2 key with a
 * SHA-256 digest of the canonical JSON) is timed in the same rounds, alternating, for context.
 */
import { encodeFreshness, evidenceParts, freshnessOf, sha256ContentDigest } from "../../functions/core/freshness.ts";
import { parseInboundOrder, parseInboundOrderBySchema } from "../../functions/pincode/schemas.ts";
import { orderViewBody } from "./callback.ts";
import { median, type Row } from "./support.ts";

const NOW = Date.UTC(2026, 0, 1);
const ROUNDS = 5;

export async function benchContract(
  snapshots: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; usPerSnapshot: number; runs: Record<string, number[]> }> {
  const orders = Array.from(
    { length: 100 },
    (_, i) => (JSON.parse(orderViewBody(i, 1_713_773_187_000 + i)) as { response: unknown }).response,
  );
  const paths = {
    // Exactly the processor's order.snapshot path: the tolerant inbound parse, then the freshness key.
    current: (raw: unknown) => {
      const parsed = parseInboundOrder(raw);
      if (!parsed.ok) throw new Error("the sample no longer parses");
      return freshnessOf(parsed.order, NOW);
    },
    parseOnly: (raw: unknown) => parseInboundOrder(raw),
    // The previous release: OrderSchema + repair loop, and the same evidence closed by SHA-256 of canonical JSON.
    previous: (raw: unknown) => {
      const parsed = parseInboundOrderBySchema(raw);
      if (!parsed.ok) throw new Error("the sample no longer parses");
      return encodeFreshness({ ...evidenceParts(parsed.order, NOW), digest: sha256ContentDigest(parsed.order) });
    },
  };
  // CPU time of this process (user + system, GC threads included), not wall time: on a shared machine the wall clock
  // also counts the time the process waited for a core. Wall time is kept for the note.
  const wall: Record<string, number[]> = { current: [], parseOnly: [], previous: [] };
  let timing = "";
  const time = (run: (raw: unknown) => unknown, n: number) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < n; i++) run(orders[i % orders.length]);
    wall[timing]?.push(((performance.now() - start) / n) * 1000);
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / n;
  };
  const perRound = Math.max(1, Math.round(snapshots / ROUNDS));
  for (const run of Object.values(paths)) time(run, Math.min(2_000, snapshots)); // warm-up (JIT)
  const runs: Record<string, number[]> = { current: [], parseOnly: [], previous: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(paths)) {
      timing = name;
      runs[name]?.push(time(run, name === "previous" ? perRound / 5 : perRound));
    }
  }
  const usPerSnapshot = median(runs.current ?? []);
  const parseUs = median(runs.parseOnly ?? []);
  const previousUs = median(runs.previous ?? []);
  const wallUs = median(wall.current ?? []);
  log(
    `contract: parse + freshness ${usPerSnapshot.toFixed(1)} µs CPU per snapshot (parse ${parseUs.toFixed(1)} µs; ` +
      `previous release's path ${previousUs.toFixed(1)} µs; wall ${wallUs.toFixed(1)} µs), median of ${ROUNDS} rounds`,
  );
  return {
    usPerSnapshot,
    runs: { ...runs, wallCurrent: wall.current ?? [] },
    rows: [
      {
        section: "processor",
        figure: `contract parse + freshness key, CPU per snapshot (n=${perRound * ROUNDS}, median of ${ROUNDS})`,
        value: usPerSnapshot,
        unit: "µs",
        limit: { label: "target", value: 40 },
        target: { ratio: 1, better: "lower" },
        note: `parse alone ${parseUs.toFixed(1)} µs; previous release (zod + SHA-256 key) ${previousUs.toFixed(1)} µs; wall ${wallUs.toFixed(1)} µs`,
      },
    ],
  };
}
