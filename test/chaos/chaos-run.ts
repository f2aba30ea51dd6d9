/**
 * Issue 10's chaos convergence run: local mode's whole pipeline in this process (the embedded sandbox in `frozen`
 * updatedAt mode, the callback front door over HTTP, fauxqs, dynalite or the endpoint the emulators module is pointed
 * at, the processor, poller and commands consumers), N orders over three stores living their whole lifecycle while
 * every fault is on at once. The seller acts through the seller API over HTTP; Pincode's side (order creation,
 * logistics, the odd Pincode-side cancel) acts on the sandbox. Then it waits for the views to converge and judges:
 * every stored view equal to the sandbox's truth, no accepted change that moved an order backwards, every command
 * applied exactly once by the sandbox's own record of applied updates.
 *
 * docs/chaos.md describes the faults, the judgement and the figures.
 */
import { randomBytes } from "node:crypto";
import { type AttributeValue, BatchGetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { loadLocalConfig } from "../../bin/local/config.ts";
import { type LocalPipeline, startLocalPipeline } from "../../bin/local/pipeline.ts";
import type { BridgeEvent } from "../../functions/adapters/event-publisher.ts";
import type { OrderSummary } from "../../functions/core/order-summary.ts";
import { CANCEL_REASONS, ITEM_UNIT_REASONS } from "../../functions/pincode/schemas.ts";
import { deriveSeed, mulberry32, type Prng } from "../../sandbox/prng.ts";
import { PATHS } from "../../sandbox/sandbox.ts";

export interface ChaosOptions {
  orders: number;
  seed: number;
  /** Longest wait for convergence after the last order finished its lifecycle. */
  convergeTimeoutMs: number;
  log: (line: string) => void;
}

export interface Mismatch {
  orderId: string;
  field: string;
  stored: unknown;
  truth: unknown;
}

export interface Regression {
  orderId: string;
  seenIn: "history" | "events";
  what: string;
}

export interface DoubleEffect {
  commandId: string;
  orderId: string;
  what: string;
}

export interface ChaosReport {
  orders: number;
  stores: number;
  seed: number;
  /** Wall time of the lifecycle phase (orders created, moved and finished), ms. */
  runMs: number;
  /** From the end of the lifecycle phase until every stored view first equalled the truth, ms (-1: never). */
  convergeMs: number;
  /** The poll interval (local mode's POLL_INTERVAL_S), ms: time to converge in poll cycles is convergeMs / this. */
  pollIntervalMs: number;
  /** A seller command step: POST -> the sandbox shows its effect. */
  stepLatencyMs: { p50: number; p95: number; max: number };
  faults: Record<string, number>;
  finalStates: Record<string, number>;
  commands: {
    submitted: number;
    resubmitted: number;
    resubmitMismatches: number;
    byStatus: Record<string, number>;
    refusedAtSubmit: Record<string, number>;
  };
  pincodeCalls: { total: number; perOrder: number; byEndpoint: Record<string, number> };
  dlq: Record<string, number>;
  mismatches: Mismatch[];
  regressions: Regression[];
  doubleEffects: DoubleEffect[];
  /** Commands whose final status says otherwise than the sandbox's record (SUCCEEDED not applied, REJECTED applied). */
  misreported: DoubleEffect[];
  /** Commands that ended FAILED (gave up), with their reason: allowed, but each one is worth reading. */
  failed: DoubleEffect[];
  /** Orders whose scripted lifecycle could not finish (a command REJECTED/FAILED, a step that never showed). */
  stuck: { orderId: string; reason: string }[];
}

const STORES = ["S01", "S02", "S03"] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// --- progress ranks: what "moved backwards" means ------------------------------------------------------------------

const ORDER_RANK: Record<string, number> = { CREATED: 0, ACCEPTED: 1, IN_PROGRESS: 2, COMPLETED: 3, CANCELLED: 4 };
const FULFILMENT_RANK: Record<string, number> = {
  PACKING: 1,
  PACKED: 2,
  SEARCHING_FOR_AGENT: 3,
  AGENT_ASSIGNED: 4,
  OUT_FOR_DELIVERY: 5,
  DELIVERED: 6,
};
const rank = (table: Record<string, number>, state: string | null | undefined) =>
  state ? (table[state.toUpperCase()] ?? -1) : 0;

/** Why `after` is behind `before` (a regression), or undefined. COMPLETED -> CANCELLED is Pincode's own move. */
export function regressionBetween(before: OrderSummary, after: OrderSummary): string | undefined {
  const b = before.orderState?.toUpperCase() ?? "CREATED";
  const a = after.orderState?.toUpperCase() ?? "CREATED";
  if (b === "CANCELLED" && a !== "CANCELLED") return `orderState ${b} -> ${a}`;
  if (rank(ORDER_RANK, a) < rank(ORDER_RANK, b)) return `orderState ${b} -> ${a}`;
  for (const leg of before.fulfillments) {
    const now = after.fulfillments.find((f) => f.fulfillmentId === leg.fulfillmentId);
    if (rank(FULFILMENT_RANK, now?.fulfillmentState) < rank(FULFILMENT_RANK, leg.fulfillmentState)) {
      return `fulfilment ${leg.fulfillmentId} ${leg.fulfillmentState} -> ${now?.fulfillmentState ?? "(none)"}`;
    }
  }
  for (const item of before.items ?? []) {
    const now = (after.items ?? []).find((i) => i.itemId === item.itemId);
    if ((now?.units ?? 0) > (item.units ?? 0)) return `item ${item.itemId} units ${item.units} -> ${now?.units}`;
  }
  return undefined;
}

// --- the comparison: stored view vs the sandbox's truth --------------------------------------------------------

interface Comparable {
  orderState: string;
  fulfillments: Record<string, string>;
  units: Record<string, number>;
  invoice: string | null;
}

function comparable(order: Record<string, unknown>): Comparable {
  const fulfillments: Record<string, string> = {};
  for (const f of (order.fulfillments as Record<string, unknown>[] | undefined) ?? []) {
    fulfillments[String(f.fulfillmentId)] = String(f.fulfillmentState ?? "").toUpperCase();
  }
  const units: Record<string, number> = {};
  for (const item of (order.items as Record<string, unknown>[] | undefined) ?? []) {
    units[String(item.itemId)] = Number((item.quantity as { count?: number } | undefined)?.count ?? -1);
  }
  const info = order.clientOrderInfo as { sellerInvoiceId?: string } | null | undefined;
  return {
    orderState: String(order.orderState ?? "").toUpperCase(),
    fulfillments,
    units,
    invoice: info?.sellerInvoiceId ?? null,
  };
}

export function compareOrder(
  orderId: string,
  stored: Record<string, unknown> | undefined,
  truth: Record<string, unknown>,
) {
  const out: Mismatch[] = [];
  if (!stored) return [{ orderId, field: "view", stored: "(missing)", truth: "present" }];
  const s = comparable(stored);
  const t = comparable(truth);
  if (s.orderState !== t.orderState)
    out.push({ orderId, field: "orderState", stored: s.orderState, truth: t.orderState });
  for (const [id, state] of Object.entries(t.fulfillments)) {
    if (s.fulfillments[id] !== state)
      out.push({ orderId, field: `fulfilment ${id}`, stored: s.fulfillments[id], truth: state });
  }
  for (const [id, units] of Object.entries(t.units)) {
    if (s.units[id] !== units) out.push({ orderId, field: `units ${id}`, stored: s.units[id], truth: units });
  }
  if (s.invoice !== t.invoice) out.push({ orderId, field: "invoice", stored: s.invoice, truth: t.invoice });
  return out;
}

// --- the seller, over HTTP --------------------------------------------------------------------------------------

type SellerAction = Record<string, unknown> & { type: string };

interface SubmittedCommand {
  commandId: string;
  orderId: string;
  actions: SellerAction[];
}

class Seller {
  readonly commands = new Map<string, SubmittedCommand>();
  readonly refused: Record<string, number> = {};
  resubmitted = 0;
  resubmitMismatches = 0;
  private readonly background: Promise<void>[] = [];

  constructor(
    private readonly apiUrl: string,
    private readonly key: string,
  ) {}

  private async post(orderId: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.apiUrl}/v1/orders/${encodeURIComponent(orderId)}/actions`, {
          method: "POST",
          headers: { authorization: `Bearer ${this.key}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      } catch (error) {
        // The machine is loaded: a refused connection is retried like any HTTP client would.
        if (attempt >= 5) throw error;
        await sleep(200 * attempt);
      }
    }
  }

  async get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.apiUrl}${path}`, { headers: { authorization: `Bearer ${this.key}` } });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(200 * attempt);
      }
    }
  }

  /**
   * Submits a command; 404 (the order has not reached the bridge yet) and 409 (its view is behind) are retried a few
   * times, as a seller's system would. Resubmits some with the same commandId, at once or a little later.
   */
  async submit(
    orderId: string,
    commandId: string,
    actions: SellerAction[],
    rng: Prng,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    const body = { commandId, actions };
    for (let attempt = 1; ; attempt++) {
      const concurrent = rng.chance(0.05);
      const [first, second] = await Promise.all([
        this.post(orderId, body),
        concurrent ? this.post(orderId, body) : Promise.resolve(undefined),
      ]);
      if (second) this.checkReplay(commandId, second);
      if (first.status === 202) {
        this.commands.set(commandId, { commandId, orderId, actions });
        if (first.json.commandId !== commandId) this.resubmitMismatches++;
        if (rng.chance(0.15)) {
          const delay = rng.int(0, 3000);
          this.background.push(
            sleep(delay).then(async () => this.checkReplay(commandId, await this.post(orderId, body))),
          );
        }
        return { ok: true };
      }
      const code = String(first.json.error ?? first.status);
      this.refused[code] = (this.refused[code] ?? 0) + 1;
      if ((first.status === 404 || first.status === 409) && attempt < 8) {
        await sleep(1000 * attempt);
        continue;
      }
      return { ok: false, reason: `${first.status} ${code}: ${String(first.json.message ?? "")}` };
    }
  }

  private checkReplay(commandId: string, reply: { status: number; json: Record<string, unknown> }) {
    this.resubmitted++;
    // Same key, same body: the same command, 202 (the first POST may still be writing it: 409 is not expected).
    if (reply.status !== 202 || reply.json.commandId !== commandId) this.resubmitMismatches++;
  }

  async settled(): Promise<void> {
    await Promise.all(this.background);
  }
}

// --- one order's life -------------------------------------------------------------------------------------------

interface Ctx {
  pipeline: LocalPipeline;
  seller: Seller;
  known: Set<string>;
  stuck: { orderId: string; reason: string }[];
  seed: number;
  deadline: number;
  /** Submit -> the sandbox shows the effect, ms, per command step. */
  stepLatencies: number[];
  finished: number;
  /** What each unfinished order waits for (the step and its commandId), for the progress line. */
  waiting: Map<string, { what: string; commandId?: string }>;
}

type Truth = Record<string, unknown> & {
  orderState: string;
  items: { itemId: string; quantity: { count: number } }[];
  fulfillments: { fulfillmentId: string; type: string; fulfillmentState?: string | null }[];
  clientOrderInfo?: { sellerInvoiceId?: string } | null;
};

function truthOf(ctx: Ctx, orderId: string): Truth {
  return ctx.pipeline.sandbox?.getOrder(orderId) as Truth;
}

const leg = (t: Truth, type: string) => t.fulfillments.find((f) => f.type === type)?.fulfillmentState ?? null;

class Abandon extends Error {}

async function waitFor(ctx: Ctx, orderId: string, what: string, ok: (t: Truth) => boolean, commandId?: string) {
  const started = Date.now();
  ctx.waiting.set(orderId, commandId ? { what, commandId } : { what });
  let checkedCommand = started;
  for (;;) {
    if (ok(truthOf(ctx, orderId))) return;
    if (Date.now() > ctx.deadline) throw new Abandon(`${what}: not seen before the run's deadline`);
    // A command that ended without effect (REJECTED, FAILED) will never show: the order's life ends here.
    // (Asked rarely: each question is a seller API call, and a thousand waiting sellers would load the bridge.)
    if (commandId && Date.now() - checkedCommand > 45_000) {
      checkedCommand = Date.now();
      const command = await ctx.seller.get(`/v1/commands/${commandId}`);
      const status = String(command.json.status ?? command.status);
      if (["REJECTED", "FAILED"].includes(status)) throw new Abandon(`${what}: command ${commandId} ${status}`);
    }
    // Each check renders the sandbox's order: once a second or so keeps 1,000 waiting sellers cheap.
    await sleep(800 + Math.random() * 600);
  }
}

async function think(rng: Prng, maxMs = 1500) {
  await sleep(rng.int(50, maxMs));
}

async function liveOrder(ctx: Ctx, index: number, orderId: string): Promise<void> {
  const rng = mulberry32(deriveSeed(ctx.seed, `order-${index}`));
  let step = 0;
  const command = async (actions: SellerAction[], what: string, ok: (t: Truth) => boolean) => {
    step++;
    const commandId = `chaos-${ctx.seed}-${index}-${step}`;
    const submittedAt = Date.now();
    const result = await ctx.seller.submit(orderId, commandId, actions, rng);
    if (!result.ok) throw new Abandon(`${what}: refused, ${result.reason}`);
    await waitFor(ctx, orderId, what, ok, commandId);
    ctx.stepLatencies.push(Date.now() - submittedAt);
  };
  try {
    // The seller learns of an order from the bridge (its OrderChanged event), then acts.
    ctx.waiting.set(orderId, { what: "the bridge's first OrderChanged" });
    while (!ctx.known.has(orderId)) {
      if (Date.now() > ctx.deadline) throw new Abandon("never reached the bridge during the run");
      await sleep(250);
    }
    await think(rng);
    if (rng.chance(0.06)) {
      const reason = CANCEL_REASONS[rng.int(0, CANCEL_REASONS.length - 1)] as string;
      await command([{ type: "cancel", reason }], "early cancel", (t) => t.orderState === "CANCELLED");
      return;
    }
    // Most sellers accept and start packing in one go; some in two steps.
    const packWithAccept = rng.chance(0.6);
    await command(
      packWithAccept ? [{ type: "accept" }, { type: "packing" }] : [{ type: "accept" }],
      packWithAccept ? "accept + packing" : "accept",
      (t) => t.orderState === "ACCEPTED" && (!packWithAccept || leg(t, "STORE") === "PACKING"),
    );
    await think(rng);
    if (rng.chance(0.25)) {
      const truth = truthOf(ctx, orderId);
      const item = truth.items.find((i) => i.quantity.count >= 2) ?? truth.items[0];
      if (item) {
        const units = item.quantity.count - 1;
        const reason = ITEM_UNIT_REASONS[rng.int(0, ITEM_UNIT_REASONS.length - 1)] as string;
        await command(
          [{ type: "itemUnits", itemId: item.itemId, units, reason }],
          "unit cut",
          (t) => t.items.find((i) => i.itemId === item.itemId)?.quantity.count === units,
        );
        await think(rng);
      }
    }
    if (!packWithAccept) {
      await command([{ type: "packing" }], "packing", (t) => leg(t, "STORE") === "PACKING");
      await think(rng);
    }
    if (rng.chance(0.05)) {
      await command([{ type: "cancel", reason: "ITEM_UNAVAILABLE" }], "cancel while packing", (t) => {
        return t.orderState === "CANCELLED";
      });
      return;
    }
    await command(
      [{ type: "packed" }, { type: "start" }],
      "packed + start",
      (t) => t.orderState === "IN_PROGRESS" && leg(t, "STORE") === "PACKED",
    );
    if (rng.chance(0.7)) {
      const sellerInvoiceId = `INV-${ctx.seed}-${index}`;
      await command(
        [{ type: "invoice", sellerInvoiceId }],
        "invoice",
        (t) => t.clientOrderInfo?.sellerInvoiceId === sellerInvoiceId,
      );
    }
    if (rng.chance(0.3)) {
      // The seller ships itself (merchant delivery): OUT_FOR_DELIVERY, then DELIVERED, on the DELIVERY leg.
      await think(rng, 2500);
      await command([{ type: "outForDelivery" }], "out for delivery", (t) => leg(t, "DELIVERY") === "OUT_FOR_DELIVERY");
      await think(rng, 2500);
      await command([{ type: "delivered" }], "delivered", (t) => leg(t, "DELIVERY") === "DELIVERED");
    } else {
      // Logistics is Pincode's side: the DELIVERY leg moves SEARCHING_FOR_AGENT -> ... -> DELIVERED.
      for (let i = 0; i < 3; i++) {
        await think(rng, 2500);
        ctx.pipeline.sandbox?.advanceOrder(orderId);
      }
    }
    await think(rng);
    await command([{ type: "complete" }], "complete", (t) => t.orderState === "COMPLETED");
    // PINCODE-API §3.2 sample: a CANCEL_ORDER from Pincode's side long after COMPLETED.
    if (rng.chance(0.02)) {
      await think(rng, 3000);
      ctx.pipeline.sandbox?.cancelOrder(orderId, "BUYER_REFUSED_DELIVERY");
    }
  } catch (error) {
    if (!(error instanceof Abandon)) throw error;
    ctx.stuck.push({ orderId, reason: error.message });
  } finally {
    ctx.finished++;
    ctx.waiting.delete(orderId);
  }
}

// --- reading the bridge's side ------------------------------------------------------------------------------------

async function storedViews(pipeline: LocalPipeline, orderIds: readonly string[]) {
  const views = new Map<string, Record<string, unknown>>();
  const { client, tableName } = pipeline.dynamo;
  for (let start = 0; start < orderIds.length; start += 100) {
    let keys: Record<string, AttributeValue>[] = orderIds
      .slice(start, start + 100)
      .map((id) => ({ pk: { S: `ORDER#${id}` }, sk: { S: "VIEW" } }));
    while (keys.length > 0) {
      const result = await client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: keys,
              ProjectionExpression: "orderId, #snapshot",
              ExpressionAttributeNames: { "#snapshot": "snapshot" },
              ConsistentRead: true,
            },
          },
        }),
      );
      for (const item of result.Responses?.[tableName] ?? []) {
        views.set(item.orderId?.S ?? "", JSON.parse(item.snapshot?.S ?? "{}") as Record<string, unknown>);
      }
      keys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return views;
}

async function acceptedHistory(pipeline: LocalPipeline, orderId: string) {
  const { client, tableName } = pipeline.dynamo;
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :e)",
        FilterExpression: "#outcome = :accepted",
        ExpressionAttributeValues: {
          ":pk": { S: `ORDER#${orderId}` },
          ":e": { S: "EVENT#" },
          ":accepted": { S: "accepted" },
        },
        ProjectionExpression: "#version, #summary",
        ExpressionAttributeNames: { "#outcome": "outcome", "#version": "version", "#summary": "summary" },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items
    .map((item) => ({
      version: Number(item.version?.N ?? Number.NaN),
      summary: JSON.parse(item.summary?.S ?? "null") as OrderSummary,
    }))
    .sort((a, b) => a.version - b.version);
}

async function queueDepth(pipeline: LocalPipeline, url: string): Promise<number> {
  const attrs = await pipeline.queues.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

// --- the run --------------------------------------------------------------------------------------------------

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { orders, seed, log } = options;
  // Size-scaled phases (docs/chaos.md): 1,000 orders arrive over ~60 s; the callback outage lasts 60 s at 1,000.
  const scale = orders / 1000;
  const arrivalMs = Math.max(10_000, 60_000 * scale);
  const outageMs = Math.max(15_000, Math.round(60_000 * scale));
  const lateMs = 15_000;

  // The handlers' JSON logs are the faults at work, thousands of lines: silent unless CHAOS_LOG_LEVEL asks.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.CHAOS_LOG_LEVEL ?? "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
  const config = loadLocalConfig(
    {
      PORT: "0",
      SANDBOX_PORT: "0",
      DYNAMODB_PORT: "0",
      SQS_PORT: "0",
      DEMO: "0",
      STATUS_LINE: "0",
      STORE_IDS: STORES.join(","),
      SANDBOX_SEED: String(seed),
      SANDBOX_UPDATED_AT: "frozen",
      POLL_INTERVAL_S: "8",
      POLL_SETTLE_S: "1",
      POLL_LOOKBACK_S: "5",
      // Above the 30 s function timeout, as on AWS: a shorter one redelivers batches still being worked on.
      VISIBILITY_TIMEOUT_S: "35",
      // Containers per consumer (Lambda's scale-out), each its own client and per-process throttle. One by default:
      // on a starved 2-core machine four fought over the CPU until their batches ran out of function time.
      CONSUMER_CONCURRENCY: process.env.CHAOS_CONCURRENCY ?? "1",
      SELLER_API_KEY: randomBytes(24).toString("base64url"),
    },
    ["--in-memory"],
  );

  const known = new Set<string>();
  const events: BridgeEvent[] = [];
  const pipeline = await startLocalPipeline(
    config,
    (line) => {
      // Failed deliveries and consumer retries are the faults at work: counted in the figures, not printed.
      if (!line.startsWith("consumer:") && !line.startsWith("callback ")) log(`local: ${line}`);
    },
    {
      onDomainEvent: (event) => {
        if (event.detailType === "OrderChanged") {
          known.add(event.detail.orderId);
          events.push(event);
        }
      },
    },
  );
  const sandbox = pipeline.sandbox;
  if (!sandbox) throw new Error("local mode started without its sandbox");

  const faultSet = {
    frozenUpdatedAt: true,
    callbackDropRate: 0.3,
    callbackDuplicateRate: 0.2,
    callbackReorderRate: 0.2,
    callbackLateRate: 0.05,
    callbackLateMs: lateMs,
    apiErrorRate: 0.05,
    apiRateLimitRate: 0.05,
    retryAfterSeconds: 1,
    updateResponseLossRate: 0.1,
  };
  const seller = new Seller(pipeline.apiUrl, pipeline.sellerApiKey);
  const stuck: { orderId: string; reason: string }[] = [];
  const ctx: Ctx = {
    pipeline,
    seller,
    known,
    stuck,
    seed,
    deadline: Date.now() + Number(process.env.CHAOS_LIFECYCLE_TIMEOUT_S ?? 1200) * 1000,
    stepLatencies: [],
    finished: 0,
    waiting: new Map(),
  };
  const orderIds: string[] = [];
  const injected = { consumerKills: 0, callbackOutageMs: 0, callbacksRefusedInOutage: 0 };

  try {
    sandbox.setFaults(faultSet);
    const started = Date.now();
    log(`chaos: ${orders} orders over ${STORES.length} stores, seed ${seed}; arrivals over ${arrivalMs / 1000} s`);

    // Consumer crashes and the callback outage, on a timeline scaled to the arrival phase.
    const disruptions = (async () => {
      for (const at of [0.3, 0.7]) {
        await sleep(Math.max(0, started + arrivalMs * at - Date.now()));
        pipeline.consumers.kill("processor");
        pipeline.consumers.kill("commands");
        injected.consumerKills += 2;
        log(`chaos: processor and commands consumers killed at +${Math.round((Date.now() - started) / 1000)} s`);
        await sleep(5_000);
        pipeline.consumers.start("processor");
        pipeline.consumers.start("commands");
      }
    })();
    const outage = (async () => {
      await sleep(arrivalMs * 0.45);
      const rejectedBefore = pipeline.counters.rejected;
      pipeline.setCallbackOutage(true);
      log(`chaos: callback route answers 503 for ${outageMs / 1000} s`);
      await sleep(outageMs);
      pipeline.setCallbackOutage(false);
      injected.callbackOutageMs = outageMs;
      injected.callbacksRefusedInOutage = pipeline.counters.rejected - rejectedBefore;
    })();

    // Pincode creates the orders over the arrival phase; each then lives its life.
    const lives: Promise<void>[] = [];
    for (let i = 0; i < orders; i++) {
      await sleep(Math.max(0, started + (arrivalMs * i) / orders - Date.now()));
      const order = sandbox.createOrder({ storeId: STORES[i % STORES.length] as string });
      const orderId = String(order.id);
      orderIds.push(orderId);
      lives.push(liveOrder(ctx, i, orderId));
      if (i % 200 === 199) log(`chaos: ${i + 1} orders created`);
    }
    const progress = setInterval(() => {
      void (async () => {
        const events = await queueDepth(pipeline, pipeline.queues.eventsQueueUrl);
        const commands = await queueDepth(pipeline, pipeline.queues.commandsQueueUrl);
        const calls = sandbox.stats().calls;
        const tsp = Object.entries(calls)
          .filter(([path]) => path.startsWith("/tsp/"))
          .map(([path, counts]) => `${path.split("/").pop()}=${Object.values(counts).reduce((a, b) => a + b, 0)}`)
          .join(" ");
        log(
          `chaos: +${Math.round((Date.now() - started) / 1000)} s: ${orderIds.length} created, ${ctx.finished} finished, ` +
            `${seller.commands.size} commands, step p50 ${percentile(ctx.stepLatencies, 50)} ms; queued: events ${events}, ` +
            `commands ${commands}; Pincode calls ${tsp}`,
        );
        // The last few: say what they wait for, so a hang names its command.
        if (orderIds.length === orders && orders - ctx.finished <= 3) {
          for (const [orderId, wait] of ctx.waiting) {
            const command = wait.commandId ? (await seller.get(`/v1/commands/${wait.commandId}`)).json : {};
            log(
              `chaos:   ${orderId} waits for ${wait.what}: command ${wait.commandId ?? "-"} ` +
                JSON.stringify({ status: command.status, attempts: command.attempts, lastError: command.lastError }) +
                ` truth ${JSON.stringify(comparable(truthOf(ctx, orderId)))}`,
            );
          }
        }
      })().catch(() => {});
    }, 15_000);
    await Promise.all([...lives, disruptions, outage, seller.settled()]).finally(() => clearInterval(progress));
    const lifecycleEnd = Date.now();
    const runMs = lifecycleEnd - started;
    log(`chaos: lifecycles done in ${Math.round(runMs / 1000)} s (${stuck.length} stuck); waiting for convergence`);

    // Converged: every stored view equals the truth, every command final, the work queues empty.
    let convergeMs = -1;
    const convergeDeadline = lifecycleEnd + options.convergeTimeoutMs;
    let lastCount = -1;
    while (Date.now() < convergeDeadline) {
      const views = await storedViews(pipeline, orderIds);
      const mismatches = orderIds.flatMap((id) => compareOrder(id, views.get(id), truthOf(ctx, id)));
      const busy =
        (await queueDepth(pipeline, pipeline.queues.eventsQueueUrl)) +
        (await queueDepth(pipeline, pipeline.queues.commandsQueueUrl));
      if (mismatches.length === 0 && busy === 0) {
        convergeMs = Date.now() - lifecycleEnd;
        break;
      }
      if (mismatches.length !== lastCount) {
        log(`chaos: ${mismatches.length} field mismatches, ${busy} queued messages`);
        lastCount = mismatches.length;
      }
      await sleep(2000);
    }
    log(`chaos: ${convergeMs >= 0 ? `converged ${Math.round(convergeMs / 1000)} s after the run` : "NOT converged"}`);
    await sandbox.callbacksIdle();

    // --- the judgement, through the seller API where the seller would look ---------------------------------------
    const mismatches: Mismatch[] = [];
    const regressions: Regression[] = [];
    const finalStates: Record<string, number> = {};
    await inBatches(orderIds, 8, async (orderId) => {
      const got = await seller.get(`/v1/orders/${orderId}`);
      const truth = truthOf(ctx, orderId);
      finalStates[truth.orderState] = (finalStates[truth.orderState] ?? 0) + 1;
      mismatches.push(
        ...compareOrder(orderId, got.status === 200 ? (got.json.order as Record<string, unknown>) : undefined, truth),
      );
      // History in write order (each accepted item names the view version it became).
      const history = await acceptedHistory(pipeline, orderId);
      for (let i = 1; i < history.length; i++) {
        const prev = history[i - 1]!;
        const next = history[i]!;
        if (next.version !== prev.version + 1) {
          regressions.push({ orderId, seenIn: "history", what: `versions ${prev.version} -> ${next.version}` });
        }
        const why = regressionBetween(prev.summary, next.summary);
        if (why) regressions.push({ orderId, seenIn: "history", what: `v${prev.version}->v${next.version}: ${why}` });
      }
    });
    for (const event of events) {
      if (event.detailType !== "OrderChanged" || !event.detail.before) continue;
      const why = regressionBetween(event.detail.before, event.detail.after);
      if (why)
        regressions.push({ orderId: event.detail.orderId, seenIn: "events", what: `v${event.detail.version}: ${why}` });
    }

    // Exactly once: the sandbox's record of applied Order Updates, by the requestId each command keeps for life.
    const applied = sandbox.appliedUpdates();
    const appliedByRequest = new Map<string, number>();
    for (const update of applied) {
      appliedByRequest.set(update.requestId, (appliedByRequest.get(update.requestId) ?? 0) + update.actions.length);
    }
    const doubleEffects: DoubleEffect[] = [];
    const misreported: DoubleEffect[] = [];
    const failed: DoubleEffect[] = [];
    const byStatus: Record<string, number> = {};
    const commandRequestIds = new Set<string>();
    await inBatches([...seller.commands.values()], 8, async (submitted) => {
      const got = await seller.get(`/v1/commands/${submitted.commandId}`);
      const status = String(got.json.status ?? `HTTP ${got.status}`);
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      const requestId = String(got.json.requestId ?? "");
      commandRequestIds.add(requestId);
      const count = appliedByRequest.get(requestId) ?? 0;
      const actions = submitted.actions.length;
      const detail = () =>
        JSON.stringify({
          attempts: got.json.attempts,
          outcome: got.json.outcome,
          lastError: got.json.lastError,
          applied: applied.filter((u) => u.requestId === requestId).map((u) => ({ at: u.at, actions: u.actions })),
        });
      // Twice is twice whatever the status says; and the status must tell the truth about the effect: SUCCEEDED =
      // applied once, REJECTED = not applied. FAILED (gave up) only promises "not more than once".
      if (status === "FAILED")
        failed.push({ commandId: submitted.commandId, orderId: submitted.orderId, what: detail() });
      if (count > actions) {
        doubleEffects.push({
          commandId: submitted.commandId,
          orderId: submitted.orderId,
          what: `${status}: ${count} actions applied for ${actions} sent ${detail()}`,
        });
      } else if ((status === "SUCCEEDED" && count !== actions) || (status === "REJECTED" && count > 0)) {
        misreported.push({
          commandId: submitted.commandId,
          orderId: submitted.orderId,
          what: `${status} but ${count} of ${actions} actions applied ${detail()}`,
        });
      }
    });
    for (const update of applied) {
      if (!commandRequestIds.has(update.requestId)) {
        doubleEffects.push({
          commandId: "(none)",
          orderId: update.orderId,
          what: `update ${update.requestId} from no command`,
        });
      }
    }

    const stats = sandbox.stats();
    const byEndpoint: Record<string, number> = {};
    let total = 0;
    for (const [path, counts] of Object.entries(stats.calls)) {
      if (!path.startsWith("/tsp/")) continue;
      const n = Object.values(counts).reduce((a, b) => a + b, 0);
      byEndpoint[path] = n;
      total += n;
    }
    const status = (path: string, code: string) => stats.calls[path]?.[code] ?? 0;
    const tspStatus = (code: string) =>
      Object.entries(stats.calls)
        .filter(([path]) => path.startsWith("/tsp/"))
        .reduce((sum, [, counts]) => sum + (counts[code] ?? 0), 0);
    const dlq: Record<string, number> = {};
    for (const [name, url] of [
      ["events", pipeline.queues.eventsDlqUrl],
      ["poll", pipeline.queues.pollDlqUrl],
      ["commands", pipeline.queues.commandsDlqUrl],
    ] as const) {
      dlq[name] = await queueDepth(pipeline, url);
    }
    return {
      orders,
      stores: STORES.length,
      seed,
      runMs,
      convergeMs,
      pollIntervalMs: config.POLL_INTERVAL_S * 1000,
      stepLatencyMs: {
        p50: percentile(ctx.stepLatencies, 50),
        p95: percentile(ctx.stepLatencies, 95),
        max: percentile(ctx.stepLatencies, 100),
      },
      faults: {
        callbacksGenerated: stats.callbacks.generated,
        callbacksDropped: stats.callbacks.dropped,
        callbacksDuplicated: stats.callbacks.duplicated,
        callbacksReordered: stats.callbacks.reordered,
        callbacksLate: stats.callbacks.late,
        callbacksFailedAfterRetries: stats.callbacks.failed,
        callbacksRefusedInOutage: injected.callbacksRefusedInOutage,
        callbackOutageSeconds: injected.callbackOutageMs / 1000,
        api5xx: tspStatus("500"),
        api429: tspStatus("429"),
        updateResponsesLost: status(PATHS.update, "502") + status(PATHS.update, "0"),
        consumerKills: injected.consumerKills,
      },
      finalStates,
      commands: {
        submitted: seller.commands.size,
        resubmitted: seller.resubmitted,
        resubmitMismatches: seller.resubmitMismatches,
        byStatus,
        refusedAtSubmit: seller.refused,
      },
      pincodeCalls: { total, perOrder: total / orders, byEndpoint },
      dlq,
      mismatches,
      regressions,
      doubleEffects,
      misreported,
      failed,
      stuck,
    };
  } finally {
    await pipeline.stop();
  }
}

/** The figures as the run prints them. */
export function formatReport(report: ChaosReport): string {
  const lines = [
    `chaos convergence: ${report.orders} orders over ${report.stores} stores (seed ${report.seed})`,
    `  lifecycle phase:     ${(report.runMs / 1000).toFixed(1)} s`,
    `  time to converge:    ${report.convergeMs >= 0 ? `${(report.convergeMs / 1000).toFixed(1)} s after the last lifecycle step (${Math.ceil(report.convergeMs / report.pollIntervalMs)} poll intervals of ${report.pollIntervalMs / 1000} s)` : "did not converge"}`,
    `  command step:        POST -> effect at Pincode p50 ${report.stepLatencyMs.p50} ms, p95 ${report.stepLatencyMs.p95} ms, max ${report.stepLatencyMs.max} ms`,
    `  final states:        ${JSON.stringify(report.finalStates)}`,
    `  faults injected:     ${Object.entries(report.faults)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
    `  commands:            ${report.commands.submitted} submitted, ${report.commands.resubmitted} resubmitted with the same commandId, by status ${JSON.stringify(report.commands.byStatus)}, refused at submit ${JSON.stringify(report.commands.refusedAtSubmit)}`,
    `  Pincode calls:       ${report.pincodeCalls.total} (${report.pincodeCalls.perOrder.toFixed(1)} per order) ${JSON.stringify(report.pincodeCalls.byEndpoint)}`,
    `  DLQ depth:           ${JSON.stringify(report.dlq)}`,
    `  mismatches:          ${report.mismatches.length}`,
    `  regressions:         ${report.regressions.length}`,
    `  double effects:      ${report.doubleEffects.length}`,
    `  misreported status:  ${report.misreported.length}`,
    `  replay mismatches:   ${report.commands.resubmitMismatches}`,
    `  stuck lifecycles:    ${report.stuck.length}`,
  ];
  const sample = <T>(label: string, list: T[]) => {
    if (list.length > 0) lines.push(`  first ${label}: ${JSON.stringify(list.slice(0, 5))}`);
  };
  sample("mismatches", report.mismatches);
  sample("regressions", report.regressions);
  sample("double effects", report.doubleEffects);
  sample("misreported", report.misreported);
  sample("stuck", report.stuck);
  sample("FAILED commands", report.failed);
  return lines.join("\n");
}
