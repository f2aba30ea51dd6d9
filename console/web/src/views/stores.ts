/** Stores: open or close each store (with "closed until"), poll lag, orders by state. */
import { api } from "../api.ts";
import { field, h, replace } from "../dom.ts";
import { dateTime, duration } from "../format.ts";
import { followSubmission, submissionIds } from "../submission.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" ? v : null);

function pollLag(store: Json): number | null {
  const poll = isObject(store.poll) ? store.poll : {};
  return num(poll.lagMs);
}

function ordersByState(store: Json): Array<[string, number]> {
  const orders = isObject(store.orders) ? store.orders : {};
  const counts = isObject(orders.byState) ? orders.byState : {};
  return Object.entries(counts).filter((e): e is [string, number] => typeof e[1] === "number");
}

function storeCard(store: Json, reload: () => Promise<void>): HTMLElement {
  const id = String(store.storeId ?? store.id ?? "");
  const availability = isObject(store.availability) ? store.availability : {};
  const open = availability.status !== "DISABLED";
  const validTill = num(availability.validTill);
  const lag = pollLag(store);
  const status = h("p", { class: "outcome", role: "status", "aria-live": "polite" });
  const until = h("input", { type: "datetime-local", name: "closed-until" });

  async function toggle(enable: boolean): Promise<void> {
    const body: Json = { status: enable ? "ENABLED" : "DISABLED" };
    if (!enable && until.value) {
      const at = new Date(until.value).getTime();
      if (!(at > Date.now())) {
        status.textContent = "“Closed until” must be in the future.";
        return;
      }
      body.validTill = at;
    }
    status.textContent = "Sending…";
    try {
      const answer = await api(`/v1/stores/${encodeURIComponent(id)}/availability`, {
        method: "POST",
        body,
        headers: { "idempotency-key": crypto.randomUUID() },
      });
      const [submissionId] = submissionIds(answer);
      status.textContent = "Sent; waiting for Pincode's result…";
      const result = submissionId ? await followSubmission(submissionId, () => {}, 30_000) : null;
      const errors = result?.issues.filter((i) => i.severity === "ERROR") ?? [];
      status.textContent = !result
        ? "Sent; Pincode has not answered yet."
        : errors.length > 0
          ? `Pincode refused: ${errors.map((e) => `${e.code ?? ""} ${e.message}`.trim()).join("; ")}`
          : `Done: the store is ${enable ? "open" : "closed"}.`;
    } catch (error) {
      status.textContent = `Not sent: ${(error as Error).message}`;
    }
    await reload();
  }

  const counts = ordersByState(store);
  return h(
    "article",
    { class: "card store", "aria-labelledby": `store-${id}` },
    h(
      "h2",
      { id: `store-${id}` },
      store.name ? `${String(store.name)} (${id})` : id,
      h("span", { class: `badge ${open ? "open" : "closed"}` }, open ? "Open" : "Closed"),
    ),
    h(
      "dl",
      { class: "facts" },
      !open ? [h("dt", {}, "Closed until"), h("dd", {}, validTill ? dateTime(validTill) : "reopened by hand")] : null,
      h("dt", {}, "Poll lag"),
      h(
        "dd",
        { class: lag !== null && lag > 5 * 60_000 ? "late" : null },
        lag === null ? "not polled yet" : duration(lag),
      ),
      h("dt", {}, "Orders"),
      h(
        "dd",
        {},
        counts.length ? counts.map(([s, n]) => `${s.replace("_", " ").toLowerCase()} ${n}`).join(" · ") : "none",
      ),
      store.status === "RETIRED" ? [h("dt", {}, "Status"), h("dd", {}, "retired")] : null,
    ),
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        { type: "button", class: open ? "secondary" : "primary", onclick: () => void toggle(true) },
        "Open store",
      ),
    ),
    h(
      "form",
      {
        class: "inline",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void toggle(false);
        },
      },
      field("Closed until (optional)", until, "Leave empty to stay closed until opened here."),
      h("button", { type: "submit", class: "danger" }, "Close store"),
    ),
    status,
  );
}

export function renderStores(root: HTMLElement): () => void {
  const list = h("div", { class: "cards" }, h("p", {}, "Loading…"));
  replace(root, h("h1", { tabindex: -1 }, "Stores"), list);
  let stopped = false;
  const load = async () => {
    try {
      const body = await api<Json>("/v1/stores");
      if (stopped) return;
      const stores = (Array.isArray(body.stores) ? body.stores : []).filter(isObject);
      if (list.contains(document.activeElement)) return; // do not yank a form from under the keyboard
      replace(list, stores.length ? stores.map((s) => storeCard(s, load)) : h("p", {}, "No stores configured."));
    } catch (error) {
      if (!stopped) replace(list, h("p", { class: "error" }, (error as Error).message));
    }
  };
  void load();
  const timer = setInterval(load, 10_000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
