/**
 * `store open|close|status`. Open and close are Store Toggle submissions (`POST /v1/stores/{id}/availability`);
 * unless --no-wait the CLI follows the submission until Pincode's result callback.
 */
import { type Command, InvalidArgumentError } from "commander";
import { call } from "../client.ts";
import { type CliContext, clientFor, globals } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { duration, printJson, table } from "../output.ts";
import { FINAL_SUBMISSION_STATUSES, waitFor } from "../wait.ts";

const seconds = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError("expected a number of seconds");
  return Number(value);
};

/** `--until`: ISO 8601 with a zone, epoch ms, or a duration from now like 30m, 2h, 1d. */
export function parseUntil(value: string, now: number): number {
  const relative = /^(\d+)\s*(m|h|d)$/i.exec(value.trim());
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2]!.toLowerCase() as "m" | "h" | "d"];
    return now + Number(relative[1]) * unit;
  }
  if (/^\d{12,15}$/.test(value)) return Number(value);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError("expected a duration (30m, 2h, 1d), an ISO 8601 time with a zone, or epoch ms");
}

async function toggle(
  ctx: CliContext,
  cmd: Command,
  storeId: string,
  body: Record<string, unknown>,
  options: { wait: boolean; timeout: number; commandId?: string },
) {
  const client = await clientFor(ctx, cmd);
  const json = globals(cmd).json === true;
  const { body: accepted } = await call(
    client,
    {
      method: "POST",
      path: `/v1/stores/${encodeURIComponent(storeId)}/availability`,
      body,
      ...(options.commandId ? { headers: { "idempotency-key": `"${options.commandId}"` } } : {}),
    },
    `store ${storeId}`,
  );
  const submissionId = String(
    accepted.submissionId ?? (accepted.submissions as { submissionId?: string }[] | undefined)?.[0]?.submissionId ?? "",
  );
  if (!options.wait || !submissionId) {
    if (json) printJson(ctx.io, accepted);
    else
      ctx.io.out(
        `store ${storeId} ${body.status} requested: submission ${submissionId || "-"} (pincode-bridge submissions show ${submissionId})`,
      );
    return;
  }
  const { body: submission, final } = await waitFor(
    ctx,
    client,
    `/v1/submissions/${encodeURIComponent(submissionId)}`,
    `submission ${submissionId}`,
    FINAL_SUBMISSION_STATUSES,
    options.timeout * 1000,
  );
  if (json) printJson(ctx.io, submission);
  else
    ctx.io.out(
      `store ${storeId} ${body.status}: submission ${submissionId} ${submission.status}${submission.outcome ? ` (${submission.outcome})` : ""}`,
    );
  if (!final) {
    throw new CliError(
      EXIT.UNAVAILABLE,
      `Pincode has not answered submission ${submissionId} after ${options.timeout}s`,
      `its result arrives by callback: pincode-bridge submissions show ${submissionId}`,
    );
  }
  if (submission.status !== "COMPLETED" || submission.outcome === "FAILED") {
    throw new CliError(
      EXIT.REFUSED,
      `Pincode refused the store toggle (submission ${submissionId})`,
      `pincode-bridge submissions show ${submissionId}`,
    );
  }
}

export function registerStore(program: Command, ctx: CliContext): void {
  const store = program.command("store").description("open or close a store for orders; see stores' status");
  const common = (c: Command) =>
    c
      .option("--command-id <id>", "your idempotency key")
      .option("--no-wait", "return once the toggle is queued")
      .option("--timeout <seconds>", "how long to wait for Pincode's result callback", seconds, 60);

  common(store.command("open").description("accept orders again (Store Toggle ENABLED)").argument("<storeId>")).action(
    async (storeId: string, options, cmd: Command) => toggle(ctx, cmd, storeId, { status: "ENABLED" }, options),
  );

  common(
    store
      .command("close")
      .description("stop accepting orders (Store Toggle DISABLED), optionally until a time")
      .argument("<storeId>")
      .option("--until <when>", "reopen automatically at: 30m, 2h, 1d, an ISO 8601 time, or epoch ms"),
  ).action(async (storeId: string, options, cmd: Command) => {
    const body: Record<string, unknown> = { status: "DISABLED" };
    if (options.until) body.validTill = parseUntil(options.until, ctx.now());
    await toggle(ctx, cmd, storeId, body, options);
  });

  store
    .command("status")
    .description("every store: status, availability as last set, poll lag, orders by state")
    .argument("[storeId]", "only this store")
    .action(async (storeId: string | undefined, _options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call<{ stores: Record<string, unknown>[] }>(
        client,
        { method: "GET", path: "/v1/stores" },
        "stores",
      );
      const stores = (body.stores ?? []).filter((s) => !storeId || s.storeId === storeId);
      if (storeId && stores.length === 0) {
        throw new CliError(
          EXIT.NOT_FOUND,
          `store ${storeId} is not configured`,
          "add it with PUT /v1/stores/{storeId}",
        );
      }
      if (globals(cmd).json) return printJson(ctx.io, { stores });
      ctx.io.out(
        table(
          stores.map((s) => {
            const availability = (s.availability as Record<string, unknown> | null) ?? {};
            const poll = (s.poll as Record<string, unknown> | null) ?? {};
            const orders = ((s.orders as Record<string, unknown> | null)?.byState as Record<string, number>) ?? {};
            return {
              storeId: s.storeId,
              status: s.status,
              orders: availability.status ?? "-",
              until: availability.validTill,
              pollLag: duration(poll.lagMs as number | null),
              byState: Object.entries(orders)
                .map(([k, v]) => `${k} ${v}`)
                .join(", "),
            };
          }),
          ["storeId", "status", "orders", "until", "pollLag", "byState"],
          ["store", "status", "availability", "until", "poll lag", "orders by state"],
        ),
      );
    });
}
