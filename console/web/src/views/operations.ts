/**
 * Operations: DLQs with message counts, a look inside and redrive; quarantined callbacks with their reasons and
 * replay; orders per minute by how they arrived over the last hour.
 */
import { api } from "../api.ts";
import { stackedBars } from "../chart.ts";
import { h, replace, svg } from "../dom.ts";
import { clock, dateTime, duration } from "../format.ts";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === "number" ? v : null);
const listIn = (body: Json, ...keys: string[]) => {
  for (const k of keys) if (Array.isArray(body[k])) return (body[k] as unknown[]).filter(isObject);
  return [];
};

const CHANNELS = ["callback", "poll", "command"] as const;
const CHANNEL_WORDS: Record<string, string> = {
  callback: "Callback",
  poll: "Poll (Status Check)",
  command: "Our command's reply",
};

function chart(data: Json): HTMLElement {
  const series = isObject(data.series) ? (data.series as Record<string, number[]>) : {};
  const from = num(data.from) ?? Date.now() - 3_600_000;
  const bucketMs = num(data.bucketMs) ?? 60_000;
  const width = 600;
  const height = 160;
  const { bars, max, buckets } = stackedBars({ from, bucketMs, series }, { width, height }, [...CHANNELS]);
  const totals = CHANNELS.map((c) => [c, (series[c] ?? []).reduce((a, b) => a + b, 0)] as const);
  const title = svg("title");
  title.textContent = `Orders per minute by arrival, last hour: ${totals.map(([c, n]) => `${CHANNEL_WORDS[c]} ${n}`).join(", ")}`;
  const drawn = bars.map((b) => {
    const rect = svg("rect", { x: b.x, y: b.y, width: b.width, height: b.height, class: `bar ${b.channel}` });
    const tip = svg("title");
    tip.textContent = `${clock(from + b.bucket * bucketMs)}: ${b.count} via ${CHANNEL_WORDS[b.channel] ?? b.channel}`;
    rect.appendChild(tip);
    return rect;
  });
  const picture = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", preserveAspectRatio: "none" },
    title,
    svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "baseline" }),
    ...drawn,
  );
  return h(
    "figure",
    {},
    picture,
    h(
      "figcaption",
      {},
      h(
        "ul",
        { class: "legend" },
        totals.map(([c, n]) =>
          h("li", {}, h("span", { class: `swatch ${c}`, "aria-hidden": "true" }), `${CHANNEL_WORDS[c]}: ${n}`),
        ),
      ),
      `${buckets} minutes up to ${clock(from + buckets * bucketMs)}; the tallest minute had ${max}.`,
    ),
  );
}

export function renderOperations(root: HTMLElement): () => void {
  const summaryBox = h("div", { class: "cards summary" }, h("p", {}, "Loading…"));
  const chartBox = h("div", {}, h("p", {}, "Loading…"));
  const dlqBox = h("div", {}, h("p", {}, "Loading…"));
  const quarantineBox = h("div", {}, h("p", {}, "Loading…"));
  const status = h("p", { class: "outcome", role: "status", "aria-live": "polite" });
  const inside = h("div", { class: "inside" });
  let stopped = false;

  const showError = (box: HTMLElement, error: unknown) =>
    replace(box, h("p", { class: "error" }, (error as Error).message));

  async function lookInside(queue: string): Promise<void> {
    replace(inside, h("p", {}, `Reading ${queue}…`));
    try {
      const body = await api<Json>(`/v1/ops/dlqs/${encodeURIComponent(queue)}/messages?limit=10`);
      const messages = listIn(body, "items");
      replace(
        inside,
        h("h3", {}, `Inside ${queue} (first ${messages.length})`),
        messages.length === 0
          ? h("p", {}, "Empty.")
          : h(
              "ol",
              { class: "messages" },
              // The summary only (kind, ids, source, counts): bodies can hold buyer data and stay out of the page.
              messages.map((m) => {
                const { body: _body, ...meta } = m;
                return h("li", {}, h("pre", {}, JSON.stringify(meta, null, 2)));
              }),
            ),
      );
    } catch (error) {
      showError(inside, error);
    }
  }

  /** Dry run first (what would move), then the move after a confirmation, as the CLI does. */
  async function redrive(queue: string): Promise<void> {
    status.textContent = `Checking ${queue}…`;
    try {
      const dry = await api<Json>(`/v1/ops/dlqs/${encodeURIComponent(queue)}/redrive`, {
        method: "POST",
        body: { dryRun: true },
      });
      const wouldMove = num(dry.wouldMove) ?? 0;
      if (wouldMove === 0) {
        status.textContent = `${queue}: nothing to redrive.`;
        return;
      }
      if (
        !confirm(
          `Move ${wouldMove} message(s) from ${String(dry.from ?? queue)} back to ${String(dry.to ?? "its queue")}?`,
        )
      ) {
        status.textContent = "Redrive cancelled.";
        return;
      }
      const done = await api<Json>(`/v1/ops/dlqs/${encodeURIComponent(queue)}/redrive`, {
        method: "POST",
        body: { dryRun: false },
      });
      status.textContent = `Redrive of ${queue}: ${num(done.moved) ?? 0} moved, ${num(done.failed) ?? 0} failed, ${num(done.remaining) ?? 0} left.`;
    } catch (error) {
      status.textContent = `Redrive refused: ${(error as Error).message}`;
    }
    await load();
  }

  async function replay(id: string): Promise<void> {
    status.textContent = "Replaying…";
    try {
      await api(`/v1/quarantine/${encodeURIComponent(id)}/replay`, { method: "POST", body: {} });
      status.textContent = "Replayed: the callback went back on the events queue.";
    } catch (error) {
      status.textContent = `Replay refused: ${(error as Error).message}`;
    }
    await load();
  }

  async function load(): Promise<void> {
    const [summary, dlqs, quarantine, arrivals] = await Promise.allSettled([
      api<Json>("/v1/ops/summary"),
      api<Json>("/v1/ops/dlqs"),
      api<Json>("/v1/quarantine"),
      api<Json>("/v1/ops/arrivals?minutes=60"),
    ]);
    if (stopped) return;
    if (summary.status === "fulfilled") {
      const sum = summary.value;
      const queues = listIn(sum, "queues");
      const depth = (d: unknown) => (isObject(d) ? (num(d.visible) ?? 0) + (num(d.inFlight) ?? 0) : 0);
      const stores = listIn(sum, "stores");
      const worstLag = Math.max(0, ...stores.map((st) => num(st.lagMs) ?? 0));
      const pending = isObject(sum.pendingSubmissions) ? sum.pendingSubmissions : null;
      const stat = (label: string, value: string, bad = false) =>
        h(
          "div",
          { class: `card stat${bad ? " bad" : ""}` },
          h("span", { class: "stat-label" }, label),
          h("span", { class: "stat-value" }, value),
        );
      replace(
        summaryBox,
        queues.map((qq) => stat(`${String(qq.name)} queue`, String(depth(qq.queue)))),
        stat("DLQ messages", String(num(sum.dlqMessages) ?? 0), (num(sum.dlqMessages) ?? 0) > 0),
        stat("Quarantined (7 days)", String(isObject(sum.quarantine) ? (num(sum.quarantine.total) ?? 0) : 0)),
        stat("Worst poll lag", stores.length ? duration(worstLag) : "—", worstLag > 5 * 60_000),
        pending ? stat("Pending submissions", String(num(pending.count) ?? 0)) : null,
      );
    } else showError(summaryBox, summary.reason);
    if (arrivals.status === "fulfilled") replace(chartBox, chart(arrivals.value));
    else showError(chartBox, arrivals.reason);
    if (dlqs.status === "fulfilled") {
      const queues = listIn(dlqs.value, "dlqs", "queues");
      replace(
        dlqBox,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Queue", "Messages", "DLQ → redrives to", ""].map((t) => h("th", { scope: "col" }, t)),
              ),
            ),
            h(
              "tbody",
              {},
              queues.map((q) => {
                const name = String(q.queue ?? "");
                const count = num(q.messages) ?? 0;
                return h(
                  "tr",
                  { class: count > 0 ? "late" : null },
                  h("th", { scope: "row" }, name),
                  h("td", { class: "num" }, String(count)),
                  h("td", {}, `${String(q.dlqName ?? "")} → ${String(q.redrivesTo ?? "")}`),
                  h(
                    "td",
                    {},
                    h(
                      "button",
                      { type: "button", class: "secondary", onclick: () => void lookInside(name) },
                      `Look inside ${name}`,
                    ),
                    " ",
                    h(
                      "button",
                      {
                        type: "button",
                        class: "secondary",
                        disabled: count === 0,
                        onclick: () => void redrive(name),
                      },
                      `Redrive ${name}`,
                    ),
                  ),
                );
              }),
            ),
          ),
        ),
      );
    } else showError(dlqBox, dlqs.reason);
    if (quarantine.status === "fulfilled") {
      const items = listIn(quarantine.value, "items");
      replace(
        quarantineBox,
        items.length === 0
          ? h("p", {}, "Nothing quarantined.")
          : h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["When", "Code", "Reason", ""].map((t) => h("th", { scope: "col" }, t)),
                ),
              ),
              h(
                "tbody",
                {},
                items.map((q) => {
                  const id = String(q.id ?? q.quarantineId ?? "");
                  return h(
                    "tr",
                    {},
                    h("td", {}, dateTime(num(q.receivedAt) ?? num(q.at))),
                    h("td", {}, String(q.reason ?? q.detail ?? "")),
                    h(
                      "td",
                      {},
                      h("button", { type: "button", class: "secondary", onclick: () => void replay(id) }, "Replay"),
                    ),
                  );
                }),
              ),
            ),
      );
    } else showError(quarantineBox, quarantine.reason);
  }

  replace(
    root,
    h("h1", { tabindex: -1 }, "Operations"),
    status,
    summaryBox,
    h(
      "section",
      { "aria-labelledby": "arr-h" },
      h("h2", { id: "arr-h" }, "Orders per minute by arrival (last hour)"),
      chartBox,
    ),
    h("section", { "aria-labelledby": "dlq-h" }, h("h2", { id: "dlq-h" }, "Dead-letter queues"), dlqBox, inside),
    h("section", { "aria-labelledby": "q-h" }, h("h2", { id: "q-h" }, "Quarantined callbacks"), quarantineBox),
  );
  void load();
  const timer = setInterval(() => {
    if (!root.contains(document.activeElement) || document.activeElement === document.body) void load();
  }, 10_000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
