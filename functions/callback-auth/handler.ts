/** Lambda entry for `POST /pincode/oauth/token` (API Gateway REST proxy). */
import { lambdaEntry } from "#adapters/lambda-entry.ts";
import { createCallbackAuthHandler } from "./create-handler.ts";
import { buildCallbackAuthDeps } from "./deps.ts";
import { parseCallbackAuthEnv } from "./env.ts";

const deps = buildCallbackAuthDeps(parseCallbackAuthEnv());

export const handler = lambdaEntry(createCallbackAuthHandler(deps), deps);
