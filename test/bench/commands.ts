/**
 * Commands: seller `accept` commands through the real commands handler (command record, Order Update to the sandbox
 * over HTTP, the returned view stored, its events published) into dynalite, beside raw conditional PutItem of the
 * same VIEW items at the same concurrency, in the same run.
 *
 * Concurrency: the handler runs a batch's message groups at the same time (each group's records in order), so with
 * each command its own order (its own group) a batch of 10 is 10 commands in flight. One batch at a time, as the
 * processor section does, beside raw PutItem 10 at a time. (Before issue 11's second pass the handler ran a batch's
 * records one after another and this section ran ten invocations at once: also 10 in flight.) The messages are the
 * ones the seller API's submit put on the FIFO queue (fauxqs), received before the clock starts. The Pincode client
 * runs without the stack-wide budget (its rate is a deployment setting, docs/rate-budget.md); the sandbox has no rate
 * limit.
 *
 * Two limits, both at the same concurrency and in the same run: raw conditional PutItem (one write, the first figure
 * printed since issue 11) and raw conditional PutItem followed by a raw HTTP Order Update (the same accept, a fresh
 * sandbox order, a token fetched once): the least any command must do, one write and one call to Pincode.
 */
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { startLocalDynamo, startLocalQueues } from "../../bin/local/emulators.ts";
import { lambdaContext, toSqsEvent } from "../../bin/local/sqs-driver.ts";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";
import { createRecordingEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createLogger, createMetrics } from "../../functions/adapters/observability.ts";
import { createOrderRepository } from "../../functions/adapters/order-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import { createCommandsHandler } from "../../functions/commands/create-handler.ts";
import { wireCommandsDeps } from "../../functions/commands/deps.ts";
import { submitOrderActions, wireSubmitDeps } from "../../functions/commands/submit.ts";
import { parseInboundOrder } from "../../functions/pincode/schemas.ts";
import { OAuthTokenProvider } from "../../functions/pincode/token-provider.ts";
import { PATHS, startSandbox } from "../../sandbox/sandbox.ts";
import { READ_OPERATIONS, type Row, runConcurrent, startCountingProxy, sumOf, WRITE_OPERATIONS } from "./support.ts";

const BATCH = 10;
/** Handler invocations at once; commands in flight = INVOCATIONS × BATCH (every command its own message group). */
const INVOCATIONS = 1;
const CONCURRENCY = INVOCATIONS * BATCH;

export interface CommandsFigures {
  commands: number;
  perSecond: number;
  rawPerSecond: number;
  /** Raw conditional PutItem + raw HTTP Order Update per command, same concurrency. */
  rawWithUpdatePerSecond: number;
  writesPerCommand: number;
  readsPerCommand: number;
  pincodeCallsPerCommand: number;
  counts: Record<string, number>;
}

export async function benchCommands(
  commands: number,
  log: (line: string) => void,
): Promise<{ rows: Row[]; figures: CommandsFigures }> {
  const [dynamo, queues, sandbox] = await Promise.all([
    startLocalDynamo(),
    startLocalQueues({ visibilityTimeoutSeconds: 600 }),
    startSandbox({ seed: 11 }),
  ]);
  const proxy = await startCountingProxy(dynamo.endpoint);
  try {
    const client = createDynamoClient({ endpoint: proxy.endpoint });
    const logger = createLogger("bench-commands");
    logger.setLogLevel("ERROR");
    const fast = { ratePerSecond: 100_000, burst: 100_000 };
    const handler = createCommandsHandler(
      wireCommandsDeps({
        dynamo: client,
        tableName: dynamo.tableName,
        events: createRecordingEventPublisher(),
        pincode: {
          baseUrl: sandbox.apiBaseUrl,
          authBaseUrl: sandbox.authBaseUrl,
          credentials: { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
          timeoutMs: 10_000,
          rateLimits: { poll: fast, status: fast, update: fast, catalog: fast },
        },
        logger,
        metrics: createMetrics("bench-commands"),
      }),
    );

    // Orders the bridge already stores (as a callback stored them), then one accept command each, submitted as the
    // seller API does (command record + FIFO message).
    const orders = createOrderRepository(dynamo.client, dynamo.tableName);
    const submit = wireSubmitDeps({
      dynamo: dynamo.client,
      sqs: queues.client,
      tableName: dynamo.tableName,
      commandsQueueUrl: queues.commandsQueueUrl,
    });
    const warm = Math.min(20, commands);
    const ids: string[] = [];
    await runConcurrent(commands + warm, 10, async () => {
      const parsed = parseInboundOrder(sandbox.createOrder({ storeId: "S01" }));
      if (!parsed.ok) throw new Error(parsed.reason);
      const stored = await orders.upsert({
        order: parsed.order,
        source: "callback",
        receivedAt: Date.now(),
        syncedAt: Date.now(),
        messageId: `seed-${parsed.order.id}`,
      });
      await orders.clearPendingEvents(parsed.order.id, stored.view.version);
      const result = await submitOrderActions(submit, {
        orderId: parsed.order.id,
        body: { commandId: `bench-${parsed.order.id}`, actions: [{ type: "accept" }] },
      });
      if (result.status !== 202) throw new Error(`submit answered ${result.status}`);
      ids.push(parsed.order.id);
    });
    const messages: Message[] = [];
    while (messages.length < commands + warm) {
      const got = await queues.client.send(
        new ReceiveMessageCommand({
          QueueUrl: queues.commandsQueueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      if (!got.Messages?.length) throw new Error(`only ${messages.length} command messages on the queue`);
      messages.push(...got.Messages);
    }
    const arn = `arn:aws:sqs:ap-south-1:000000000000:${queues.commandsQueueUrl.split("/").pop()}`;
    const batches = (list: Message[]) => {
      const out = [];
      for (let i = 0; i < list.length; i += BATCH) out.push(toSqsEvent(list.slice(i, i + BATCH), arn, "ap-south-1"));
      return out;
    };
    const context = () => lambdaContext({ functionName: "bench-commands", timeoutMs: 60_000 });
    let failed = 0;
    for (const batch of batches(messages.slice(0, warm))) {
      failed += (await handler(batch, context())).batchItemFailures.length;
    }

    // The limits, measured in two halves, just before and just after the commands (the machine's load drifts; a
    // single short burst beside a long run was the noisiest figure of the section). Raw: the stored VIEW items put
    // again under new keys with a condition. Raw with the call: the same put, then the same accept as a bare HTTP
    // POST (fresh sandbox orders, a token fetched once).
    const items: Record<string, unknown>[] = [];
    for (const id of ids.slice(0, commands)) {
      const got = await dynamo.client.send(
        new GetItemCommand({ TableName: dynamo.tableName, Key: toKey(keys.orderView(id)) }),
      );
      if (!got.Item) throw new Error(`no view for ${id}`);
      items.push(got.Item);
    }
    const command = await dynamo.client.send(
      new GetItemCommand({ TableName: dynamo.tableName, Key: toKey(keys.command(`bench-${ids[0]}`)) }),
    );
    const actions = unmarshallActions(command.Item?.pincodeActions);
    const fresh = Array.from({ length: 2 * commands }, () => String(sandbox.createOrder({ storeId: "S01" }).id));
    const token = await new OAuthTokenProvider({
      authBaseUrl: sandbox.authBaseUrl,
      credentials: { clientId: sandbox.clientId, clientSecret: sandbox.clientSecret },
    }).getToken();
    const half = Math.ceil(commands / 2);
    const rawPut = (key: string, i: number) =>
      client.send(
        new PutItemCommand({
          TableName: dynamo.tableName,
          Item: { ...(items[i % items.length] as object), pk: { S: `ORDER#${key}-${i}` } } as never,
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    let rawMs = 0;
    let rawWithUpdateMs = 0;
    const measureLimits = async (offset: number) => {
      rawMs += (await runConcurrent(half, CONCURRENCY, (i) => rawPut("RAW", offset + i).then(() => undefined)))
        .elapsedMs;
      rawWithUpdateMs += (
        await runConcurrent(half, CONCURRENCY, async (i) => {
          await rawPut("RAW2", offset + i);
          const orderId = fresh[offset + i] as string;
          const response = await fetch(`${sandbox.apiBaseUrl}${PATHS.update}`, {
            method: "POST",
            headers: {
              Accept: "application/json",
              "Content-Type": "application/json",
              Authorization: `O-Bearer ${token}`,
            },
            body: JSON.stringify({
              requestContext: { requestId: `PB-raw-${offset + i}`, transactionId: orderId, actionType: "UPDATE" },
              orderId,
              actions,
            }),
          });
          const text = await response.text();
          if (!response.ok) throw new Error(`raw Order Update answered ${response.status}: ${text.slice(0, 200)}`);
        })
      ).elapsedMs;
    };
    await measureLimits(0);

    const measured = batches(messages.slice(warm));
    proxy.reset();
    const updatesBefore = updateCalls(sandbox);
    const run = await runConcurrent(measured.length, INVOCATIONS, async (i) => {
      failed += (await handler(measured[i] as never, context())).batchItemFailures.length;
    });
    if (failed > 0) throw new Error(`${failed} command records failed in the commands bench`);
    const counts = proxy.counts();
    const pincodeCalls = updateCalls(sandbox) - updatesBefore;
    const perSecond = (commands / run.elapsedMs) * 1000;

    await measureLimits(half);
    const rawPerSecond = ((2 * half) / rawMs) * 1000;
    const rawWithUpdatePerSecond = ((2 * half) / rawWithUpdateMs) * 1000;
    const figures: CommandsFigures = {
      commands,
      perSecond,
      rawPerSecond,
      rawWithUpdatePerSecond,
      writesPerCommand: sumOf(counts, WRITE_OPERATIONS) / commands,
      readsPerCommand: sumOf(counts, READ_OPERATIONS) / commands,
      pincodeCallsPerCommand: pincodeCalls / commands,
      counts,
    };
    log(
      `commands: ${perSecond.toFixed(0)}/s (${INVOCATIONS} invocation(s) at once, batches of ${BATCH}: ${CONCURRENCY} in flight), ` +
        `${figures.writesPerCommand.toFixed(2)} writes, ${figures.readsPerCommand.toFixed(2)} reads and ` +
        `${figures.pincodeCallsPerCommand.toFixed(2)} Order Updates per command ${JSON.stringify(counts)}; ` +
        `raw conditional PutItem ${rawPerSecond.toFixed(0)}/s, raw PutItem + HTTP Order Update ${rawWithUpdatePerSecond.toFixed(0)}/s`,
    );
    return {
      figures,
      rows: [
        {
          section: "processor",
          figure: `commands (accept) through the commands handler (n=${commands}, ${CONCURRENCY} in flight)`,
          value: perSecond,
          unit: "/s",
          limit: { label: `raw conditional PutItem, ${CONCURRENCY} concurrent`, value: rawPerSecond },
          note: `${figures.writesPerCommand.toFixed(1)} writes, ${figures.readsPerCommand.toFixed(1)} reads, ${figures.pincodeCallsPerCommand.toFixed(1)} Order Update per command`,
        },
        {
          section: "processor",
          figure: `commands (accept), against the least a command does (n=${commands}, ${CONCURRENCY} in flight)`,
          value: perSecond,
          unit: "/s",
          limit: {
            label: `raw conditional PutItem + raw HTTP Order Update, ${CONCURRENCY} concurrent`,
            value: rawWithUpdatePerSecond,
          },
        },
      ],
    };
  } finally {
    await proxy.stop();
    await Promise.all([dynamo.stop(), queues.stop(), sandbox.stop()]);
  }
}

/** The stored command's Order Update actions (wire form: a list of maps of strings). */
function unmarshallActions(value: unknown): unknown[] {
  const plain = (v: Record<string, unknown>): unknown =>
    "S" in v
      ? v.S
      : "N" in v
        ? Number(v.N)
        : "BOOL" in v
          ? v.BOOL
          : "L" in v
            ? (v.L as Record<string, unknown>[]).map(plain)
            : "M" in v
              ? Object.fromEntries(
                  Object.entries(v.M as Record<string, Record<string, unknown>>).map(([k, x]) => [k, plain(x)]),
                )
              : null;
  const list = plain((value ?? { L: [] }) as Record<string, unknown>);
  if (!Array.isArray(list) || list.length === 0) throw new Error("the bench command has no Order Update actions");
  return list;
}

const toKey = (key: { pk: string; sk: string }) => ({ pk: { S: key.pk }, sk: { S: key.sk } });

/** Order Update calls the sandbox answered (its own counters). */
function updateCalls(sandbox: { stats(): { calls: Record<string, Record<string, number>> } }): number {
  return Object.values(sandbox.stats().calls[PATHS.update] ?? {}).reduce((a, b) => a + b, 0);
}
