/**
 * Operations: `ops summary`, `dlq list [queue]`, `dlq redrive <queue>` (a dry run unless --yes), `quarantine list`,
 * `quarantine replay <id>`. All through the seller API's /v1/ops and /v1/quarantine routes.
 */
import { type Command, InvalidArgumentError } from "commander";
import { call } from "../client.ts";
import { type CliContext, clientFor, globals } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { duration, printJson, table } from "../output.ts";

const QUEUES = ["events", "poll", "commands"];
const queueArg = (value: string) => {
  if (!QUEUES.includes(value)) throw new InvalidArgumentError(`expected one of ${QUEUES.join(", ")}`);
  return value;
};
const intIn = (min: number, max: number) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  }
  return Number(value);
};

type Json = Record<string, unknown>;

export function registerOps(program: Command, ctx: CliContext): void {
  program
    .command("ops")
    .description("operations overview")
    .command("summary")
    .description("queue and DLQ depths, quarantined callbacks, poll lag per store, pending submissions")
    .action(async (_o, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call(client, { method: "GET", path: "/v1/ops/summary" }, "ops summary");
      if (globals(cmd).json) return printJson(ctx.io, body);
      const queues = (body.queues as Json[]) ?? [];
      ctx.io.out(
        table(
          queues.map((q) => ({
            name: q.name,
            visible: (q.queue as Json).visible,
            inFlight: (q.queue as Json).inFlight,
            dlq: ((q.dlq as Json).visible as number) + ((q.dlq as Json).inFlight as number),
          })),
          ["name", "visible", "inFlight", "dlq"],
          ["queue", "waiting", "in flight", "DLQ"],
        ),
      );
      const quarantine = (body.quarantine as Json) ?? {};
      ctx.io.out(`\nquarantined callbacks (last ${quarantine.days} days): ${quarantine.total}`);
      const pending = body.pendingSubmissions as Json | null;
      ctx.io.out(
        `pending submissions: ${pending ? `${pending.count} (oldest ${duration(pending.oldestAgeMs as number | null)})` : "n/a"}`,
      );
      const stores = (body.stores as Json[]) ?? [];
      if (stores.length > 0) {
        ctx.io.out("");
        ctx.io.out(
          table(
            stores.map((s) => ({ ...s, lag: duration(s.lagMs as number | null) })),
            ["storeId", "lag", "windowEnd"],
            ["store", "poll lag", "polled up to"],
          ),
        );
      }
    });

  const dlq = program.command("dlq").description("dead-letter queues: look inside and redrive");
  dlq
    .command("list")
    .description("each DLQ with its count; with a queue name, a look at its messages (nothing is consumed)")
    .argument("[queue]", `one of ${QUEUES.join(", ")}`, queueArg)
    .option("--limit <n>", "messages to show (1-50)", intIn(1, 50), 10)
    .option("--body", "include message bodies (they may hold buyer data)")
    .action(async (queue: string | undefined, options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      if (!queue) {
        const { body } = await call<{ dlqs: Json[] }>(client, { method: "GET", path: "/v1/ops/dlqs" }, "DLQs");
        if (globals(cmd).json) return printJson(ctx.io, body);
        ctx.io.out(
          table(body.dlqs, ["queue", "messages", "dlqName", "redrivesTo"], ["queue", "messages", "DLQ", "redrives to"]),
        );
        return;
      }
      const { body } = await call<Json & { items: Json[] }>(
        client,
        {
          method: "GET",
          path: `/v1/ops/dlqs/${queue}/messages`,
          query: { limit: options.limit, body: options.body ? "true" : undefined },
        },
        `DLQ ${queue}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      ctx.io.out(`${body.dlqName}: ${body.messages} message(s), showing ${body.shown}`);
      if (body.items.length > 0) {
        const columns = [
          "sqsMessageId",
          "kind",
          "orderId",
          "storeId",
          "commandId",
          "submissionId",
          "receiveCount",
          "sentAt",
        ];
        ctx.io.out(
          table(
            body.items,
            columns.filter((c) => body.items.some((m) => m[c] !== undefined)),
          ),
        );
        if (options.body) for (const m of body.items) ctx.io.out(`\n${m.sqsMessageId}:\n${m.body}`);
      }
    });

  dlq
    .command("redrive")
    .description("move a DLQ's messages back to their queue: shows what would move, moves only with --yes")
    .argument("<queue>", `one of ${QUEUES.join(", ")}`, queueArg)
    .option("--max <n>", "move at most this many (1-1000)", intIn(1, 1000), 100)
    .option("--yes", "really move them (without it, a dry run)")
    .action(async (queue: string, options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call<Json>(
        client,
        {
          method: "POST",
          path: `/v1/ops/dlqs/${queue}/redrive`,
          body: { dryRun: options.yes !== true, max: options.max },
        },
        `redrive of ${queue}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      if (body.dryRun) {
        ctx.io.out(
          `dry run: ${body.wouldMove} of ${body.messages} message(s) would move from ${body.from} to ${body.to}`,
        );
        const sample = (body.sample as Json[]) ?? [];
        if (sample.length > 0)
          ctx.io.out(
            table(
              sample,
              ["sqsMessageId", "kind", "orderId", "storeId", "commandId", "receiveCount"].filter((c) =>
                sample.some((m) => m[c] !== undefined),
              ),
            ),
          );
        if ((body.wouldMove as number) > 0)
          ctx.io.out(
            `move them: pincode-bridge dlq redrive ${queue} --yes${options.max !== 100 ? ` --max ${options.max}` : ""}`,
          );
        return;
      }
      ctx.io.out(`moved ${body.moved} message(s) from ${body.from} to ${body.to}; ${body.remaining} left in the DLQ`);
      if (body.failed) {
        throw new CliError(
          EXIT.UNAVAILABLE,
          `${body.failed} message(s) could not be sent back and stay in the DLQ`,
          "retry the redrive",
        );
      }
      if (body.truncated) ctx.io.out(`more to move: run it again (--max up to 1000)`);
    });

  const quarantine = program.command("quarantine").description("callbacks we could not accept, kept with the reason");
  quarantine
    .command("list")
    .description("quarantined callbacks, newest first, with their reasons (never their bodies)")
    .option("--day <YYYY-MM-DD>", "one UTC day")
    .option("--days <n>", "the last n days (1-30)", intIn(1, 30), 7)
    .option("--limit <n>", "per page (1-200)", intIn(1, 200), 50)
    .option("--cursor <cursor>", "continue from a previous page")
    .action(async (options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call<{ items: Json[]; nextCursor?: string }>(
        client,
        {
          method: "GET",
          path: "/v1/quarantine",
          query: { day: options.day, days: options.days, limit: options.limit, cursor: options.cursor },
        },
        "quarantine",
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      if (body.items.length === 0) ctx.io.out("no quarantined callbacks");
      else {
        ctx.io.out(
          table(
            body.items.map((i) => ({ ...i, replayed: i.replayedAt ? "yes" : "" })),
            ["id", "receivedAt", "code", "replayed", "reason"],
          ),
        );
      }
      if (body.nextCursor) ctx.io.out(`more: --cursor ${body.nextCursor}`);
    });
  quarantine
    .command("replay")
    .description("send a quarantined callback through today's checks and onto the events queue (once)")
    .argument("<id>", "the id from quarantine list")
    .action(async (id: string, _o, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call(
        client,
        { method: "POST", path: `/v1/quarantine/${encodeURIComponent(id)}/replay` },
        `quarantined callback ${id}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      ctx.io.out(
        body.status === "REPLAYED"
          ? `replayed ${id} as ${body.kind}: message ${body.messageId} is on the events queue`
          : `${id} was already replayed (message ${body.messageId}); nothing sent`,
      );
    });
}
