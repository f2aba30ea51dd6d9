/** The token endpoint's configuration, read once at cold start; a bad value fails naming the variable. */

import { z } from "zod";
import { CALLBACK_AUTH_MODES } from "#core/callback-auth.ts";
import { parseEnv } from "../core/env.ts";

export const CallbackAuthEnvSchema = z.object({
  CALLBACK_AUTH_SECRET_ARN: z.string().min(1),
  CALLBACK_AUTH_MODE: z.enum(CALLBACK_AUTH_MODES),
  /** Lifetime of issued tokens; 15 minutes unless set. */
  CALLBACK_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).optional(),
});
export type CallbackAuthEnv = z.infer<typeof CallbackAuthEnvSchema>;

export function parseCallbackAuthEnv(env: NodeJS.ProcessEnv = process.env): CallbackAuthEnv {
  return parseEnv(CallbackAuthEnvSchema, env, "callback-auth function environment");
}
