/** `pincode-bridge console`: only for a deployed stage, with a usable port; the server itself is console/proxy.ts. */
import { describe, expect, it } from "vitest";
import type { CliContext } from "../../bin/cli/context.ts";
import { EXIT } from "../../bin/cli/exit-codes.ts";
import { run } from "../../bin/cli/program.ts";

function cli(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false },
    env,
    cwd: process.cwd(),
    open: async () => {
      throw new Error("the console command opens no API client");
    },
    sleep: async () => {},
    now: () => 0,
  };
  return { out, err, run: (...argv: string[]) => run(argv, ctx) };
}

describe("pincode-bridge console", () => {
  it("is for a deployed stage: without --stage it exits 2 and points to local mode's own /console", async () => {
    const c = cli();
    expect(await c.run("console")).toBe(EXIT.USAGE);
    expect(c.err.join("\n")).toContain("console needs --stage <stage>");
    expect(c.err.join("\n")).toContain("/console");

    const local = cli();
    expect(await local.run("--local", "console")).toBe(EXIT.USAGE);
  });

  it("refuses a port that is not a port before touching AWS", async () => {
    const c = cli({ AWS_REGION: "ap-south-1" });
    expect(await c.run("--stage", "prod", "console", "--port", "70000")).toBe(EXIT.USAGE);
    expect(c.err.join("\n")).toContain("--port: expected a port number from 0 to 65535");
  });

  it("needs a region for the stage", async () => {
    const c = cli({});
    expect(await c.run("--stage", "prod", "console")).toBe(EXIT.CONFIG);
    expect(c.err.join("\n")).toContain("no AWS region");
  });

  it("is listed in --help", async () => {
    const c = cli();
    expect(await c.run("--help")).toBe(EXIT.OK);
    expect(c.out.join("\n")).toMatch(/console\s+\[options\]\s+serve the console for a deployed stage/);
  });
});
