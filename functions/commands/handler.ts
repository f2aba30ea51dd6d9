/** Lambda entry: the FIFO commands queue, `reportBatchItemFailures`. Dependencies are built once per container. */
import { createCommandsHandler } from "./create-handler.ts";
import { commandsDepsFromEnv } from "./deps.ts";

export const handler = createCommandsHandler(commandsDepsFromEnv());
