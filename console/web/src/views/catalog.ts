/** Catalog: upload a CSV or JSON of listings with a progress bar, then each row's outcome from Pincode. */
import { type ApiError, api } from "../api.ts";
import { field, h, replace } from "../dom.ts";
import { batches, type ListingFile, readListingFile } from "../listings.ts";
import { followSubmission, type SubmissionView, submissionIds } from "../submission.ts";

type Json = Record<string, unknown>;

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
        const e = error as ApiError;
        for (const p of part) outcomes.push({ origin: p.origin, outcome: `not sent: ${e.message}`, tone: "refused" });
        bar.value += 2;
        draw();
        continue;
      }
      bar.value += 1;
      const ids = submissionIds(answer);
      const settled: SubmissionView[] = [];
      for (const id of ids) {
        const s = await followSubmission(id, () => {}, 30_000);
        if (s) settled.push(s);
      }
      bar.value += 1;
      const rejected = Array.isArray(answer.rejected) ? answer.rejected : [];
      part.forEach((p, i) => {
        const mine = settled.flatMap((s) =>
          s.issues.filter((issue) => issue.messageId !== null && String(issue.messageId).endsWith(`-${i}`)),
        );
        const rowRejection = rejected.find((r) => typeof r === "object" && r !== null && (r as Json).index === i) as
          | Json
          | undefined;
        if (rowRejection) {
          outcomes.push({
            origin: p.origin,
            outcome: `refused: ${String(rowRejection.message ?? "")}`,
            tone: "refused",
          });
        } else if (settled.length === 0) {
          outcomes.push({ origin: p.origin, outcome: "sent; Pincode has not answered yet", tone: "pending" });
        } else if (mine.some((m) => m.severity === "ERROR")) {
          outcomes.push({
            origin: p.origin,
            outcome: `refused: ${mine.map((m) => `${m.code ?? ""} ${m.message}`).join("; ")}`,
            tone: "refused",
          });
        } else if (mine.length > 0) {
          outcomes.push({
            origin: p.origin,
            outcome: `accepted with warnings: ${mine.map((m) => m.message).join("; ")}`,
            tone: "warn",
          });
        } else outcomes.push({ origin: p.origin, outcome: "accepted", tone: "ok" });
      });
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
