/**
 * Catalog and store submissions on their message's last delivery (issue 11 leftover): a receive is not always an
 * attempt (a record skipped behind a failed one of its message group spends one and sends nothing), so a submission
 * could reach its fifth and last receive with attempts left, fail it (no answer) and be dead-lettered with its
 * submission PENDING for good. The last delivery now decides FAILED instead. DynamoDB is dynalite, the submission is
 * created by the real submit path and delivered to the real handler as Lambda's event; Pincode is a stand-in client
 * that never answers a store toggle (an error path the sandbox's faults cannot isolate to one endpoint).
 */
import { randomUUID } from "node:crypto";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toSqsEvent } from "../../bin/local/sqs-driver.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import type { PincodeCommandClient } from "../../functions/commands/execute.ts";
import { submitStoreToggle } from "../../functions/commands/submit.ts";
import { PincodeTransportError } from "../../functions/pincode/errors.ts";
import { type CommandsEnv, drainCommands, seedStore, startCommandsEnv } from "./commands.harness.ts";
import { captureStdout, context, type OutputCapture, testObservability } from "./ingestion.harness.ts";

const MAX_RECEIVE_COUNT = 5;

/** One FIFO delivery of `body` with this receive count, as Lambda's event source hands it over. */
function delivery(body: Record<string, unknown>, receiveCount: number): SQSEvent {
  return toSqsEvent(
    [
      {
        MessageId: randomUUID(),
        ReceiptHandle: randomUUID(),
        Body: JSON.stringify(body),
        MD5OfBody: "",
        Attributes: {
          ApproximateReceiveCount: String(receiveCount),
          MessageGroupId: `store:${String(body.storeId)}`,
          MessageDeduplicationId: String(body.submissionId),
        },
      },
    ],
    "arn:aws:sqs:ap-south-1:000000000000:pincode-bridge-commands.fifo",
    "ap-south-1",
  );
}

describe("commands: a submission's last delivery decides it", () => {
  let env: CommandsEnv;
  let output: OutputCapture;
  beforeAll(async () => {
    env = await startCommandsEnv();
    output = captureStdout();
    await seedStore(env, "S01");
  });
  afterAll(async () => {
    output?.stop();
    await env?.stop();
  });

  it("an unanswered toggle on the fifth receive, with attempts left, is FAILED, not dead-lettered PENDING", async () => {
    let toggles = 0;
    const pincode = {
      async updateOrder() {
        throw new Error("no order update in this test");
      },
      async toggleStore() {
        toggles += 1;
        throw new PincodeTransportError({
          endpoint: "/tsp/catalog/v1/store",
          reason: "timeout",
          requestId: "r",
          attempts: 1,
        });
      },
    } as unknown as PincodeCommandClient;
    const handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: env.dynamo.client,
        tableName: env.dynamo.tableName,
        events: createRecordingEventPublisher(),
        pincode,
        maxReceiveCount: MAX_RECEIVE_COUNT,
        ...testObservability("submission-last-delivery-test"),
      }),
    );
    const submitted = await submitStoreToggle(env.submit, { storeId: "S01", body: { status: "DISABLED" } });
    expect(submitted.status).toBe(202);
    const [body] = await drainCommands(env);
    expect(body?.kind).toBe("command.submission");
    const submissionId = String(body?.submissionId);

    // Receive 1 was spent skipped behind a failed record of the store's group: receives 2-4 are attempts 1-3.
    for (const receive of [2, 3, 4]) {
      const result = await handler(delivery(body as Record<string, unknown>, receive), context());
      expect(result.batchItemFailures).toHaveLength(1);
    }
    expect((await env.submit.submissions.get(submissionId))?.status).toBe("PENDING");

    // The fifth and last receive: attempt 4 goes unanswered too; the submission is decided, the record succeeds.
    const last = await handler(delivery(body as Record<string, unknown>, MAX_RECEIVE_COUNT), context());
    expect(last.batchItemFailures).toEqual([]);
    expect(toggles).toBe(4);
    const submission = await env.submit.submissions.get(submissionId);
    expect(submission).toMatchObject({ status: "FAILED", attempts: 4 });
    expect(submission?.error?.reason).toMatch(/^outcome unknown on the message's last delivery \(timeout/);
    const command = await env.submit.commands.getCommand(String(submitted.body.commandId));
    expect(command?.status).toBe("FAILED");
  });
});
