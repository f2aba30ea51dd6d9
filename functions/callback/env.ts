/**
 * The callback function's configuration, read once at cold start; a bad value fails naming the variable. Checked by
 * hand rather than with zod: the callback's bundle carries no schema library (issue 11). Same message shape as
 * functions/core/env.ts's parseEnv: "<what> is invalid: NAME: problem; NAME: problem".
 */
import { CALLBACK_AUTH_MODES, type CallbackAuthMode } from "#core/callback-auth.ts";

export interface CallbackEnv {
  EVENTS_QUEUE_URL: string;
  CALLBACK_AUTH_SECRET_ARN: string;
  CALLBACK_AUTH_MODE: CallbackAuthMode;
}

export function parseCallbackEnv(env: NodeJS.ProcessEnv = process.env): CallbackEnv {
  const problems: string[] = [];
  const queueUrl = env.EVENTS_QUEUE_URL ?? "";
  if (!/^https?:\/\/[^\s/]+/.test(queueUrl) || !URL.canParse(queueUrl)) {
    problems.push("EVENTS_QUEUE_URL: expected an http(s) URL");
  }
  const secretArn = env.CALLBACK_AUTH_SECRET_ARN ?? "";
  if (secretArn === "") problems.push("CALLBACK_AUTH_SECRET_ARN: expected a non-empty string");
  const mode = env.CALLBACK_AUTH_MODE ?? "";
  if (!(CALLBACK_AUTH_MODES as readonly string[]).includes(mode)) {
    problems.push(`CALLBACK_AUTH_MODE: expected one of ${CALLBACK_AUTH_MODES.join(", ")}`);
  }
  if (problems.length > 0) throw new Error(`callback function environment is invalid: ${problems.join("; ")}`);
  return {
    EVENTS_QUEUE_URL: queueUrl,
    CALLBACK_AUTH_SECRET_ARN: secretArn,
    CALLBACK_AUTH_MODE: mode as CallbackAuthMode,
  };
}
