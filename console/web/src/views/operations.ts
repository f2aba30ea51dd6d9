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
  const axis = [0, max].map((v) => {
    const t = svg("text", { x: 4, y: v === 0 ? height - 2 : 12, class: "axis" });
    t.textContent = `${v}/min`;
    return t;
  });
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
    ...axis,
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
      const messages = listIn(body, "messages", "items");
      replace(
        inside,
        h("h3", {}, `Inside ${queue} (first ${messages.length})`),
        messages.length === 0
          ? h("p", {}, "Empty.")
          : h(
              "ol",
              { class: "messages" },
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

  async function redrive(queue: string, count: number): Promise<void> {
    if (!confirm(`Move ${count} message(s) from ${queue} back to its source queue?`)) return;
    status.textContent = `Redriving ${queue}…`;
    try {
      const body = await api<Json>(`/v1/ops/dlqs/${encodeURIComponent(queue)}/redrive`, { method: "POST", body: {} });
      const moved = num(body.moved) ?? num(body.redriven) ?? num(body.count);
      status.textContent = `Redrive of ${queue} started${moved !== null ? `: ${moved} message(s) moved` : ""}.`;
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
      const facts = Object.entries(summary.value).filter(([, v]) => typeof v === "number" || typeof v === "string");
      const nested = Object.entries(summary.value).filter(([, v]) => isObject(v));
      replace(
        summaryBox,
        facts.map(([k, v]) =>
          h(
            "div",
            { class: "card stat" },
            h("span", { class: "stat-label" }, k),
            h("span", { class: "stat-value" }, String(v)),
          ),
        ),
        nested.map(([k, v]) =>
          h(
            "div",
            { class: "card stat" },
            h("span", { class: "stat-label" }, k),
            h(
              "span",
              { class: "stat-small" },
              Object.entries(v as Json)
                .map(([a, b]) => `${a}: ${isObject(b) ? JSON.stringify(b) : String(b)}`)
                .join(" · "),
            ),
          ),
        ),
      );
    } else showError(summaryBox, summary.reason);
    if (arrivals.status === "fulfilled") replace(chartBox, chart(arrivals.value));
    else showError(chartBox, arrivals.reason);
    if (dlqs.status === "fulfilled") {
      const queues = listIn(dlqs.value, "dlqs", "queues");
      replace(
        dlqBox,
        h(
          "table",
          {},
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Queue", "Messages", "Oldest", ""].map((t) => h("th", { scope: "col" }, t)),
            ),
          ),
          h(
            "tbody",
            {},
            queues.map((q) => {
              const name = String(q.queue ?? q.name ?? q.id ?? "");
              const count = num(q.messages) ?? num(q.count) ?? num(q.approximateNumberOfMessages) ?? 0;
              const oldest = num(q.oldestAgeSeconds) ?? num(q.oldestMessageAgeSeconds);
              return h(
                "tr",
                { class: count > 0 ? "late" : null },
                h("th", { scope: "row" }, name),
                h("td", { class: "num" }, String(count)),
                h("td", {}, oldest !== null ? duration(oldest * 1000) : "—"),
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
                      onclick: () => void redrive(name, count),
                    },
                    `Redrive ${name}`,
                  ),
                ),
              );
            }),
          ),
        ),
      );
    } else showError(dlqBox, dlqs.reason);
    if (quarantine.status === "fulfilled") {
      const items = listIn(quarantine.value, "items", "quarantine", "callbacks");
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
                  ["When", "Reason", ""].map((t) => h("th", { scope: "col" }, t)),
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
