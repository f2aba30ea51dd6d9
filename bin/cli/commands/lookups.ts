/** `commands show` and `submissions show`: one command or submission as the API has it. */
import type { Command } from "commander";
import { call } from "../client.ts";
import { type CliContext, clientFor, globals } from "../context.ts";
import { fields, printJson, table } from "../output.ts";
import { describeCommand } from "./orders.ts";

export function registerLookups(program: Command, ctx: CliContext): void {
  program
    .command("commands")
    .description("seller commands (order actions, store toggles, listings)")
    .command("show")
    .description("a command's status and Pincode's answer")
    .argument("<commandId>")
    .action(async (commandId: string, _o, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call(
        client,
        { method: "GET", path: `/v1/commands/${encodeURIComponent(commandId)}` },
        `command ${commandId}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      ctx.io.out(describeCommand(body));
      ctx.io.out(
        fields([
          ["type", body.type],
          ["order", body.orderId],
          ["store", body.storeId],
          ["attempts", body.attempts],
          ["created", body.createdAt],
          ["completed", body.completedAt],
          ["submissions", Array.isArray(body.submissionIds) ? (body.submissionIds as string[]).join(" ") : undefined],
        ]),
      );
    });

  program
    .command("submissions")
    .description("catalog and store-toggle submissions to Pincode")
    .command("show")
    .description("a submission's status and the outcome of each of its messages")
    .argument("<submissionId>")
    .action(async (submissionId: string, _o, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call(
        client,
        { method: "GET", path: `/v1/submissions/${encodeURIComponent(submissionId)}` },
        `submission ${submissionId}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      ctx.io.out(
        fields([
          ["submission", body.submissionId],
          ["status", body.status],
          ["outcome", body.outcome],
          ["store", body.storeId],
          ["operation", body.operation],
          ["pending for", body.pendingForMs ?? body.ageMs],
          ["command", body.commandId],
        ]),
      );
      const messages = Array.isArray(body.messages) ? (body.messages as Record<string, unknown>[]) : [];
      if (messages.length > 0) {
        ctx.io.out("");
        ctx.io.out(
          table(
            messages.map((m) => ({
              ...m,
              issues: Array.isArray(m.issues)
                ? (m.issues as Record<string, unknown>[])
                    .map((i) => [i.code, i.message].filter(Boolean).join(" "))
                    .join("; ")
                : undefined,
            })),
            ["messageId", "serviceProviderItemId", "type", "outcome", "issues"],
            ["message", "sku", "type", "outcome", "issues"],
          ),
        );
      }
    });
}
