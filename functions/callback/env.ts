/** The callback function's configuration, read once at cold start; a bad value fails naming the variable. */

import { z } from "zod";
import { CALLBACK_AUTH_MODES } from "#core/callback-auth.ts";
import { parseEnv } from "../core/env.ts";

export const CallbackEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  EVENTS_QUEUE_URL: z.url(),
  CALLBACK_AUTH_SECRET_ARN: z.string().min(1),
  CALLBACK_AUTH_MODE: z.enum(CALLBACK_AUTH_MODES),
});
export type CallbackEnv = z.infer<typeof CallbackEnvSchema>;

export function parseCallbackEnv(env: NodeJS.ProcessEnv = process.env): CallbackEnv {
  return parseEnv(CallbackEnvSchema, env, "callback function environment");
}
