/**
 * The domain events' `detail` as zod schemas: the contract the seller's systems code against. docs/events/*.json
 * are generated from these (`npm run events:schemas`) and a test validates every event a real flow emits against
 * the committed JSON with an independent validator (ajv). Strict objects: a field that is not declared here (buyer
 * data, say) makes an event invalid.
 */
import { z } from "zod";
import {
  COMMAND_FAILED,
  COMMAND_REJECTED,
  COMMAND_SUCCEEDED,
  EVENT_SOURCE,
  ORDER_CHANGED,
  SUBMISSION_COMPLETED,
} from "./event-publisher.ts";

const FulfillmentSummary = z.strictObject({
  fulfillmentId: z.string(),
  type: z.string().nullable(),
  fulfillmentState: z.string().nullable(),
});

const ItemSummary = z.strictObject({
  itemId: z.string(),
  serviceProviderItemId: z.string().nullable().describe("The seller's SKU"),
  name: z.string().nullable(),
  units: z.number().int().nullable(),
  fulfillmentId: z.string().nullable(),
});

const OrderSummary = z.strictObject({
  orderId: z.string(),
  storeId: z.string().nullable().describe("serviceProvider.id: the Pincode store"),
  orderState: z.string().nullable().describe("Upper case; CREATED (or another undocumented value) for a new order"),
  fulfillments: z.array(FulfillmentSummary),
  createdAt: z.number().nullable().describe("Epoch ms"),
  updatedAt: z.number().describe("Epoch ms"),
  itemCount: z.number().int(),
  unitCount: z.number().int(),
  totalPaise: z.number().nullable().describe("quote.price.value; most likely paise (PINCODE-API A3)"),
  items: z
    .array(ItemSummary)
    .optional()
    .describe("Order lines without buyer data (absent on views stored before v0.2)"),
});

export const OrderChangedDetailSchema = z
  .strictObject({
    orderId: z.string(),
    storeId: z.string().nullable(),
    before: OrderSummary.nullable().describe("The view before this change; null for the first snapshot"),
    after: OrderSummary,
    source: z.enum(["callback", "status-check", "order-update"]),
    receivedAt: z.number(),
    version: z.number().int().min(1).describe("Accepted-change counter of the order: order and de-duplicate on it"),
  })
  .describe("An order's stored view changed. No buyer data (name, phone, email, address) is ever included.");

const commandBase = {
  commandId: z.string(),
  orderId: z.string(),
  storeId: z.string().nullable(),
  actions: z.array(z.string()).describe("The Pincode Order Update action types sent, in order"),
  attempts: z.number().int().min(0),
  completedAt: z.number().describe("Epoch ms"),
};

export const CommandSucceededDetailSchema = z
  .strictObject({
    ...commandBase,
    orderState: z.string().nullable(),
    fulfillments: z.array(FulfillmentSummary),
    decidedBy: z
      .enum(["order-update", "status-check"])
      .describe("Pincode's reply, or a Status Check after an ambiguous failure proved the effect"),
  })
  .describe("A seller command reached Pincode once and took effect.");

export const CommandRejectedDetailSchema = z
  .strictObject({
    ...commandBase,
    errorCode: z.string().nullable().describe("Pincode's errorCode, e.g. ACTION_NOT_ALLOWED"),
    message: z.string().nullable().describe("Pincode's message"),
    httpStatus: z.number().int().nullable(),
  })
  .describe("Pincode refused a seller command; nothing changed.");

export const CommandFailedDetailSchema = z
  .strictObject({
    ...commandBase,
    reason: z.string().nullable().describe("Why the bridge gave up, in its own words (never a value from the order)"),
    decidedBy: z
      .enum(["order-update", "status-check"])
      .nullable()
      .describe("status-check: a Status Check found the order closed before an ambiguous attempt was confirmed"),
  })
  .describe(
    "The bridge gave up on a seller command; nothing more is sent. Whether an attempt took effect may be unknown " +
      "(see reason); the order's next OrderChanged shows Pincode's state.",
  );

export const SubmissionCompletedDetailSchema = z
  .strictObject({
    submissionId: z.string().describe("Our submission id (GET /v1/submissions/{submissionId})"),
    pincodeSubmissionId: z.string(),
    commandId: z.string(),
    type: z.enum(["store-toggle", "listings"]),
    storeId: z.string(),
    outcome: z.string().describe("SUCCEEDED, FAILED or PARTIAL"),
    processingStatus: z.string(),
    counts: z.strictObject({
      messages: z.number().int(),
      succeeded: z.number().int(),
      warnings: z.number().int(),
      failed: z.number().int(),
    }),
    messages: z.array(
      z.strictObject({
        messageId: z.string(),
        row: z.number().int().describe("Index of the row in the seller's request"),
        serviceProviderItemId: z.string().nullable(),
        outcome: z.string().describe("SUCCEEDED, WARNING or FAILED"),
        issueCodes: z.array(z.string()),
      }),
    ),
    completedAt: z.number(),
  })
  .describe("Pincode's result callback for a store toggle or listing submission was processed.");

/** Detail-type → detail schema, the five events on the bus (source `pincode-bridge`). */
export const EVENT_DETAIL_SCHEMAS = {
  [ORDER_CHANGED]: OrderChangedDetailSchema,
  [COMMAND_SUCCEEDED]: CommandSucceededDetailSchema,
  [COMMAND_REJECTED]: CommandRejectedDetailSchema,
  [COMMAND_FAILED]: CommandFailedDetailSchema,
  [SUBMISSION_COMPLETED]: SubmissionCompletedDetailSchema,
} as const;

/** The JSON Schema document for one detail type, as committed in docs/events/<detailType>.json. */
export function eventJsonSchema(detailType: keyof typeof EVENT_DETAIL_SCHEMAS): Record<string, unknown> {
  const schema = z.toJSONSchema(EVENT_DETAIL_SCHEMAS[detailType]) as Record<string, unknown>;
  return {
    $id: `https://pincode-bridge.local/events/${detailType}.json`,
    title: `${detailType} (EventBridge source "${EVENT_SOURCE}", detail-type "${detailType}"): the event's detail`,
    ...schema,
  };
}
