/** Lambda entry for `POST /pincode/callbacks` (API Gateway REST proxy). */

import { lambdaEntry } from "#adapters/lambda-entry.ts";
import { createCallbackHandler } from "./create-handler.ts";
import { buildCallbackDeps } from "./deps.ts";
import { parseCallbackEnv } from "./env.ts";

const deps = buildCallbackDeps(parseCallbackEnv());

export const handler = lambdaEntry(createCallbackHandler(deps), deps);
