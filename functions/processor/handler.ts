/** Lambda entry: SQS events queue, `reportBatchItemFailures`. Dependencies are built once per container. */
import { createProcessorHandler } from "./create-handler.ts";
import { processorDepsFromEnv } from "./deps.ts";

export const handler = createProcessorHandler(processorDepsFromEnv());
