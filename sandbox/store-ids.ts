/**
 * `SANDBOX_STORES`: a comma-separated list of store ids (`S01,S02,S03`), or a count (`10000`) that generates ids
 * `S00001` ... `S10000` (zero-padded to the count's width, at least two digits, so `3` gives the default S01-S03).
 */
export const MAX_GENERATED_STORES = 100_000;

export function parseStoresSpec(
  raw: string | undefined,
  fallback: readonly string[] = ["S01", "S02", "S03"],
): string[] {
  const spec = raw?.trim() ?? "";
  if (spec === "") return [...fallback];
  if (/^\d+$/.test(spec)) {
    const count = Number(spec);
    if (count < 1 || count > MAX_GENERATED_STORES) {
      throw new Error(`SANDBOX_STORES as a count must be from 1 to ${MAX_GENERATED_STORES}`);
    }
    return generateStoreIds(count);
  }
  const ids = spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new Error("SANDBOX_STORES must be a count or a comma-separated list of store ids");
  return [...new Set(ids)];
}

export function generateStoreIds(count: number): string[] {
  const width = Math.max(2, String(count).length);
  return Array.from({ length: count }, (_, i) => `S${String(i + 1).padStart(width, "0")}`);
}
