/**
 * The chaos run without vitest, for profiling and one-off sizes: `npx tsx test/chaos/run.ts [orders]`.
 * The assertions live in convergence.chaos.ts (`npm run test:chaos`); this prints the figures and exits non-zero on
 * any mismatch, regression or double effect.
 */
import { formatReport, runChaos } from "./chaos-run.ts";

const orders = Number(process.argv[2] ?? process.env.CHAOS_ORDERS ?? 1000);
const report = await runChaos({
  orders,
  seed: Number(process.env.CHAOS_SEED ?? 20261002),
  convergeTimeoutMs: Number(process.env.CHAOS_CONVERGE_TIMEOUT_S ?? 300) * 1000,
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${formatReport(report)}\n`);
const failed =
  report.convergeMs < 0 ||
  report.mismatches.length + report.regressions.length + report.doubleEffects.length + report.misreported.length > 0;
process.exit(failed ? 1 : 0);
