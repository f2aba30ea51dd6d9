/** A submission (store toggle, listings) and its per-message outcome, as the seller API returns it. Pure. */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface SubmissionIssue {
  messageId: string | null;
  severity: string;
  code: string | null;
  message: string;
}

/** One Pincode message of a submission and the row of the seller's request it came from. */
export interface SubmissionMessage {
  messageId: string;
  row: number;
  /** PENDING | SUCCEEDED | WARNING | FAILED | REJECTED */
  outcome: string;
  issues: SubmissionIssue[];
}

export interface SubmissionView {
  submissionId: string;
  status: string;
  issues: SubmissionIssue[];
  messages: SubmissionMessage[];
  /** Why a submission never reached Pincode's queue (REJECTED / FAILED). */
  error: string | null;
  raw: Json;
}

export function readSubmission(body: unknown): SubmissionView {
  const outer = isObject(body) ? body : {};
  const s = isObject(outer.submission) ? outer.submission : outer;
  const result = isObject(s.result) ? s.result : s;
  const issuesRaw = Array.isArray(result.issues) ? result.issues : Array.isArray(s.issues) ? s.issues : [];
  const issues = issuesRaw.filter(isObject).map(readIssue);
  const messages = (Array.isArray(s.messages) ? s.messages : []).filter(isObject).map((m) => ({
    messageId: String(m.messageId ?? ""),
    row: typeof m.row === "number" ? m.row : -1,
    outcome: String(m.outcome ?? "PENDING").toUpperCase(),
    issues: (Array.isArray(m.issues) ? m.issues : []).filter(isObject).map(readIssue),
  }));
  const status = String(s.status ?? s.processingStatus ?? result.processingStatus ?? "PENDING").toUpperCase();
  const error = isObject(s.error) ? String(s.error.message ?? s.error.errorCode ?? s.error.reason ?? "") || null : null;
  return { submissionId: String(s.submissionId ?? s.id ?? ""), status, issues, messages, error, raw: s };
}

function readIssue(i: Json): SubmissionIssue {
  const attributes = Array.isArray(i.attribute_errors)
    ? i.attribute_errors.filter(isObject).flatMap((a) => Object.entries(a).map(([k, v]) => `${k}: ${String(v)}`))
    : [];
  return {
    messageId: typeof i.messageId === "string" ? i.messageId : null,
    severity: typeof i.severity === "string" ? i.severity : "ERROR",
    code: typeof i.code === "string" || typeof i.code === "number" ? String(i.code) : null,
    message: [typeof i.message === "string" ? i.message : "", ...attributes].filter(Boolean).join("; "),
  };
}

export const isSettled = (s: SubmissionView) => s.status !== "PENDING";

/** Submission ids from a 202 answer: `{submissionId}`, `{submission: {...}}` or `{submissions: [...]}`. */
export function submissionIds(body: unknown): string[] {
  const b = isObject(body) ? body : {};
  const list = Array.isArray(b.submissions) ? b.submissions : isObject(b.submission) ? [b.submission] : [b];
  return list
    .filter(isObject)
    .map((s) => s.submissionId ?? s.id)
    .filter((id): id is string => typeof id === "string" && id !== "");
}
