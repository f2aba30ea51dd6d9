/** Orders: the live list, filtered by store and state, searchable by order id, newest first. */
import { ApiError, api } from "../api.ts";
import { field, h, replace } from "../dom.ts";
import { age, countdown, rupees } from "../format.ts";
import { isNew, nextStep, type OrderModel } from "../order-model.ts";
import { feed, loadMore, onFeedChange, setStoreFilter } from "../orders-feed.ts";
import { isMuted } from "../ring.ts";

const STATE_FILTERS = [
  ["", "All states"],
  ["NEW", "New (to accept)"],
  ["ACCEPTED", "Accepted"],
  ["IN_PROGRESS", "In progress"],
  ["COMPLETED", "Completed"],
  ["CANCELLED", "Cancelled"],
] as const;

let stateFilter = "";
let search = "";

function matches(order: OrderModel): boolean {
  if (stateFilter === "NEW" ? !isNew(order) : stateFilter && order.state !== stateFilter) return false;
  if (search && !order.id.toLowerCase().includes(search.toLowerCase())) return false;
  return true;
}

function stateLabel(order: OrderModel): string {
  return isNew(order) ? "NEW" : order.state.replace("_", " ");
}

function row(order: OrderModel, now: number): HTMLTableRowElement {
  const step = nextStep(order);
  const due = step ? countdown(step.promised, now) : null;
  const ringing = isNew(order);
  return h(
    "tr",
    { class: ringing ? "new" : null, "data-order-id": order.id },
    h(
      "th",
      { scope: "row", "data-label": "Order" },
      h("a", { href: `#/orders/${encodeURIComponent(order.id)}` }, order.id),
      h("span", { class: `badge state-${order.state.toLowerCase()}` }, stateLabel(order)),
    ),
    h("td", { "data-label": "Store" }, order.storeId ?? "—"),
    h("td", { "data-label": "Age" }, age(order.createdAt, now)),
    h("td", { "data-label": "Items" }, `${order.itemCount} (${order.unitCount} units)`),
    h("td", { "data-label": "Total", class: "num" }, rupees(order.totalPaise)),
    h("td", { "data-label": "Next" }, step ? step.label : "—"),
    h(
      "td",
      { "data-label": "Time left", class: due?.late ? "late" : null },
      due ? (due.late ? `⚠ ${due.text}` : due.text) : "—",
    ),
  );
}

export function renderOrders(root: HTMLElement): () => void {
  const storeSelect = h("select", { name: "store" }, h("option", { value: "" }, "All stores"));
  const stateSelect = h(
    "select",
    { name: "state" },
    STATE_FILTERS.map(([value, label]) => h("option", { value, selected: value === stateFilter }, label)),
  );
  const searchInput = h("input", {
    type: "search",
    name: "search",
    value: search,
    placeholder: "OD…",
    autocomplete: "off",
    spellcheck: "false",
  });
  const status = h("p", { class: "feed-status", role: "status", "aria-live": "polite" });
  const body = h("tbody");
  const more = h("button", { type: "button", class: "secondary" }, "Load older orders");
  const open = h("button", { type: "submit" }, "Open");

  const draw = () => {
    const now = Date.now();
    const stores = new Set([...feed.orders.values()].map((o) => o.storeId).filter((s): s is string => !!s));
    if (feed.storeId) stores.add(feed.storeId);
    const current = storeSelect.value;
    replace(
      storeSelect,
      h("option", { value: "" }, "All stores"),
      [...stores].sort().map((s) => h("option", { value: s, selected: s === (current || feed.storeId) }, s)),
    );
    const shown = [...feed.orders.values()]
      .filter(matches)
      .sort((a, b) => (b.createdAt ?? b.updatedAt ?? 0) - (a.createdAt ?? a.updatedAt ?? 0));
    replace(
      body,
      shown.length > 0
        ? shown.map((o) => row(o, now))
        : h("tr", {}, h("td", { colspan: 7, class: "empty" }, feed.loadedAt ? "No orders match." : "Loading…")),
    );
    const waiting = [...feed.orders.values()].filter(isNew).length;
    status.textContent = feed.error
      ? `Not updating: ${feed.error}`
      : `${shown.length} shown · ${waiting} waiting to be accepted${isMuted() ? " · sound off" : ""} · updated ${new Date(feed.loadedAt || Date.now()).toLocaleTimeString()}`;
    status.classList.toggle("error", !!feed.error);
    more.hidden = !feed.cursor;
  };

  storeSelect.addEventListener("change", () => void setStoreFilter(storeSelect.value));
  stateSelect.addEventListener("change", () => {
    stateFilter = stateSelect.value;
    draw();
  });
  searchInput.addEventListener("input", () => {
    search = searchInput.value.trim();
    draw();
  });
  more.addEventListener("click", () => void loadMore());
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const id = searchInput.value.trim();
        if (!id) return;
        // An id not in the loaded pages: ask the API directly.
        try {
          await api(`/v1/orders/${encodeURIComponent(id)}`);
          location.hash = `#/orders/${encodeURIComponent(id)}`;
        } catch (error) {
          status.textContent =
            error instanceof ApiError && error.status === 404 ? `No order ${id}.` : (error as Error).message;
        }
      },
    },
    field("Store", storeSelect),
    field("State", stateSelect),
    field("Order id", searchInput),
    open,
  );

  replace(
    root,
    h("h1", { tabindex: -1 }, "Orders"),
    form,
    status,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "orders" },
        h("caption", { class: "visually-hidden" }, "Orders, newest first"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Order", "Store", "Age", "Items", "Total", "Next action", "Time left"].map((t) =>
              h("th", { scope: "col" }, t),
            ),
          ),
        ),
        body,
      ),
    ),
    more,
  );
  draw();
  const unsubscribe = onFeedChange(draw);
  const ticker = setInterval(draw, 1_000);
  return () => {
    unsubscribe();
    clearInterval(ticker);
  };
}
