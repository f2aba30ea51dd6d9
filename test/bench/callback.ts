/**
 * Callback: the real handler (JWT check, body sniff, envelope check, SendMessage to fauxqs) against a raw SendMessage
 * of the very body the handler queues, on the same client and queue, in the same run. Short rounds alternate raw
 * and callback so machine noise falls on both alike. Logs at ERROR (log shipping is CloudWatch's cost, not latency's).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { buildApiGatewayEvent } from "../../bin/local/api-gateway-event.ts";
import { startLocalQueues } from "../../bin/local/emulators.ts";
import { createEmfMetrics } from "../../functions/adapters/emf-writer.ts";
import { createLogger } from "../../functions/adapters/observability.ts";
import { createQueuePublisher, toMessageBody } from "../../functions/adapters/queue-publisher.ts";
import { createCallbackHandler } from "../../functions/callback/create-handler.ts";
import { createCallbackAuthHandler } from "../../functions/callback-auth/create-handler.ts";
import { issueCallbackToken } from "../../functions/core/callback-auth.ts";
import { interpretCallback } from "../../functions/core/callback-envelope.ts";
import { percentile, type Row, runConcurrent } from "./support.ts";

const SAMPLE = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "fixtures", "pincode", "order_view_callback.json"), "utf8"),
) as { requestContext: Record<string, string>; response: Record<string, unknown> };

export function orderViewBody(i: number, updatedAt = 1_713_773_187_000 + i): string {
  const body = structuredClone(SAMPLE);
  body.requestContext = { requestId: `BENCH-${i}-${updatedAt}`, transactionId: `ODBENCH${i}` };
  body.response = { ...body.response, id: `ODBENCH${i}`, updatedAt: String(updatedAt) };
  return JSON.stringify(body);
}

/** Each size's rounds are cut into up to this many short alternating rounds. */
const ROUND_SPLIT = 10;

export interface CallbackFigures {
  ackP50: number;
  ackP99: number;
  rawP50: number;
  rawP99: number;
  ackMeanMs: number;
  perSecond1: number;
  rawPerSecond1: number;
  perSecond16: number;
  rawPerSecond16: number;
  messageBytes: number;
  /** The token endpoint (Pincode calls it before each callback), mean per request, for the cost model. */
  tokenMeanMs: number;
}

export async function benchCallback(
  sizes: { sequential: number; rounds: number; concurrent: number },
  log: (line: string) => void,
): Promise<{ rows: Row[]; figures: CallbackFigures }> {
  const queues = await startLocalQueues();
  try {
    const keys = { clientId: "bench-client", signingKey: "bench-signing-key-0123456789-abcdefghijkl" };
    const logger = createLogger("bench-callback");
    logger.setLogLevel("ERROR");
    const handler = createCallbackHandler({
      authMode: "oauth",
      loadAuthKeys: async () => keys,
      publisher: createQueuePublisher(queues.client),
      eventsQueueUrl: queues.eventsQueueUrl,
      logger,
      metrics: createEmfMetrics("bench-callback"),
    });
    const { accessToken } = await issueCallbackToken(keys, { clientId: keys.clientId });
    const bodies = Array.from({ length: 200 }, (_, i) => orderViewBody(i));
    // The events are built before the clock starts: API Gateway builds them, not the handler (building one per
    // request, with its request id and UTF-8 check, put ~10 µs of the bench's own work on the callback's side only).
    // The handler never changes the event it is given, so reusing the 200 is what 200 fresh ones would be.
    const events = bodies.map((body) =>
      buildApiGatewayEvent({
        path: "/pincode/callbacks",
        headers: { Authorization: `O-Bearer ${accessToken}`, "Content-Type": "application/json" },
        body,
      }),
    );
    const event = (i: number) => events[i % events.length] as (typeof events)[number];
    // The raw side sends what the handler sends: the same message body, escaped the same way.
    const rawBodies = bodies.map((b) => {
      const interpreted = interpretCallback(JSON.parse(b) as Record<string, unknown>);
      if (!interpreted.ok) throw new Error(interpreted.reason);
      return toMessageBody(interpreted.message);
    });
    const raw = async (i: number) => {
      await queues.client.send(
        new SendMessageCommand({ QueueUrl: queues.eventsQueueUrl, MessageBody: rawBodies[i % rawBodies.length] }),
      );
    };
    const callback = async (i: number) => {
      const result = await handler(event(i));
      if (result.statusCode !== 200) throw new Error(`callback answered ${result.statusCode}: ${result.body}`);
    };

    for (let i = 0; i < 50; i++) {
      await raw(i);
      await callback(i);
    }
    const ack: number[] = [];
    const rawLatency: number[] = [];
    let ackTotal = 0;
    let rawTotal = 0;
    // Short rounds, many of them: a stall of the shared machine (tens of ms) then lands on both sides alike instead
    // of on one side's long round (the throughput figures are totals, so one stall used to swing them by 30 %).
    const split = (total: number) => Math.max(1, Math.min(ROUND_SPLIT, Math.floor(total / 16)));
    const sequentialSplit = split(sizes.sequential);
    const perSequentialRound = Math.ceil(sizes.sequential / sequentialSplit);
    for (let round = 0; round < sizes.rounds * sequentialSplit; round++) {
      const r = await runConcurrent(perSequentialRound, 1, raw);
      rawLatency.push(...r.durations);
      rawTotal += r.elapsedMs;
      const c = await runConcurrent(perSequentialRound, 1, callback);
      ack.push(...c.durations);
      ackTotal += c.elapsedMs;
    }
    const n = perSequentialRound * sequentialSplit * sizes.rounds;
    let c16 = 0;
    let r16 = 0;
    const concurrentSplit = split(sizes.concurrent);
    const perConcurrentRound = Math.ceil(sizes.concurrent / concurrentSplit);
    for (let round = 0; round < sizes.rounds * concurrentSplit; round++) {
      r16 += (await runConcurrent(perConcurrentRound, 16, raw)).elapsedMs;
      c16 += (await runConcurrent(perConcurrentRound, 16, callback)).elapsedMs;
    }
    const m16 = perConcurrentRound * concurrentSplit * sizes.rounds;
    const tokenLogger = createLogger("bench-token");
    tokenLogger.setLogLevel("ERROR");
    const token = createCallbackAuthHandler({
      authMode: "oauth",
      loadAuthSecret: async () => ({ ...keys, clientSecret: "bench-client-secret-0123456789" }),
      logger: tokenLogger,
      metrics: createEmfMetrics("bench-token"),
    });
    const grant = buildApiGatewayEvent({
      path: "/pincode/oauth/token",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: keys.clientId,
        client_secret: "bench-client-secret-0123456789",
      }).toString(),
    });
    const tokens = await runConcurrent(sizes.sequential, 1, async () => {
      const answer = await token(grant);
      if (answer.statusCode !== 200) throw new Error(`token endpoint answered ${answer.statusCode}`);
    });
    const figures: CallbackFigures = {
      ackP50: percentile(ack, 50),
      ackP99: percentile(ack, 99),
      rawP50: percentile(rawLatency, 50),
      rawP99: percentile(rawLatency, 99),
      ackMeanMs: ackTotal / n,
      perSecond1: (n / ackTotal) * 1000,
      rawPerSecond1: (n / rawTotal) * 1000,
      perSecond16: (m16 / c16) * 1000,
      rawPerSecond16: (m16 / r16) * 1000,
      messageBytes: Buffer.byteLength(rawBodies[0] as string),
      tokenMeanMs: tokens.elapsedMs / sizes.sequential,
    };
    log(
      `callback: ACK p50 ${figures.ackP50.toFixed(2)} ms (raw ${figures.rawP50.toFixed(2)}), ` +
        `16 concurrent ${figures.perSecond16.toFixed(0)}/s (raw ${figures.rawPerSecond16.toFixed(0)}/s)`,
    );
    const rawLabel = "raw SendMessage, same body";
    const rows: Row[] = [
      {
        section: "callback",
        figure: `ACK p50, sequential (n=${n})`,
        value: figures.ackP50,
        unit: "ms",
        limit: { label: rawLabel, value: figures.rawP50 },
        target: { ratio: 1.3, better: "lower" },
      },
      {
        section: "callback",
        figure: `ACK p99, sequential (n=${n})`,
        value: figures.ackP99,
        unit: "ms",
        limit: { label: rawLabel, value: figures.rawP99 },
      },
      {
        section: "callback",
        figure: "throughput, 1 concurrent",
        value: figures.perSecond1,
        unit: "/s",
        limit: { label: rawLabel, value: figures.rawPerSecond1 },
        target: { ratio: 0.8, better: "higher" },
      },
      {
        section: "callback",
        figure: `throughput, 16 concurrent (n=${m16})`,
        value: figures.perSecond16,
        unit: "/s",
        limit: { label: rawLabel, value: figures.rawPerSecond16 },
        target: { ratio: 0.8, better: "higher" },
      },
    ];
    return { rows, figures };
  } finally {
    await queues.stop();
  }
}
