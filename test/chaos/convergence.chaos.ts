/**
 * Issue 10: chaos convergence. CHAOS_ORDERS orders (default 1,000) over three stores live their whole lifecycle with
 * every fault on at once; afterwards every stored view must equal the sandbox's truth, no accepted change may have
 * moved an order backwards, and every seller command must have taken effect exactly once. `npm run test:chaos`;
 * docs/chaos.md.
 */
import { describe, expect, it } from "vitest";
import { formatReport, runChaos } from "./chaos-run.ts";

const orders = Number(process.env.CHAOS_ORDERS ?? 1000);
const seed = Number(process.env.CHAOS_SEED ?? 20261002);
const convergeTimeoutMs = Number(process.env.CHAOS_CONVERGE_TIMEOUT_S ?? 300) * 1000;

describe(`chaos convergence (${orders} orders)`, () => {
  it("converges on Pincode's truth with no regression and no command applied twice", async () => {
    expect(Number.isInteger(orders) && orders > 0, "CHAOS_ORDERS must be a positive integer").toBe(true);

    const report = await runChaos({
      orders,
      seed,
      convergeTimeoutMs,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`${formatReport(report)}\n`);

    // Every fault kind really happened (a run that injected nothing would prove nothing).
    for (const kind of [
      "callbacksDropped",
      "callbacksDuplicated",
      "callbacksReordered",
      "callbacksLate",
      "callbacksRefusedInOutage",
      "api5xx",
      "api429",
      "updateResponsesLost",
      "consumerKills",
    ]) {
      expect(report.faults[kind], kind).toBeGreaterThan(0);
    }
    expect(report.commands.resubmitted).toBeGreaterThan(0);
    expect(report.convergeMs, "the views converged on the truth in time").toBeGreaterThanOrEqual(0);
    expect(report.mismatches).toEqual([]);
    expect(report.regressions).toEqual([]);
    expect(report.doubleEffects).toEqual([]);
    expect(report.misreported, "a command's status tells the truth about its effect").toEqual([]);
    expect(report.commands.resubmitMismatches, "a resubmit with the same commandId is the same command").toBe(0);
    // Every command ended (none left QUEUED or SENT), and nothing was left in a DLQ.
    const open = Object.entries(report.commands.byStatus).filter(
      ([s]) => !["SUCCEEDED", "REJECTED", "FAILED"].includes(s),
    );
    expect(open).toEqual([]);
    expect(report.dlq).toEqual({ events: 0, poll: 0, commands: 0 });
  });
});
