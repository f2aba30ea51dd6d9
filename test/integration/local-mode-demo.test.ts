/**
 * Local mode's demo with the bridge as the seller: the sandbox only creates orders (and plays logistics); the
 * stores' automation, turned on by the demo, accepts them and marks them PACKING through the commands function.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalPipeline, startLocalPipeline } from "../../bin/local/pipeline.ts";
import { createCommandRepository } from "../../functions/adapters/command-repository.ts";
import { autoAcceptKey } from "../../functions/commands/automation.ts";
import { captureStdout, type OutputCapture } from "./ingestion.harness.ts";

describe("local mode demo: the bridge is the seller", () => {
  let pipeline: LocalPipeline;
  let output: OutputCapture;

  beforeAll(async () => {
    output = captureStdout();
    const config = loadLocalConfig(
      {
        PORT: "0",
        SANDBOX_PORT: "0",
        DYNAMODB_PORT: "0",
        SQS_PORT: "0",
        DEMO: "1",
        DEMO_INTERVAL_S: "0.1",
        DEMO_CALLBACK_DROP_RATE: "0",
        DEMO_API_ERROR_RATE: "0",
        STORE_IDS: "S01,S02",
        SANDBOX_SEED: "5",
        VISIBILITY_TIMEOUT_S: "1",
      },
      ["--in-memory"],
    );
    pipeline = await startLocalPipeline(config);
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.stop();
  });

  it("auto-accepts demo orders with PACKING, and the sandbox makes no seller move itself", async () => {
    const sandbox = pipeline.sandbox;
    if (!sandbox) throw new Error("local mode runs the sandbox");
    const commands = createCommandRepository(pipeline.dynamo.client, pipeline.dynamo.tableName);
    type Truth = { id: string; orderState: string; fulfillments: { type: string; fulfillmentState?: string }[] };
    const deadline = Date.now() + 20_000;
    let accepted: Truth[] = [];
    while (Date.now() < deadline) {
      accepted = (sandbox.listOrders() as Truth[]).filter((o) => o.orderState !== "CREATED");
      if (accepted.length >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    for (const order of accepted) {
      expect(order.orderState).toBe("ACCEPTED");
      expect(order.fulfillments.find((f) => f.type === "STORE")?.fulfillmentState).toBe("PACKING");
      expect(await commands.getCommand(autoAcceptKey(order.id))).toMatchObject({ origin: "automation" });
    }
  });
});
