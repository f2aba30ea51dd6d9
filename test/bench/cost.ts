/**
 * Cost: US$ per million orders, from this run's measured durations and request counts, the stage's memory settings
 * and AWS list prices for ap-south-1 (Mumbai: the sellers are in India).
 *
 * PRICES are list prices as known to the author, dated below; check https://aws.amazon.com/<service>/pricing before
 * relying on them. Free tiers are ignored. Durations come from local emulators, which answer faster than AWS over
 * the network for SQS/DynamoDB calls, so Lambda GB-seconds are a lower bound; request counts are exact.
 */
import { loadStageConfig } from "../../lib/config/stage-config.ts";
import type { Row } from "./support.ts";

export const PRICES = {
  region: "ap-south-1",
  asOf: "2025-06 (AWS list prices as known to the author; DynamoDB after the 2024-11-01 on-demand price cut)",
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestPerMillion: 0.2,
  apiGatewayRestPerMillion: 3.5,
  sqsPerMillion: 0.4,
  dynamoWriteUnitPerMillion: 0.7116,
  dynamoReadUnitPerMillion: 0.1423,
  eventBridgeCustomEventPerMillion: 1.0,
  cloudWatchLogsIngestPerGb: 0.5,
};

export interface CostInputs {
  /** ORDER_VIEW callbacks per order over its life (created, accepted, packing, packed, dispatched, completed). */
  callbacksPerOrder: number;
  callbackMs: number;
  tokenMs: number;
  processorMsPerSnapshot: number;
  /**
   * DynamoDB units per accepted snapshot, from the measured item sizes: the view put (1 unit per KB), its history
   * item (about the view's size: it holds the same snapshot), the publish marker (1); reads are strongly consistent
   * (1 unit per 4 KB) for the view and the marker. Batch requests bill the same units as single ones.
   */
  writeUnitsPerSnapshot: number;
  readUnitsPerSnapshot: number;
  /** Log bytes per callback, both functions together (estimate from the log lines' size). */
  logBytesPerCallback: number;
}

export function costPerMillionOrders(inputs: CostInputs) {
  const stage = loadStageConfig("prod");
  const p = PRICES;
  const perCallback = {
    // Pincode fetches a token before each callback (PINCODE-API §3.1): two API requests, two invocations.
    apiGateway: (2 * p.apiGatewayRestPerMillion) / 1e6,
    lambdaRequests: 0,
    lambdaCompute:
      ((Math.max(1, Math.ceil(inputs.callbackMs)) / 1000) * (stage.callback.memoryMb / 1024) +
        (Math.max(1, Math.ceil(inputs.tokenMs)) / 1000) * (stage.callbackAuth.memoryMb / 1024) +
        (inputs.processorMsPerSnapshot / 1000) * (stage.processor.memoryMb / 1024)) *
      p.lambdaArmGbSecond,
    // SendMessage, plus ReceiveMessage and DeleteMessageBatch per batch of 10 on the processor's side.
    sqs: ((1 + 2 / stage.processor.batchSize) * p.sqsPerMillion) / 1e6,
    dynamo:
      (inputs.writeUnitsPerSnapshot * p.dynamoWriteUnitPerMillion +
        inputs.readUnitsPerSnapshot * p.dynamoReadUnitPerMillion) /
      1e6,
    eventBridge: p.eventBridgeCustomEventPerMillion / 1e6,
    logs: (inputs.logBytesPerCallback / 1024 ** 3) * p.cloudWatchLogsIngestPerGb,
  };
  // The processor is invoked once per batch, not per snapshot: its request price is a tenth.
  perCallback.lambdaRequests = ((2 + 1 / stage.processor.batchSize) * p.lambdaRequestPerMillion) / 1e6;
  const perOrder = Object.fromEntries(
    Object.entries(perCallback).map(([k, v]) => [k, v * inputs.callbacksPerOrder * 1e6]),
  ) as Record<keyof typeof perCallback, number>;
  const total = Object.values(perOrder).reduce((a, b) => a + b, 0);
  return { perMillionOrders: perOrder, total, memory: stage, inputs };
}

export function costRows(cost: ReturnType<typeof costPerMillionOrders>): Row[] {
  const rows: Row[] = Object.entries(cost.perMillionOrders).map(([service, usd]) => ({
    section: "cost",
    figure: `${service}, per million orders (${cost.inputs.callbacksPerOrder} callbacks each)`,
    value: usd,
    unit: "US$",
  }));
  rows.push({
    section: "cost",
    figure: `total US$ per million orders, ${PRICES.region}`,
    value: cost.total,
    unit: "US$",
    note: `prices as of ${PRICES.asOf.slice(0, 7)}`,
  });
  return rows;
}
