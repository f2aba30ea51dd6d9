/**
 * The commands handler's FIFO batch runner (issue 11): a batch's message groups run at the same time, each group's
 * records in batch order, and after a record fails the rest of its group is reported failed without running.
 */
import type { SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { processFifoGroupsConcurrently } from "../../functions/commands/create-handler.ts";

const record = (messageId: string, group?: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: messageId,
    body: "{}",
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "0",
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: "0",
      ...(group === undefined ? {} : { MessageGroupId: group, MessageDeduplicationId: messageId }),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:ap-south-1:000000000000:commands.fifo",
    awsRegion: "ap-south-1",
  }) as SQSRecord;

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("processFifoGroupsConcurrently", () => {
  it("runs different groups at the same time and each group's records in order", async () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const records = [record("a1", "A"), record("b1", "B"), record("a2", "A"), record("c1", "C"), record("b2", "B")];
    const result = await processFifoGroupsConcurrently(records, async (r) => {
      running += 1;
      most = Math.max(most, running);
      log.push(`start ${r.messageId}`);
      await tick();
      log.push(`end ${r.messageId}`);
      running -= 1;
    });
    expect(result.batchItemFailures).toEqual([]);
    // Three groups in flight at once, never two records of one group.
    expect(most).toBe(3);
    expect(log.indexOf("start a2")).toBeGreaterThan(log.indexOf("end a1"));
    expect(log.indexOf("start b2")).toBeGreaterThan(log.indexOf("end b1"));
    expect(log.slice(0, 3).sort()).toEqual(["start a1", "start b1", "start c1"]);
  });

  it("fails the rest of a group after its first failure, without running it; other groups go on", async () => {
    const ran: string[] = [];
    const records = [record("a1", "A"), record("b1", "B"), record("a2", "A"), record("a3", "A"), record("b2", "B")];
    const result = await processFifoGroupsConcurrently(records, async (r) => {
      ran.push(r.messageId);
      await tick();
      if (r.messageId === "a1") throw new Error("Pincode throttled");
    });
    expect(ran.sort()).toEqual(["a1", "b1", "b2"]);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: "a1" },
      { itemIdentifier: "a2" },
      { itemIdentifier: "a3" },
    ]);
  });

  it("treats records without a group as one group (in order), as the FIFO processor did", async () => {
    const log: string[] = [];
    const result = await processFifoGroupsConcurrently([record("x1"), record("x2")], async (r) => {
      log.push(`start ${r.messageId}`);
      await tick();
      log.push(`end ${r.messageId}`);
      if (r.messageId === "x2") throw new Error("no");
    });
    expect(log).toEqual(["start x1", "end x1", "start x2", "end x2"]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "x2" }]);
  });
});
