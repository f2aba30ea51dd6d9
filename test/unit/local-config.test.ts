/**
 * Local mode's configuration (`npm start`): a bad value or argument fails at start with one line naming the variable,
 * blanks count as unset, the sandbox seed is left unpinned by default, and a taken port names the variable to change.
 */
import { describe, expect, it } from "vitest";
import { describeStartError, loadLocalConfig } from "../../bin/local/config.ts";

const failure = (env: NodeJS.ProcessEnv, argv: string[] = []): string => {
  try {
    loadLocalConfig(env, argv);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected loadLocalConfig to throw");
};

describe("loadLocalConfig", () => {
  it("names the variable on one line for a bad port, number or flag", () => {
    // Prepare / Act / Assess
    for (const [env, variable] of [
      [{ PORT: "abc" }, "PORT"],
      [{ SQS_PORT: "70000" }, "SQS_PORT"],
      [{ DEMO_INTERVAL_S: "soon" }, "DEMO_INTERVAL_S"],
      [{ DEMO: "maybe" }, "DEMO"],
      [{ SANDBOX_SEED: "x" }, "SANDBOX_SEED"],
    ] as const) {
      const message = failure(env);
      expect(message).toMatch(new RegExp(`^invalid local-mode configuration: ${variable}: `));
      expect(message).not.toContain("\n");
    }
    expect(failure({ PORT: "abc" })).toContain("port number from 0 to 65535");
    expect(failure({ DEMO_INTERVAL_S: "soon" })).toContain("must be a number");
  });

  it("refuses a partial real-Pincode configuration, naming the variables", () => {
    const message = failure({ PINCODE_API_BASE_URL: "https://seller-network-testing.pincode.com" });
    expect(message).toContain("PINCODE_API_BASE_URL");
    expect(message).toContain("PINCODE_CLIENT_SECRET");
    expect(message).not.toContain("\n");
  });

  it("refuses any argument but --in-memory, flags and positionals alike", () => {
    expect(failure({}, ["--bogus"])).toBe("unknown argument(s): --bogus (the only option is --in-memory)");
    expect(failure({}, ["-x", "extra"])).toContain("-x extra");
    expect(loadLocalConfig({}, ["--in-memory"]).inMemory).toBe(true);
  });

  it("treats blank values as unset and leaves the sandbox seed unpinned by default", () => {
    const config = loadLocalConfig({ PORT: "", SANDBOX_SEED: " " }, []);
    expect(config.PORT).toBe(3000);
    expect(config.SANDBOX_SEED).toBeUndefined();
    expect(loadLocalConfig({}, []).SANDBOX_SEED).toBeUndefined();
    expect(loadLocalConfig({ SANDBOX_SEED: "42" }, []).SANDBOX_SEED).toBe(42);
  });
});

describe("loadLocalConfig: sandbox fidelity and reason tables", () => {
  it("passes SANDBOX_UPDATED_AT and the extra reason lists through, naming the variable when one is wrong", () => {
    expect(loadLocalConfig({}, []).SANDBOX_UPDATED_AT).toBe("moves");
    const config = loadLocalConfig(
      {
        SANDBOX_UPDATED_AT: "frozen",
        PINCODE_EXTRA_CANCEL_REASONS: "NEW_ONE, NEW_TWO",
        PINCODE_EXTRA_ITEM_REASONS: "",
      },
      [],
    );
    expect(config.SANDBOX_UPDATED_AT).toBe("frozen");
    expect(config.PINCODE_EXTRA_CANCEL_REASONS).toEqual(["NEW_ONE", "NEW_TWO"]);
    expect(config.PINCODE_EXTRA_ITEM_REASONS).toEqual([]);
    expect(failure({ SANDBOX_UPDATED_AT: "sometimes" })).toMatch(
      /^invalid local-mode configuration: SANDBOX_UPDATED_AT: /,
    );
    expect(failure({ PINCODE_EXTRA_ITEM_REASONS: "lower" })).toMatch(/PINCODE_EXTRA_ITEM_REASONS\.0: must list/);
  });
});

describe("describeStartError", () => {
  const config = loadLocalConfig({ PORT: "4100", SANDBOX_PORT: "4101", DYNAMODB_PORT: "0", SQS_PORT: "4103" }, []);
  const inUse = (port: number) => Object.assign(new Error(`listen EADDRINUSE ${port}`), { code: "EADDRINUSE", port });

  it("names the variable whose port is taken", () => {
    expect(describeStartError(inUse(4103), config)).toBe(
      "local mode failed to start: port 4103 is taken (SQS_PORT); set SQS_PORT to a free port, or 0 for any free port",
    );
    expect(describeStartError(inUse(4101), config)).toContain("(SANDBOX_PORT)");
  });

  it("passes any other failure through", () => {
    expect(describeStartError(new Error("disk full"), config)).toBe("local mode failed to start: disk full");
  });
});

describe("AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS (emulators elsewhere, e.g. in child processes)", () => {
  it("reads them as URLs, blank as unset, and names the variable when one is not a URL", () => {
    const config = loadLocalConfig(
      { AWS_ENDPOINT_URL_DYNAMODB: " http://127.0.0.1:41000 ", AWS_ENDPOINT_URL_SQS: "" },
      [],
    );
    expect(config.AWS_ENDPOINT_URL_DYNAMODB).toBe("http://127.0.0.1:41000");
    expect(config.AWS_ENDPOINT_URL_SQS).toBeUndefined();
    expect(failure({ AWS_ENDPOINT_URL_SQS: "localhost 9324" })).toMatch(
      /^invalid local-mode configuration: AWS_ENDPOINT_URL_SQS: /,
    );
  });
});
