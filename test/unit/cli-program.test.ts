/**
 * The CLI in-process with a fake target: exit codes for usage, configuration and API errors, --json output, and the
 * requests each command sends. The end-to-end run against local mode is test/integration/cli-local.test.ts.
 */
import { describe, expect, it } from "vitest";
import { sellerApiUrlFrom } from "../../bin/cli/aws-target.ts";
import type { ApiClient, ApiRequest } from "../../bin/cli/client.ts";
import { buildUrl } from "../../bin/cli/client.ts";
import { parseUntil } from "../../bin/cli/commands/store.ts";
import type { CliContext } from "../../bin/cli/context.ts";
import { apiError, EXIT, exitCodeForStatus } from "../../bin/cli/exit-codes.ts";
import { table } from "../../bin/cli/output.ts";
import { run } from "../../bin/cli/program.ts";
import { openTarget } from "../../bin/cli/target.ts";

type Answer = { status: number; body: unknown };

function harness(answer: (request: ApiRequest) => Answer, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: ApiRequest[] = [];
  const client: ApiClient = {
    baseUrl: "http://127.0.0.1:1",
    describe: "local mode at http://127.0.0.1:1",
    async send(request) {
      requests.push(request);
      const { status, body } = answer(request);
      return { status, headers: {}, text: JSON.stringify(body) };
    },
  };
  let clock = 0;
  const ctx: CliContext = {
    io: { out: (t) => out.push(t), err: (t) => err.push(t), interactive: false },
    env,
    cwd: process.cwd(),
    open: async (options) => {
      if (!options.local && !options.stage && !options.url) return openTarget(options, env);
      return client;
    },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
  };
  return { ctx, out, err, requests, cli: (...argv: string[]) => run(argv, ctx) };
}

describe("exit codes", () => {
  it("maps API statuses to the documented codes", () => {
    expect([400, 401, 403, 404, 409, 422, 429, 500, 503].map(exitCodeForStatus)).toEqual([2, 3, 3, 4, 1, 1, 5, 5, 5]);
    const error = apiError(
      409,
      { error: "TRANSITION_NOT_ALLOWED", message: "actions[0]: order is CANCELLED" },
      "order O1",
    );
    expect(error.message).toBe("order O1: TRANSITION_NOT_ALLOWED: actions[0]: order is CANCELLED");
    expect(error.hint).toMatch(/orders show/);
  });

  it("answers --help with 0 and a wrong command line with 2", async () => {
    const h = harness(() => ({ status: 200, body: {} }));
    expect(await h.cli("--help")).toBe(EXIT.OK);
    expect(h.out.join("\n")).toMatch(/Exit codes:/);
    expect(await h.cli("orders", "cancel", "O1", "--local")).toBe(EXIT.USAGE);
    expect(h.err.join("\n")).toMatch(/required option '--reason <reason>'/);
    expect(await h.cli("dlq", "list", "orders", "--local")).toBe(EXIT.USAGE);
    expect(await h.cli("orders", "list", "--limit", "0", "--local")).toBe(EXIT.USAGE);
    expect(h.requests).toEqual([]);
  });

  it("says how to pick a target when there is none, and refuses a short key (exit 3)", async () => {
    const none = harness(() => ({ status: 200, body: {} }));
    expect(await none.cli("store", "status")).toBe(EXIT.CONFIG);
    expect(none.err.join("\n")).toMatch(/pass --local .* or --stage <stage>/);
    await expect(openTarget({ local: true }, { SELLER_API_KEY: "short" })).rejects.toMatchObject({
      exitCode: EXIT.CONFIG,
      message: "SELLER_API_KEY is shorter than 16 characters",
    });
  });
});

describe("commands", () => {
  it("sends an order action with the idempotency key and follows the command to Pincode's refusal (exit 1)", async () => {
    let polls = 0;
    const h = harness((request) => {
      if (request.method === "POST") return { status: 202, body: { commandId: "c-1", status: "QUEUED" } };
      polls++;
      return polls < 3
        ? { status: 200, body: { commandId: "c-1", status: "SENT" } }
        : {
            status: 200,
            body: {
              commandId: "c-1",
              status: "REJECTED",
              outcome: { errorCode: "ACTION_NOT_ALLOWED", message: "order already packed" },
            },
          };
    });

    const code = await h.cli(
      "orders",
      "cancel",
      "O-1",
      "--reason",
      "ITEM_UNAVAILABLE",
      "--command-id",
      "k1",
      "--local",
    );

    expect(code).toBe(EXIT.REFUSED);
    expect(h.requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/orders/O-1/actions",
      body: { actions: [{ type: "cancel", reason: "ITEM_UNAVAILABLE" }] },
      headers: { "idempotency-key": '"k1"' },
    });
    expect(h.requests.slice(1).every((r) => r.path === "/v1/commands/c-1")).toBe(true);
    expect(h.out.join("\n")).toContain("command c-1 REJECTED (ACTION_NOT_ALLOWED: order already packed)");
    expect(h.err.join("\n")).toMatch(/Pincode did not apply/);
  });

  it("maps pack/ship/deliver to the API's action types", async () => {
    const h = harness((request) =>
      request.method === "POST"
        ? { status: 202, body: { commandId: "c", status: "QUEUED" } }
        : { status: 200, body: { commandId: "c", status: "SUCCEEDED", outcome: { orderState: "IN_PROGRESS" } } },
    );
    expect(await h.cli("orders", "pack", "O", "--local")).toBe(EXIT.OK);
    expect(await h.cli("orders", "pack", "O", "--packing", "--fulfilment", "F1", "--local")).toBe(EXIT.OK);
    expect(await h.cli("orders", "ship", "O", "--local", "--no-wait")).toBe(EXIT.OK);
    expect(await h.cli("orders", "deliver", "O", "--complete", "--local")).toBe(EXIT.OK);
    expect(
      await h.cli("orders", "units", "O", "--item", "I1", "--units", "0", "--reason", "ITEM_UNAVAILABLE", "--local"),
    ).toBe(EXIT.OK);
    const bodies = h.requests.filter((r) => r.method === "POST").map((r) => r.body);
    expect(bodies).toEqual([
      { actions: [{ type: "packed" }] },
      { actions: [{ type: "packing", fulfilmentId: "F1" }] },
      { actions: [{ type: "outForDelivery" }] },
      { actions: [{ type: "delivered" }, { type: "complete" }] },
      { actions: [{ type: "itemUnits", itemId: "I1", units: 0, reason: "ITEM_UNAVAILABLE" }] },
    ]);
  });

  it("redrives only with --yes, and prints the API's JSON with --json", async () => {
    const h = harness((request) => ({
      status: 200,
      body: (request.body as { dryRun: boolean }).dryRun
        ? { dryRun: true, messages: 3, wouldMove: 3, from: "x-dlq", to: "x", sample: [] }
        : { dryRun: false, moved: 3, failed: 0, remaining: 0, from: "x-dlq", to: "x" },
    }));
    expect(await h.cli("dlq", "redrive", "events", "--local")).toBe(EXIT.OK);
    expect(h.out.join("\n")).toMatch(/dry run: 3 of 3 message\(s\) would move[\s\S]*dlq redrive events --yes/);
    expect(await h.cli("--json", "dlq", "redrive", "events", "--yes", "--local")).toBe(EXIT.OK);
    expect(h.requests.map((r) => r.body)).toEqual([
      { dryRun: true, max: 100 },
      { dryRun: false, max: 100 },
    ]);
    expect(JSON.parse(h.out[h.out.length - 1] ?? "")).toMatchObject({ moved: 3 });
  });

  it("prints an API error as JSON under --json, with its exit code", async () => {
    const h = harness(() => ({ status: 404, body: { error: "ORDER_NOT_FOUND", message: "no order" } }));
    expect(await h.cli("orders", "show", "O-9", "--json", "--local")).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(h.out.join("\n"))).toMatchObject({ error: "ORDER_NOT_FOUND", exitCode: 4 });
  });
});

describe("helpers", () => {
  it("reads --until as a duration, an ISO time or epoch ms", () => {
    expect(parseUntil("2h", 1_000)).toBe(1_000 + 7_200_000);
    expect(parseUntil("2026-12-02T18:00:00Z", 0)).toBe(Date.UTC(2026, 11, 2, 18));
    expect(parseUntil("1764698400000", 0)).toBe(1764698400000);
    expect(() => parseUntil("tomorrow", 0)).toThrow(/expected a duration/);
  });

  it("builds URLs under the API's base path and aligns tables", () => {
    expect(
      buildUrl("https://x.execute-api.ap-south-1.amazonaws.com/prod/", "/v1/orders", {
        limit: 5,
        state: undefined,
      }).toString(),
    ).toBe("https://x.execute-api.ap-south-1.amazonaws.com/prod/v1/orders?limit=5");
    expect(
      table(
        [
          { a: "x", b: 1 },
          { a: "long", b: null },
        ],
        ["a", "b"],
      ),
    ).toBe("A     B\nx     1\nlong  -");
  });

  it("finds the seller API URL among the stack outputs", () => {
    expect(
      sellerApiUrlFrom([
        { OutputKey: "CallbackUrl", OutputValue: "c" },
        { OutputKey: "SellerApiUrl", OutputValue: "s" },
      ]),
    ).toBe("s");
    expect(sellerApiUrlFrom([{ OutputKey: "CallbackUrl", OutputValue: "c" }])).toBeUndefined();
  });
});
