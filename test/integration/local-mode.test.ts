/**
 * Local mode as a user runs it: a child process (`bin/local.ts`) on free ports with DEMO=0. Orders created through
 * the sandbox admin API must reach DynamoDB (read through the emulator's own port), survive a restart on the same
 * DATA_DIR together with the poll checkpoints (new orders after the restart get new ids), and Ctrl-C must exit 0
 * leaving nothing listening.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";
import { spawnLocal } from "../support/local-process.ts";

interface Running {
  child: ChildProcess;
  output: () => string;
  api: string;
  dynamo: string;
  sqs: string;
  sandbox: string;
}

const children: ChildProcess[] = [];

async function startLocal(dataDir: string): Promise<Running> {
  const child = spawnLocal(dataDir, {
    POLL_INTERVAL_S: "2",
    // Orders may arrive by callback or by poll (both are the product's paths); a short settle lets the poller
    // back up a callback that a loaded machine delivered late.
    POLL_SETTLE_S: "1",
    STORE_IDS: "S01,S02",
    LOG_LEVEL: "WARN",
  });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  const deadline = Date.now() + 20_000;
  while (!out.includes("ready.")) {
    if (child.exitCode !== null) throw new Error(`local mode exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`local mode did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (label: RegExp) => {
    const match = out.match(new RegExp(`${label.source}\\s+(http://[\\d.:]+)`));
    if (!match?.[1]) throw new Error(`no ${label} URL in:\n${out}`);
    return match[1];
  };
  return {
    child,
    output: () => out,
    api: url(/API \(API Gateway routes\)/),
    dynamo: url(/DynamoDB \(dynalite\)/),
    sqs: url(/SQS \(fauxqs\)/),
    sandbox: url(/Pincode sandbox/),
  };
}

async function stopLocal(running: Running): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => running.child.once("exit", (code) => resolve(code)));
  running.child.kill("SIGINT");
  return exited;
}

function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function eventually<T>(
  read: () => Promise<T | undefined>,
  what: string,
  output: () => string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; local mode printed:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getItem(endpoint: string, pk: string, sk: string) {
  const client = createDynamoClient({ endpoint });
  try {
    const result = await client.send(
      new GetItemCommand({ TableName: "pincode-bridge", Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
    );
    return result.Item;
  } finally {
    client.destroy();
  }
}

describe("local mode (npm start)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pincode-bridge-local-"));
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("brings sandbox orders into DynamoDB, keeps them across a restart, and stops cleanly on Ctrl-C", async () => {
    // Prepare: first run
    const first = await startLocal(dataDir);

    // Act: create orders through the sandbox admin API
    const orderIds: string[] = [];
    for (const storeId of ["S01", "S02", "S01"]) {
      const response = await fetch(`${first.sandbox}/_sandbox/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ storeId }),
      });
      expect(response.status).toBe(201);
      orderIds.push(((await response.json()) as { id: string }).id);
    }

    // Assess: each order is in DynamoDB, found through the emulator's port, with its store
    for (const [i, orderId] of orderIds.entries()) {
      const view = await eventually(
        () => getItem(first.dynamo, `ORDER#${orderId}`, "VIEW"),
        `order ${orderId}`,
        first.output,
      );
      expect(view.storeId?.S).toBe(i === 1 ? "S02" : "S01");
    }
    const checkpoint = await eventually(
      () => getItem(first.dynamo, "STORE#S01", "POLL"),
      "poll checkpoint of S01",
      first.output,
    );
    expect(Number(checkpoint.windowEnd?.N)).toBeGreaterThan(0);

    // Ctrl-C: exit 0 and nothing left listening
    expect(await stopLocal(first)).toBe(0);
    expect(first.output()).toMatch(/summary: orders 3/);
    for (const url of [first.api, first.dynamo, first.sqs, first.sandbox]) {
      expect(await isListening(url), `${url} still listening`).toBe(false);
    }

    // Restart on the same DATA_DIR: orders and checkpoints are still there
    const second = await startLocal(dataDir);
    for (const orderId of orderIds) {
      expect((await getItem(second.dynamo, `ORDER#${orderId}`, "VIEW"))?.pk?.S).toBe(`ORDER#${orderId}`);
    }
    const kept = await getItem(second.dynamo, "STORE#S01", "POLL");
    expect(Number(kept?.windowEnd?.N)).toBeGreaterThanOrEqual(Number(checkpoint.windowEnd?.N));

    // A new order on the restarted sandbox gets a new id (the seed is not pinned), so it cannot collide with kept ones
    const created = await fetch(`${second.sandbox}/_sandbox/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ storeId: "S01" }),
    });
    const newId = ((await created.json()) as { id: string }).id;
    expect(orderIds).not.toContain(newId);
    await eventually(() => getItem(second.dynamo, `ORDER#${newId}`, "VIEW"), `order ${newId}`, second.output);
    expect(await stopLocal(second)).toBe(0);
  }, 90_000);
});
