/**
 * A command's outcome in words for the person who pressed the button (issue 9: SUCCEEDED, REJECTED with Pincode's
 * errorCode and message, FAILED with the reason; anything else is still on its way). Pure.
 */
export type OutcomeTone = "pending" | "ok" | "refused" | "failed";

export interface Outcome {
  tone: OutcomeTone;
  text: string;
  done: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : undefined);

/** What Pincode's documented error codes mean at the counter (PINCODE-API §2.9). */
const PINCODE_WORDS: Record<string, string> = {
  ACTION_NOT_ALLOWED: "this step is not allowed in the order's current state",
  INVALID_ITEM_UNITS: "units can only go down, to fewer than the order has now",
  ORDER_NOT_FOUND: "Pincode does not know this order",
  INVALID_REQUEST: "Pincode found the request malformed",
};

function pincodeError(command: Json): { code?: string; message?: string } {
  for (const key of ["rejection", "error", "pincodeError", "outcome", "result"]) {
    const v = command[key];
    if (isObject(v)) {
      const nested = isObject(v.error) ? v.error : v;
      const code = text(nested.errorCode) ?? text(nested.code);
      const message = text(nested.message) ?? text(nested.reason);
      if (code || message) return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
    }
  }
  const code = text(command.errorCode);
  const message = text(command.message) ?? text(command.reason) ?? text(command.lastError);
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

export function describeCommand(command: unknown): Outcome {
  const c = isObject(command) ? command : {};
  const status = (text(c.status) ?? "PENDING").toUpperCase();
  if (status === "SUCCEEDED") return { tone: "ok", text: "Done: Pincode accepted it.", done: true };
  if (status === "REJECTED") {
    const { code, message } = pincodeError(c);
    const words = code ? PINCODE_WORDS[code] : undefined;
    const parts = [words, message && message !== words ? message : undefined].filter(Boolean).join(" — ");
    return {
      tone: "refused",
      text: `Pincode refused${code ? ` (${code})` : ""}: ${parts || "no reason given"}.`,
      done: true,
    };
  }
  if (status === "FAILED") {
    const { message } = pincodeError(c);
    return { tone: "failed", text: `Failed: ${message ?? "gave up without a reason"}. Try again.`, done: true };
  }
  return { tone: "pending", text: "Sent; waiting for Pincode…", done: false };
}
