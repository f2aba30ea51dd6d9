/** Parses a function's environment once at cold start; a bad value fails with every problem, each naming its variable. */
import type { z } from "zod";

export function parseEnv<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv, what: string): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`${what} is invalid: ${problems}`);
  }
  return parsed.data;
}
