/** Waiting for a command or a submission to reach a final status, polling the API with a growing interval. */
import { type ApiClient, call } from "./client.ts";
import type { CliContext } from "./context.ts";

export const FINAL_COMMAND_STATUSES = ["SUCCEEDED", "REJECTED", "FAILED"];
export const FINAL_SUBMISSION_STATUSES = ["COMPLETED", "REJECTED", "FAILED"];

export async function waitFor(
  ctx: CliContext,
  client: ApiClient,
  path: string,
  what: string,
  finals: readonly string[],
  timeoutMs: number,
): Promise<{ body: Record<string, unknown>; final: boolean }> {
  const deadline = ctx.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    const { body } = await call(client, { method: "GET", path }, what);
    if (finals.includes(String(body.status))) return { body, final: true };
    if (ctx.now() + delay > deadline) return { body, final: false };
    await ctx.sleep(delay);
    delay = Math.min(delay * 2, 2_000);
  }
}

export function parseSeconds(value: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`${name}: expected a number of seconds`);
  return Number(value) * 1000;
}
