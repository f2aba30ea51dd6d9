/** Catalog: upload a CSV or JSON of listings with a progress bar, then each row's outcome from Pincode. */
import { type ApiError, api } from "../api.ts";
import { field, h, replace } from "../dom.ts";
import { batches, type ListingFile, readListingFile } from "../listings.ts";
import { followSubmission, type SubmissionMessage, submissionIds } from "../submission.ts";

type Json = Record<string, unknown>;

/** `400 {rows: [{index, message}]}`: the refused rows of a request. */
function rowProblems(body: unknown): Map<number, string> {
  const rows = typeof body === "object" && body !== null ? (body as Json).rows : undefined;
  const out = new Map<number, string>();
  for (const r of Array.isArray(rows) ? rows : []) {
    const row = r as Json;
    if (typeof row.index === "number") out.set(row.index, String(row.message ?? ""));
  }
  return out;
}

function rowOutcome(origin: string, m: SubmissionMessage): RowOutcome {
  const words = m.issues.map((i) => [i.code, i.message].filter(Boolean).join(" ")).join("; ");
  if (m.outcome === "SUCCEEDED") return { origin, outcome: "accepted", tone: "ok" };
  if (m.outcome === "WARNING") return { origin, outcome: `accepted with warnings: ${words}`, tone: "warn" };
  if (m.outcome === "PENDING") return { origin, outcome: "sent; Pincode has not answered yet", tone: "pending" };
  return { origin, outcome: `refused: ${words || m.outcome.toLowerCase()}`, tone: "refused" };
}

interface RowOutcome {
  origin: string;
  outcome: string;
  tone: "ok" | "refused" | "pending" | "warn";
}

export function renderCatalog(root: HTMLElement): () => void {
  const file = h("input", { type: "file", name: "listings", accept: ".csv,.json,text/csv,application/json" });
  const summary = h("p", { role: "status", "aria-live": "polite" });
  const bar = h("progress", { max: 1, value: 0, "aria-label": "Upload progress" });
  const upload = h("button", { type: "submit", disabled: true }, "Upload");
  const results = h("div", { class: "table-wrap" });
  let loaded: ListingFile | null = null;

  file.addEventListener("change", async () => {
    loaded = null;
    upload.disabled = true;
    replace(results);
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      loaded = readListingFile(chosen.name, await chosen.text());
      summary.textContent = `${loaded.rows.length} listing${loaded.rows.length === 1 ? "" : "s"} read from ${chosen.name}; ${batches(loaded.rows).length} request(s).`;
      upload.disabled = false;
    } catch (error) {
      summary.textContent = `Cannot read ${chosen.name}: ${(error as Error).message}`;
    }
  });

  async function send(): Promise<void> {
    if (!loaded) return;
    upload.disabled = true;
    const parts = batches(loaded.rows.map((row, i) => ({ row, origin: loaded!.origins[i] ?? `row ${i + 1}` })));
    const outcomes: RowOutcome[] = [];
    bar.max = parts.length * 2; // sending, then Pincode's result
    bar.value = 0;
    const draw = () =>
      replace(
        results,
        h(
          "table",
          { class: "results" },
          h("caption", {}, "Outcome per row"),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Row"), h("th", { scope: "col" }, "Outcome"))),
          h(
            "tbody",
            {},
            outcomes.map((o) =>
              h("tr", { class: o.tone }, h("th", { scope: "row" }, o.origin), h("td", {}, o.outcome)),
            ),
          ),
        ),
      );
    for (const [index, part] of parts.entries()) {
      summary.textContent = `Sending request ${index + 1} of ${parts.length}…`;
      let answer: Json;
      try {
        answer = await api<Json>("/v1/listings", {
          method: "POST",
          body: { listings: part.map((p) => p.row) },
          headers: { "idempotency-key": crypto.randomUUID() },
        });
      } catch (error) {
        // 400 names each refused row ({index, message}); the rest of the request was not sent either.
        const e = error as ApiError;
        const rows = rowProblems(e.body);
        for (const [i, p] of part.entries()) {
          const problem = rows.get(i);
          outcomes.push({
            origin: p.origin,
            outcome: problem
              ? `refused: ${problem}`
              : `not sent: ${rows.size > 0 ? "another row of this request was refused" : e.message}`,
            tone: "refused",
          });
        }
        bar.value += 2;
        draw();
        continue;
      }
      bar.value += 1;
      summary.textContent = `Request ${index + 1} of ${parts.length} sent; waiting for Pincode's result…`;
      const byRow = new Map<number, RowOutcome>();
      for (const id of submissionIds(answer)) {
        const settled = await followSubmission(id, () => {}, 30_000);
        for (const m of settled?.messages ?? [])
          byRow.set(m.row, rowOutcome(part[m.row]?.origin ?? `row ${m.row + 1}`, m));
      }
      bar.value += 1;
      for (const [i, p] of part.entries()) {
        outcomes.push(
          byRow.get(i) ?? { origin: p.origin, outcome: "sent; Pincode has not answered yet", tone: "pending" },
        );
      }
      draw();
    }
    const refused = outcomes.filter((o) => o.tone === "refused").length;
    summary.textContent = `Done: ${outcomes.length - refused} accepted, ${refused} refused.`;
    upload.disabled = false;
  }

  replace(
    root,
    h("h1", { tabindex: -1 }, "Catalog"),
    h(
      "p",
      {},
      "Upload listings as CSV (one listing per line; dotted headers such as price.mrp nest) or JSON (an array). They go to Pincode in batches of 100.",
    ),
    h(
      "form",
      {
        class: "upload",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void send();
        },
      },
      field("Listings file", file),
      upload,
    ),
    bar,
    summary,
    results,
  );
  return () => {};
}
