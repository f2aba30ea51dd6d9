/**
 * `orders list|show|accept|pack|ship|deliver|cancel|units|invoice`. Actions go to `POST /v1/orders/{id}/actions`
 * and, unless --no-wait, the CLI follows the command until Pincode's answer (SUCCEEDED, REJECTED, FAILED).
 */
import { type Command, InvalidArgumentError } from "commander";
import { call } from "../client.ts";
import { type CliContext, clientFor, globals } from "../context.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { fields, printJson, table } from "../output.ts";
import { FINAL_COMMAND_STATUSES, waitFor } from "../wait.ts";

const seconds = (value: string) => {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError("expected a number of seconds");
  return Number(value);
};
const positiveInt = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("expected a whole number from 1");
  return Number(value);
};
const wholeNumber = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number from 0");
  return Number(value);
};

const pick = (o: Record<string, unknown>, ...names: string[]) => {
  for (const name of names) if (o[name] !== undefined && o[name] !== null) return o[name];
  return undefined;
};

/** One line per order for `orders list`, from the list item or a full view. */
export function orderRow(order: Record<string, unknown>): Record<string, unknown> {
  const summary = (order.summary as Record<string, unknown> | undefined) ?? {};
  const paise = pick(order, "totalPaise") ?? pick(summary, "totalPaise");
  return {
    orderId: pick(order, "orderId", "id") ?? pick(summary, "orderId"),
    storeId: pick(order, "storeId") ?? pick(summary, "storeId"),
    state: pick(order, "orderState", "state") ?? pick(summary, "orderState"),
    items: pick(order, "itemCount") ?? pick(summary, "itemCount"),
    total: typeof paise === "number" ? `₹${(paise / 100).toFixed(2)}` : undefined,
    updatedAt: pick(order, "updatedAt") ?? pick(summary, "updatedAt"),
  };
}

interface ActionOptions {
  commandId?: string;
  wait: boolean;
  timeout: number;
}

async function submitActions(
  ctx: CliContext,
  command: Command,
  orderId: string,
  actions: Record<string, unknown>[],
  options: ActionOptions,
): Promise<void> {
  const client = await clientFor(ctx, command);
  const json = globals(command).json === true;
  const { body: accepted } = await call(
    client,
    {
      method: "POST",
      path: `/v1/orders/${encodeURIComponent(orderId)}/actions`,
      body: { actions },
      ...(options.commandId ? { headers: { "idempotency-key": `"${options.commandId}"` } } : {}),
    },
    `order ${orderId}`,
  );
  const commandId = String(accepted.commandId ?? "");
  if (!options.wait) {
    if (json) printJson(ctx.io, accepted);
    else {
      ctx.io.out(`command ${commandId} ${accepted.status ?? "QUEUED"}`);
      ctx.io.out(`follow it with: pincode-bridge commands show ${commandId}`);
    }
    return;
  }
  const { body, final } = await waitFor(
    ctx,
    client,
    `/v1/commands/${encodeURIComponent(commandId)}`,
    `command ${commandId}`,
    FINAL_COMMAND_STATUSES,
    options.timeout * 1000,
  );
  if (json) printJson(ctx.io, body);
  else ctx.io.out(describeCommand(body));
  if (!final) {
    throw new CliError(
      EXIT.UNAVAILABLE,
      `command ${commandId} is still ${body.status} after ${options.timeout}s`,
      `it keeps running: pincode-bridge commands show ${commandId}`,
    );
  }
  if (body.status !== "SUCCEEDED") {
    const outcome = (body.outcome as Record<string, unknown> | null) ?? {};
    const why = [outcome.errorCode, outcome.message ?? outcome.reason ?? body.lastError].filter(Boolean).join(": ");
    throw new CliError(
      EXIT.REFUSED,
      `Pincode did not apply the action(s) to order ${orderId}: ${body.status}${why ? ` (${why})` : ""}`,
      `see \`pincode-bridge orders show ${orderId}\` for the order's current state`,
      String(body.status),
    );
  }
}

/** One line for a command: id, status and Pincode's answer. */
export function describeCommand(body: Record<string, unknown>): string {
  const outcome = (body.outcome as Record<string, unknown> | null) ?? {};
  const detail =
    body.status === "SUCCEEDED"
      ? [outcome.orderState ? `order ${outcome.orderState}` : undefined]
      : [outcome.errorCode, outcome.message ?? outcome.reason ?? body.lastError];
  const tail = detail.filter(Boolean).join(": ");
  return `command ${body.commandId} ${body.status}${tail ? ` (${tail})` : ""}`;
}

function actionCommand(
  parent: Command,
  ctx: CliContext,
  name: string,
  summary: string,
  build: (orderId: string, options: Record<string, unknown>, args: string[]) => Record<string, unknown>[],
  configure: (c: Command) => Command = (c) => c,
) {
  const command = parent.command(name).description(summary).argument("<orderId>", "the order's id (orders list)");
  configure(command)
    .option("--command-id <id>", "your idempotency key: the same id again returns the same command, never a second")
    .option("--no-wait", "return as soon as the command is queued")
    .option("--timeout <seconds>", "how long to wait for Pincode's answer", seconds, 30)
    .action(async (orderId: string, ...rest: unknown[]) => {
      const cmd = rest[rest.length - 1] as Command;
      const options = cmd.opts() as ActionOptions & Record<string, unknown>;
      const args = cmd.args.slice(1);
      await submitActions(ctx, cmd, orderId, build(orderId, options, args), options);
    });
}

export function registerOrders(program: Command, ctx: CliContext): void {
  const orders = program.command("orders").description("read orders and act on them");

  orders
    .command("list")
    .description("orders, newest first (all active stores unless --store)")
    .option("--store <storeId>", "one store")
    .option("--state <state>", "one order state, e.g. CREATED, ACCEPTED, IN_PROGRESS, COMPLETED, CANCELLED")
    .option("--since <time>", "updated since: ISO 8601 with a zone (2026-01-31T10:00:00Z) or epoch ms")
    .option("--limit <n>", "orders per page (1-100)", positiveInt, 20)
    .option("--cursor <cursor>", "continue from a previous page's next cursor")
    .option("--all", "follow the cursor to the last page")
    .action(async (options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const all: Record<string, unknown>[] = [];
      let cursor: string | undefined = options.cursor;
      let next: string | null = null;
      do {
        const { body } = await call<{ orders: Record<string, unknown>[]; next: string | null }>(
          client,
          {
            method: "GET",
            path: "/v1/orders",
            query: {
              storeId: options.store,
              state: options.state,
              updatedSince: options.since,
              limit: options.limit,
              cursor,
            },
          },
          "orders",
        );
        all.push(...(body.orders ?? []));
        next = body.next ?? null;
        cursor = next ?? undefined;
      } while (options.all && next);
      if (globals(cmd).json) return printJson(ctx.io, { orders: all, next });
      if (all.length === 0) ctx.io.out("no orders");
      else ctx.io.out(table(all.map(orderRow), ["orderId", "storeId", "state", "items", "total", "updatedAt"]));
      if (next && !options.all) ctx.io.out(`more: --cursor ${next}`);
    });

  orders
    .command("show")
    .description("one order: state, items, fulfilments, and with --history its snapshots and commands")
    .argument("<orderId>")
    .option("--history", "list the order's history")
    .action(async (orderId: string, options, cmd: Command) => {
      const client = await clientFor(ctx, cmd);
      const { body } = await call<{ order: Record<string, unknown>; history?: Record<string, unknown>[] }>(
        client,
        { method: "GET", path: `/v1/orders/${encodeURIComponent(orderId)}` },
        `order ${orderId}`,
      );
      if (globals(cmd).json) return printJson(ctx.io, body);
      const order = body.order ?? {};
      const provider = (order.serviceProvider as Record<string, unknown> | undefined) ?? {};
      ctx.io.out(
        fields([
          ["order", order.id],
          ["store", provider.id],
          ["state", order.orderState],
          ["created", order.createdAt],
          ["updated", order.updatedAt],
        ]),
      );
      const items = Array.isArray(order.items) ? (order.items as Record<string, unknown>[]) : [];
      if (items.length > 0) {
        ctx.io.out("");
        ctx.io.out(
          table(
            // Pincode's own item fields (PINCODE-API §3.2): itemId, serviceProviderItemId (the seller's SKU), quantity.count.
            items.map((item) => ({
              itemId: item.itemId,
              sku: item.serviceProviderItemId,
              name: item.name,
              units: (item.quantity as Record<string, unknown> | undefined)?.count,
            })),
            ["itemId", "sku", "name", "units"],
          ),
        );
      }
      const fulfillments = Array.isArray(order.fulfillments) ? (order.fulfillments as Record<string, unknown>[]) : [];
      if (fulfillments.length > 0) {
        ctx.io.out("");
        ctx.io.out(
          table(
            fulfillments.map((f) => ({ fulfillmentId: f.fulfillmentId, type: f.type, state: f.fulfillmentState })),
            ["fulfillmentId", "type", "state"],
          ),
        );
      }
      if (options.history) {
        ctx.io.out("");
        const history = body.history ?? [];
        ctx.io.out(
          history.length === 0
            ? "no history"
            : table(
                history,
                ["at", "kind", "source", "outcome", "orderState"].filter((c) => history.some((h) => c in h)),
              ),
        );
      }
    });

  actionCommand(orders, ctx, "accept", "accept a new order", () => [{ type: "accept" }]);
  actionCommand(orders, ctx, "start", "mark the order IN_PROGRESS (work on it has started)", () => [{ type: "start" }]);
  actionCommand(orders, ctx, "complete", "mark an IN_PROGRESS order COMPLETED", () => [{ type: "complete" }]);
  actionCommand(
    orders,
    ctx,
    "pack",
    "mark the store fulfilment PACKED (or PACKING with --packing)",
    (_id, o) => [{ type: o.packing ? "packing" : "packed", ...(o.fulfilment ? { fulfilmentId: o.fulfilment } : {}) }],
    (c) =>
      c
        .option("--packing", "mark PACKING (packing has started) instead of PACKED")
        .option("--fulfilment <id>", "the fulfilment (default: the order's STORE fulfilment)"),
  );
  actionCommand(
    orders,
    ctx,
    "ship",
    "mark the delivery fulfilment OUT_FOR_DELIVERY",
    (_id, o) => [{ type: "outForDelivery", ...(o.fulfilment ? { fulfilmentId: o.fulfilment } : {}) }],
    (c) => c.option("--fulfilment <id>", "the fulfilment (default: the order's DELIVERY fulfilment)"),
  );
  actionCommand(
    orders,
    ctx,
    "deliver",
    "mark the delivery fulfilment DELIVERED (and the order COMPLETED with --complete)",
    (_id, o) => [
      { type: "delivered", ...(o.fulfilment ? { fulfilmentId: o.fulfilment } : {}) },
      ...(o.complete ? [{ type: "complete" }] : []),
    ],
    (c) =>
      c
        .option("--fulfilment <id>", "the fulfilment (default: the order's DELIVERY fulfilment)")
        .option("--complete", "also complete the order"),
  );
  actionCommand(
    orders,
    ctx,
    "cancel",
    "cancel the order with one of Pincode's cancel reasons",
    (_id, o) => [{ type: "cancel", reason: String(o.reason) }],
    (c) =>
      c.requiredOption(
        "--reason <reason>",
        "a Pincode cancel reason, e.g. ITEM_UNAVAILABLE, BUYER_NOT_AVAILABLE (docs/cli.md lists them)",
      ),
  );
  actionCommand(
    orders,
    ctx,
    "units",
    "cut an item's units (e.g. out of stock)",
    (_id, o) => [{ type: "itemUnits", itemId: String(o.item), units: o.units as number, reason: String(o.reason) }],
    (c) =>
      c
        .requiredOption("--item <itemId>", "the item's id (orders show)")
        .requiredOption("--units <n>", "the units the buyer gets now", wholeNumber)
        .requiredOption(
          "--reason <reason>",
          "a Pincode item-units reason, e.g. ITEM_UNAVAILABLE (docs/cli.md lists them)",
        ),
  );
  actionCommand(
    orders,
    ctx,
    "invoice",
    "attach your invoice id to the order",
    (_id, o) => [{ type: "invoice", sellerInvoiceId: String(o.invoiceId) }],
    (c) => c.requiredOption("--invoice-id <sellerInvoiceId>", "your invoice number"),
  );
}
