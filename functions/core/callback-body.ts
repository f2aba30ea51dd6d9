/**
 * Finding the JSON object in a callback body, whatever Content-Type says.
 *
 * PINCODE-API A1: the docs say callbacks are application/x-www-form-urlencoded while every sample is JSON. So we
 * accept, by looking at the bytes:
 *   1. a JSON object (`{...}`), sent as JSON or mislabelled as form-encoded;
 *   2. a form-encoded body whose whole content is percent-encoded JSON (`%7B%22type%22...`, one key, no value);
 *   3. a form-encoded body with the JSON in a field (`payload=%7B...%7D`, any field name): the one field whose value
 *      is a JSON object is taken, the others are ignored.
 * Pure: no I/O.
 */

export type BodyFormat = "json" | "form-encoded-json" | "form-field";

export type SniffResult =
  | { ok: true; value: Record<string, unknown>; format: BodyFormat; field?: string }
  | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const jsonKind = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "an array" : typeof value);

/** JSON.parse's message names the offending position, never echoing body content beyond a token. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node 20 quotes a slice of the input in some messages ("... is not valid JSON"); keep only the position.
    const position = /position (\d+)/.exec(message)?.[1];
    if (position) return { ok: false, message: `syntax error at position ${position}` };
    const token = /^Unexpected token '(.)'/.exec(message)?.[1];
    return { ok: false, message: token ? `unexpected character ${JSON.stringify(token)}` : "syntax error" };
  }
}

function asObject(
  value: unknown,
  where: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  if (isObject(value)) return { ok: true, value };
  return { ok: false, reason: `${where} must be a JSON object, got ${jsonKind(value)}` };
}

export function sniffCallbackBody(raw: Uint8Array): SniffResult {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, reason: "body is not valid UTF-8" };
  }
  return sniffCallbackText(text);
}

/**
 * The same, from text already decoded (API Gateway's `body` when not base64-encoded, holding no surrogate: such a
 * string round-trips through UTF-8 unchanged, and `trim` drops a leading BOM as the decoder would). The callback's
 * hot path uses it to skip a string -> bytes -> string copy of every body (issue 11).
 */
export function sniffCallbackText(decoded: string): SniffResult {
  const text = decoded.trim();
  if (text === "") return { ok: false, reason: "body is empty" };

  if (text.startsWith("{") || text.startsWith("[")) {
    const parsed = parseJson(text);
    if (!parsed.ok) return { ok: false, reason: `body is not valid JSON: ${parsed.message}` };
    const object = asObject(parsed.value, "body");
    return object.ok ? { ok: true, value: object.value, format: "json" } : object;
  }

  // Not JSON on its face: read it as application/x-www-form-urlencoded.
  if (!/^[^\s=&]+(=[^&]*)?(&[^\s=&]+(=[^&]*)?)*&?$/.test(text)) {
    return { ok: false, reason: "body is neither a JSON object nor application/x-www-form-urlencoded" };
  }
  const fields = [...new URLSearchParams(text)];
  if (fields.length === 1) {
    const [key, value] = fields[0] ?? ["", ""];
    if (value === "" && !text.includes("=")) {
      // The whole body is percent-encoded JSON, so URLSearchParams saw it as a lone key.
      const parsed = parseJson(key);
      if (!parsed.ok) return { ok: false, reason: `form-encoded body is not valid JSON: ${parsed.message}` };
      const object = asObject(parsed.value, "form-encoded body");
      return object.ok ? { ok: true, value: object.value, format: "form-encoded-json" } : object;
    }
    const parsed = parseJson(value);
    if (!parsed.ok) return { ok: false, reason: `form field "${safeName(key)}" is not valid JSON: ${parsed.message}` };
    const object = asObject(parsed.value, `form field "${safeName(key)}"`);
    return object.ok ? { ok: true, value: object.value, format: "form-field", field: key } : object;
  }

  const holdingJson = fields.flatMap(([key, value]) => {
    if (!value.trimStart().startsWith("{")) return [];
    const parsed = parseJson(value);
    return parsed.ok && isObject(parsed.value) ? [{ key, value: parsed.value }] : [];
  });
  const [only, ...others] = holdingJson;
  if (only && others.length === 0) return { ok: true, value: only.value, format: "form-field", field: only.key };
  if (holdingJson.length > 1) {
    const names = holdingJson.map((f) => `"${safeName(f.key)}"`).join(", ");
    return { ok: false, reason: `form body has ${holdingJson.length} fields holding JSON (${names}); expected one` };
  }
  return { ok: false, reason: `form body has ${fields.length} fields and none holds a JSON object` };
}

/**
 * Field names go into error messages: only a name that reads like a field name (`payload`, `data.json`) is quoted;
 * anything else (a phone number, an e-mail address sent as a lone key) is described, never quoted.
 */
function safeName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]{0,39}$/.test(name) ? name : "(unnamed)";
}
