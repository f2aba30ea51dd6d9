/**
 * Order detail: items, fulfilments with their progress, the timeline (snapshots with their source, stale arrivals
 * marked, commands with their outcome) and buttons for exactly the actions the current state allows. Buyer data:
 * only the delivery address, folded away, because merchant delivery needs it; nothing of the buyer in the list.
 */
import { type ApiError, api } from "../api.ts";
import { field, h, replace } from "../dom.ts";
import { clock, countdown, dateTime, rupees } from "../format.ts";
import {
  ACTION_LABELS,
  type ActionType,
  actionRequest,
  allowedActions,
  type FulfilmentModel,
  nextStep,
  type OrderModel,
  readOrder,
} from "../order-model.ts";
import { upsertOrder } from "../orders-feed.ts";
import { describeCommand, type Outcome } from "../outcome.ts";
import { CANCEL_REASONS, ITEM_UNIT_REASONS, reasonLabel } from "../reasons.ts";
import { markOpened } from "../ring.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : null);
const text = (v: unknown) => (typeof v === "string" ? v : null);

const SOURCE_WORDS: Record<string, string> = {
  callback: "callback from Pincode",
  "status-check": "poll (Status Check)",
  poll: "poll (Status Check)",
  "order-update": "reply to our command",
};

interface TimelineEntry {
  at: number;
  title: string;
  detail: string;
  tone: string;
}

function timeline(history: unknown[], commands: unknown[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const raw of history.filter(isObject)) {
    const at = num(raw.receivedAt) ?? num(raw.at) ?? num(raw.createdAt) ?? 0;
    const source = text(raw.source) ?? "unknown";
    const outcome = text(raw.outcome) ?? "accepted";
    const summary = isObject(raw.summary) ? raw.summary : isObject(raw.snapshot) ? raw.snapshot : raw;
    const states = [
      text(summary.orderState),
      ...(Array.isArray(summary.fulfillments)
        ? summary.fulfillments
            .filter(isObject)
            .map((f) => `${text(f.type) ?? "?"} ${text(f.fulfillmentState) ?? "not started"}`)
        : []),
    ].filter(Boolean);
    const stale = outcome === "stale" || raw.stale === true;
    entries.push({
      at,
      title: `Snapshot via ${SOURCE_WORDS[source] ?? source}${stale ? " — stale, arrived late (ignored)" : outcome === "duplicate" ? " — duplicate" : ""}`,
      detail: states.join(" · "),
      tone: stale ? "stale" : outcome === "duplicate" ? "muted" : "snapshot",
    });
  }
  for (const raw of commands.filter(isObject)) {
    const at = num(raw.createdAt) ?? num(raw.submittedAt) ?? num(raw.updatedAt) ?? 0;
    const request = isObject(raw.request) ? raw.request : raw;
    const actions = Array.isArray(request.actions)
      ? request.actions
          .filter(isObject)
          .map((a) => [text(a.type), text(a.reason)].filter(Boolean).join(" "))
          .join(", ")
      : "";
    const outcome = describeCommand(raw);
    entries.push({
      at,
      title: `Command ${actions || text(raw.commandId) || ""}: ${text(raw.status) ?? "PENDING"}`,
      detail: outcome.text,
      tone: `command ${outcome.tone}`,
    });
  }
  return entries.sort((a, b) => b.at - a.at);
}

function progress(f: FulfilmentModel, now: number): HTMLElement {
  return h(
    "ol",
    { class: "steps", "aria-label": `${f.type ?? "Fulfilment"} progress` },
    f.history.map((step) => {
      const done = step.actual !== undefined;
      const due = !done ? countdown(step.promised ?? null, now) : null;
      const late = done && step.promised !== undefined && step.actual! > step.promised;
      return h(
        "li",
        { class: done ? "done" : step.state === f.state ? "current" : "todo" },
        h("span", { class: "step-name" }, step.state.replace(/_/g, " ")),
        h(
          "span",
          { class: `step-time${due?.late || late ? " late" : ""}` },
          done
            ? `${clock(step.actual)}${late ? " (after the promised time)" : ""}`
            : due
              ? `promised ${clock(step.promised)} · ${due.text}`
              : "",
        ),
      );
    }),
  );
}

/** Sends one action and follows its command until Pincode has answered. */
async function runAction(orderId: string, actions: Json[], show: (o: Outcome) => void): Promise<void> {
  show({ tone: "pending", text: "Sending…", done: false });
  let command: Json;
  try {
    command = await api<Json>(`/v1/orders/${encodeURIComponent(orderId)}/actions`, {
      method: "POST",
      body: { actions },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
  } catch (error) {
    const e = error as ApiError;
    const words =
      e.status === 409 ? "Not allowed in the order's current state" : e.status === 400 ? "Not accepted" : "Not sent";
    show({ tone: "refused", text: `${words}: ${e.message}`, done: true });
    return;
  }
  const commandId = text(command.commandId);
  const deadline = Date.now() + 30_000;
  let outcome = describeCommand(command);
  show(outcome);
  while (!outcome.done && commandId && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 400));
    try {
      const current = await api<Json>(`/v1/commands/${encodeURIComponent(commandId)}`);
      outcome = describeCommand(isObject(current.command) ? current.command : current);
      show(outcome);
    } catch {
      // keep waiting: the read may fail while the command is still being written
    }
  }
  if (!outcome.done)
    show({ tone: "pending", text: "Still waiting for Pincode; the timeline will show the outcome.", done: false });
}

export function renderOrderDetail(root: HTMLElement, orderId: string): () => void {
  markOpened(orderId);
  let stopped = false;
  let busy = false;
  const title = h("h1", { tabindex: -1 }, `Order ${orderId}`);
  const outcomeBox = h("p", { class: "outcome", role: "status", "aria-live": "polite", id: "action-outcome" });
  const content = h("div", {}, h("p", {}, "Loading…"));
  replace(root, h("p", {}, h("a", { href: "#/orders" }, "← All orders")), title, outcomeBox, content);

  const show = (o: Outcome) => {
    outcomeBox.textContent = o.text;
    outcomeBox.dataset.tone = o.tone;
  };

  async function act(actions: Json[]): Promise<void> {
    if (busy) return;
    busy = true;
    content.querySelectorAll("button").forEach((b) => {
      b.disabled = true;
    });
    await runAction(orderId, actions, show);
    busy = false;
    await load();
  }

  function actionsPanel(order: OrderModel): HTMLElement {
    const allowed = allowedActions(order);
    if (allowed.length === 0) return h("p", {}, `Nothing more to do: the order is ${order.state.toLowerCase()}.`);
    const next = nextStep(order)?.action;
    const simple = allowed.filter((a): a is ActionType => !["cancel", "itemUnits", "invoice"].includes(a));
    const buttons = simple.map((a) =>
      h(
        "button",
        {
          type: "button",
          class: a === next ? "primary" : "secondary",
          "data-action": a,
          onclick: () => void act(actionRequest(order, a)),
        },
        ACTION_LABELS[a],
      ),
    );
    const parts: HTMLElement[] = [h("div", { class: "buttons" }, buttons)];
    if (allowed.includes("cancel")) {
      const reason = h(
        "select",
        { name: "cancel-reason", required: true },
        h("option", { value: "" }, "Pick a reason…"),
        CANCEL_REASONS.map((r) => h("option", { value: r }, reasonLabel(r))),
      );
      parts.push(
        h(
          "form",
          {
            class: "inline danger-zone",
            onsubmit: (e: Event) => {
              e.preventDefault();
              if (!reason.value) return show({ tone: "refused", text: "Pick a cancel reason first.", done: true });
              void act(actionRequest(order, "cancel", { reason: reason.value }));
            },
          },
          field("Cancel reason", reason),
          h("button", { type: "submit", class: "danger", "data-action": "cancel" }, "Cancel order"),
        ),
      );
    }
    if (allowed.includes("invoice")) {
      const invoice = h("input", {
        name: "invoice",
        required: true,
        maxlength: 64,
        value: order.sellerInvoiceId ?? "",
        autocomplete: "off",
      });
      parts.push(
        h(
          "form",
          {
            class: "inline",
            onsubmit: (e: Event) => {
              e.preventDefault();
              void act(actionRequest(order, "invoice", { sellerInvoiceId: invoice.value.trim() }));
            },
          },
          field("Invoice id", invoice),
          h("button", { type: "submit", class: "secondary", "data-action": "invoice" }, "Set invoice id"),
        ),
      );
    }
    return h("section", { "aria-labelledby": "actions-h" }, h("h2", { id: "actions-h" }, "Actions"), parts);
  }

  function itemsTable(order: OrderModel): HTMLElement {
    const canCut = allowedActions(order).includes("itemUnits");
    return h(
      "section",
      { "aria-labelledby": "items-h" },
      h("h2", { id: "items-h" }, "Items"),
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { class: "items" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", { scope: "col" }, "Item"),
              h("th", { scope: "col" }, "Units"),
              h("th", { scope: "col" }, "Price"),
              canCut ? h("th", { scope: "col" }, "Cut units") : null,
            ),
          ),
          h(
            "tbody",
            {},
            order.items.map((item) => {
              let cut: HTMLElement | null = null;
              if (canCut && item.quantity > 0) {
                const units = h("input", {
                  type: "number",
                  name: "units",
                  min: 0,
                  max: item.quantity - 1,
                  value: item.quantity - 1,
                  inputmode: "numeric",
                });
                const reason = h(
                  "select",
                  { name: "unit-reason" },
                  ITEM_UNIT_REASONS.map((r) => h("option", { value: r }, reasonLabel(r))),
                );
                cut = h(
                  "form",
                  {
                    class: "inline compact",
                    onsubmit: (e: Event) => {
                      e.preventDefault();
                      void act(
                        actionRequest(order, "itemUnits", {
                          itemId: item.id,
                          units: Number(units.value),
                          reason: reason.value,
                        }),
                      );
                    },
                  },
                  field(`New unit count for ${item.name}`, units),
                  field("Reason", reason),
                  h("button", { type: "submit", class: "secondary" }, "Cut"),
                );
              }
              return h(
                "tr",
                {},
                h("th", { scope: "row", "data-label": "Item" }, item.name || item.id),
                h("td", { "data-label": "Units" }, String(item.quantity)),
                h("td", { "data-label": "Price", class: "num" }, rupees(item.price)),
                canCut ? h("td", { "data-label": "Cut units" }, cut) : null,
              );
            }),
          ),
        ),
      ),
      h("p", { class: "total" }, `Total ${rupees(order.totalPaise)}`),
    );
  }

  function addressOf(raw: Json): string | null {
    // Merchant delivery needs the destination; nothing else about the buyer is shown.
    const fulfilments = Array.isArray(raw.fulfillments) ? raw.fulfillments.filter(isObject) : [];
    const delivery = fulfilments.find((f) => f.type === "DELIVERY");
    const end = delivery && isObject(delivery.end) ? delivery.end : null;
    const address =
      end && isObject(end.address)
        ? end.address
        : isObject(raw.billing) && isObject(raw.billing.address)
          ? raw.billing.address
          : null;
    if (!address) return null;
    return (
      text(address.formattedAddress) ??
      ([address.building, address.locality, address.city, address.pincode]
        .filter((v) => typeof v === "string")
        .join(", ") ||
        null)
    );
  }

  async function load(): Promise<void> {
    try {
      const [detail, cmds] = await Promise.all([
        api<Json>(`/v1/orders/${encodeURIComponent(orderId)}`),
        api<Json>(`/v1/orders/${encodeURIComponent(orderId)}/commands`).catch(() => ({ commands: [] }) as Json),
      ]);
      if (stopped) return;
      const raw = isObject(detail.order) ? detail.order : detail;
      const order = readOrder(raw);
      upsertOrder(order);
      const history = Array.isArray(detail.history) ? detail.history : [];
      const commands = Array.isArray(cmds.commands) ? cmds.commands : Array.isArray(cmds.items) ? cmds.items : [];
      const now = Date.now();
      const step = nextStep(order);
      const due = step ? countdown(step.promised, now) : null;
      const address = addressOf(raw);
      const focused = document.activeElement;
      const keepFocus = focused && content.contains(focused) ? (focused as HTMLElement).dataset.action : undefined;
      if (busy) return;
      replace(
        content,
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "State"),
          h("dd", { "data-testid": "order-state" }, order.state),
          h("dt", {}, "Store"),
          h("dd", {}, order.storeId ?? "—"),
          h("dt", {}, "Placed"),
          h("dd", {}, dateTime(order.createdAt)),
          h("dt", {}, "Next"),
          h("dd", { class: due?.late ? "late" : null }, step ? `${step.label}${due ? ` · ${due.text}` : ""}` : "—"),
          order.sellerInvoiceId ? [h("dt", {}, "Invoice"), h("dd", {}, order.sellerInvoiceId)] : null,
        ),
        actionsPanel(order),
        itemsTable(order),
        h(
          "section",
          { "aria-labelledby": "ful-h" },
          h("h2", { id: "ful-h" }, "Fulfilments"),
          order.fulfilments.map((f) =>
            h(
              "div",
              { class: "fulfilment" },
              h("h3", {}, `${f.type ?? "Fulfilment"} — ${f.state?.replace(/_/g, " ") ?? "not started"}`),
              progress(f, now),
            ),
          ),
          address ? h("details", {}, h("summary", {}, "Delivery address"), h("p", {}, address)) : null,
        ),
        h(
          "section",
          { "aria-labelledby": "tl-h" },
          h("h2", { id: "tl-h" }, "Timeline"),
          h(
            "ol",
            { class: "timeline" },
            timeline(history, commands).map((e) =>
              h(
                "li",
                { class: e.tone },
                h("time", { datetime: new Date(e.at).toISOString() }, clock(e.at)),
                h("span", { class: "tl-title" }, e.title),
                e.detail ? h("span", { class: "tl-detail" }, e.detail) : null,
              ),
            ),
          ),
        ),
      );
      if (keepFocus) content.querySelector<HTMLElement>(`[data-action="${keepFocus}"]`)?.focus();
    } catch (error) {
      if (stopped) return;
      const e = error as ApiError;
      replace(content, h("p", { class: "error" }, e.status === 404 ? `No order ${orderId}.` : e.message));
    }
  }

  void load();
  const timer = setInterval(() => {
    if (!busy && !content.contains(document.activeElement)) void load();
  }, 3_000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
