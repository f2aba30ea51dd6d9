/**
 * Local mode's start-up failures as a user meets them (`bin/local.ts` as a child process): a bad setting exits 2 with
 * one line naming the variable before anything starts; a taken port exits 1 naming the variable that chose it and
 * leaves nothing listening.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnLocal } from "../support/local-process.ts";

const dataDir = mkdtempSync(join(tmpdir(), "pincode-bridge-local-errors-"));

function runLocal(env: Record<string, string>, args: string[] = []) {
  const child = spawnLocal(dataDir, env, args);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("local mode start-up errors", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 2 with one line naming the variable for a bad value, and for an unknown argument", async () => {
    // Act
    const [badPort, unknownArg] = await Promise.all([runLocal({ PORT: "abc" }), runLocal({}, ["--bogus"])]);

    // Assess
    expect(badPort.code).toBe(2);
    expect(badPort.stderr.trim()).toBe(
      "invalid local-mode configuration: PORT: must be a port number from 0 to 65535 (0 picks a free port)",
    );
    expect(badPort.stdout).not.toContain("ready.");
    expect(unknownArg.code).toBe(2);
    expect(unknownArg.stderr.trim()).toBe("unknown argument(s): --bogus (the only option is --in-memory)");
  }, 30_000);

  it("exits 1 naming the variable whose port is taken", async () => {
    // Prepare: hold a port
    const held = createServer();
    servers.push(held);
    const port = await new Promise<number>((resolve) =>
      held.listen(0, "127.0.0.1", () => resolve((held.address() as { port: number }).port)),
    );

    // Act
    const result = await runLocal({ SANDBOX_PORT: String(port) }, ["--in-memory"]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(
      `local mode failed to start: port ${port} is taken (SANDBOX_PORT); set SANDBOX_PORT to a free port, or 0 for any free port`,
    );
  }, 30_000);
});
