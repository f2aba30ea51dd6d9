/**
 * Starts local mode (`bin/local.ts`) as a child process, the way a user runs `npm start`: every port free (0), the
 * demo and the status line off, data in `dataDir`. Tests add or override settings with `env`.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { join } from "node:path";
import type { Readable } from "node:stream";

const ROOT = join(import.meta.dirname, "..", "..");

export function spawnLocal(
  dataDir: string,
  env: Record<string, string> = {},
  args: readonly string[] = [],
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ["--import", "tsx", "bin/local.ts", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      SANDBOX_PORT: "0",
      DYNAMODB_PORT: "0",
      SQS_PORT: "0",
      DATA_DIR: dataDir,
      DEMO: "0",
      STATUS_LINE: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
