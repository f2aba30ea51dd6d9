/** Following a submission to its outcome (polls the seller API). */
import { api } from "./api.ts";
import { isSettled, readSubmission, type SubmissionView } from "./submission-view.ts";

export { readSubmission, type SubmissionMessage, type SubmissionView, submissionIds } from "./submission-view.ts";

/** Polls a submission until Pincode's result callback has settled it (or the time runs out). */
export async function followSubmission(
  submissionId: string,
  onUpdate: (s: SubmissionView) => void,
  timeoutMs = 60_000,
): Promise<SubmissionView | null> {
  const deadline = Date.now() + timeoutMs;
  let last: SubmissionView | null = null;
  while (Date.now() < deadline) {
    try {
      last = readSubmission(await api(`/v1/submissions/${encodeURIComponent(submissionId)}`));
      onUpdate(last);
      if (isSettled(last)) return last;
    } catch {
      // not written yet: keep polling
    }
    await new Promise((r) => setTimeout(r, 700));
  }
  return last;
}
