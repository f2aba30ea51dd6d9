/**
 * Contract: what the processor does to every snapshot before any I/O — the inbound order parse plus the freshness
 * key — per snapshot, CPU only, on the documented ORDER_VIEW sample with varied ids and timestamps.
 */
import { freshnessOf } from "../../functions/core/freshness.ts";
import { parseInboundOrder } from "../../functions/pincode/schemas.ts";
import { orderViewBody } from "./callback.ts";
import type { Row } from "./support.ts";

const NOW = Date.UTC(2026, 0, 1);

export async function benchContract(
  snapshots: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; usPerSnapshot: number }> {
  const orders = Array.from(
    { length: 100 },
    (_, i) => (JSON.parse(orderViewBody(i, 1_713_773_187_000 + i)) as { response: unknown }).response,
  );
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      // Exactly the processor's order.snapshot path: the tolerant inbound parse, then the freshness key.
      const parsed = parseInboundOrder(orders[i % orders.length]);
      if (!parsed.ok) throw new Error("the sample no longer parses");
      freshnessOf(parsed.order, NOW);
    }
  };
  run(Math.min(2_000, snapshots)); // warm-up (JIT)
  const start = performance.now();
  run(snapshots);
  const usPerSnapshot = ((performance.now() - start) / snapshots) * 1000;
  log(`contract: parse + freshness ${usPerSnapshot.toFixed(1)} µs per snapshot`);
  return {
    usPerSnapshot,
    rows: [
      {
        section: "processor",
        figure: `contract parse + freshness key, per snapshot (n=${snapshots})`,
        value: usPerSnapshot,
        unit: "µs",
        limit: { label: "target", value: 40 },
        target: { ratio: 1, better: "lower" },
      },
    ],
  };
}
