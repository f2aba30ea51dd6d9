import { z } from "zod";

/** Per-stage settings. `-c stage=dev|prod` selects one; everything else has a safe default. */
export const StageConfigSchema = z.object({
  stage: z.enum(["dev", "prod"]),
  /** Retain stateful resources (table, queues, secrets) on stack deletion. */
  retainData: z.boolean(),
  logRetentionDays: z.number().int().positive(),
});
export type StageConfig = z.infer<typeof StageConfigSchema>;

const STAGES: Record<StageConfig["stage"], StageConfig> = {
  dev: { stage: "dev", retainData: false, logRetentionDays: 14 },
  prod: { stage: "prod", retainData: true, logRetentionDays: 90 },
};

export function loadStageConfig(stage: unknown): StageConfig {
  const parsed = z.enum(["dev", "prod"]).safeParse(stage ?? "dev");
  if (!parsed.success) {
    throw new Error(`context 'stage' must be one of dev, prod; got ${JSON.stringify(stage)}`);
  }
  return StageConfigSchema.parse(STAGES[parsed.data]);
}
