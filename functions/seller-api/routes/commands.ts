/**
 * The command side through the API: `POST /v1/orders/{orderId}/actions`, `GET /v1/commands/{commandId}`,
 * `GET /v1/orders/{orderId}/commands`, `POST /v1/stores/{storeId}/availability`, `POST /v1/listings` and
 * `GET /v1/submissions/{submissionId}`. Validation of the bodies, idempotency and the FIFO send are the submit use
 * cases' (functions/commands/submit.ts); this layer reads the path, the Idempotency-Key header and maps the result.
 */
import { randomUUID } from "node:crypto";
import type { CommandsPort, SellerApiDeps, SubmitResult } from "../create-handler.ts";
import { isDependencyOutage, OUTAGE_RETRY_AFTER_SECONDS } from "../dependency-outage.ts";
import { parseId, parseIdempotencyKey, parseStoreId } from "./params.ts";
import { type ApiRequest, type ApiResponse, apiError } from "./types.ts";

const unavailable = () =>
  apiError(503, "COMMANDS_UNAVAILABLE", "the command side is not configured in this deployment; retry later");

const fromSubmit = (result: SubmitResult): ApiResponse => ({ status: result.status, body: result.body });

/**
 * Submits with a command id fixed before anything is written: the caller's Idempotency-Key or body `commandId`,
 * else one made here. When DynamoDB or SQS fails half-way (the command recorded, its message not queued), the 503
 * names that id, so the caller retries with `Idempotency-Key: "<commandId>"` and the same command is completed
 * exactly once instead of a second one being made beside a stranded first (docs/seller-api.md "Errors").
 */
async function submitOnce(
  headerKey: string | undefined,
  body: unknown,
  submit: (idempotencyKey: string | undefined) => Promise<ApiResponse>,
): Promise<ApiResponse> {
  const bodyId = typeof body === "object" && body !== null ? (body as { commandId?: unknown }).commandId : undefined;
  const generated = headerKey === undefined && bodyId === undefined ? randomUUID() : undefined;
  const key = headerKey ?? generated;
  try {
    return await submit(key);
  } catch (error) {
    if (!isDependencyOutage(error)) throw error;
    const commandId = key ?? (typeof bodyId === "string" ? bodyId : undefined);
    return {
      status: 503,
      body: {
        error: "SERVICE_UNAVAILABLE",
        message:
          "the command could not be recorded and queued; retry the same request with the Idempotency-Key header set to commandId (it takes effect at most once)",
        ...(commandId ? { commandId } : {}),
      },
      headers: { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS) },
    };
  }
}

async function withCommands(
  deps: SellerApiDeps,
  run: (commands: CommandsPort) => Promise<ApiResponse>,
): Promise<ApiResponse> {
  return deps.commands ? run(deps.commands) : unavailable();
}

export async function postOrderActions(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const orderId = parseId("orderId", request.params.orderId);
  if (!orderId.ok) return orderId.response;
  const key = parseIdempotencyKey(request);
  if (!key.ok) return key.response;
  if (request.body === undefined) return apiError(400, "INVALID_REQUEST", "body: expected a JSON object with actions");
  return withCommands(deps, (commands) =>
    submitOnce(key.value, request.body, async (idempotencyKey) =>
      fromSubmit(
        await commands.submitOrderActions({
          orderId: orderId.value,
          body: request.body,
          now: request.now,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        }),
      ),
    ),
  );
}

export async function getCommand(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const commandId = parseId("commandId", request.params.commandId);
  if (!commandId.ok) return commandId.response;
  return withCommands(deps, async (commands) => {
    const command = await commands.getCommand(commandId.value);
    if (!command) return apiError(404, "COMMAND_NOT_FOUND", "no command with this commandId");
    return { status: 200, body: command };
  });
}

export async function listOrderCommands(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const orderId = parseId("orderId", request.params.orderId);
  if (!orderId.ok) return orderId.response;
  return withCommands(deps, async (commands) => {
    const [view, list] = await Promise.all([
      deps.orders.getView(orderId.value),
      commands.listOrderCommands(orderId.value),
    ]);
    if (!view && list.length === 0) {
      return apiError(404, "ORDER_NOT_FOUND", "no order with this orderId has reached the bridge");
    }
    return { status: 200, body: { orderId: orderId.value, commands: list } };
  });
}

export async function postStoreAvailability(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const storeId = parseStoreId("storeId", request.params.storeId);
  if (!storeId.ok) return storeId.response;
  if (storeId.value === null) return apiError(400, "INVALID_REQUEST", "storeId: expected a store id");
  const key = parseIdempotencyKey(request);
  if (!key.ok) return key.response;
  if (request.body === undefined) {
    return apiError(400, "INVALID_REQUEST", "body: expected a JSON object {status: ENABLED|DISABLED, validTill?}");
  }
  const id = storeId.value;
  // The submit use case checks the store is ACTIVE (404 STORE_NOT_FOUND) and records the availability as last set.
  return withCommands(deps, (commands) =>
    submitOnce(key.value, request.body, async (idempotencyKey) =>
      indexPending(
        deps,
        await commands.submitStoreToggle({
          storeId: id,
          body: request.body,
          now: request.now,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        }),
        request.now,
      ),
    ),
  );
}

/**
 * Every PENDING submission a 202 names goes into the pending-submission index, so the scheduled poller can report
 * the oldest one's age (the alarm). Idempotent: a replayed request indexes the same ids again.
 */
async function indexPending(deps: SellerApiDeps, result: SubmitResult, now: number): Promise<ApiResponse> {
  if (result.status === 202 && deps.pendingSubmissions && Array.isArray(result.body.submissions)) {
    for (const submission of result.body.submissions as { submissionId?: unknown; status?: unknown }[]) {
      if (typeof submission?.submissionId === "string" && submission.status === "PENDING") {
        await deps.pendingSubmissions.markPending(submission.submissionId, now);
      }
    }
  }
  return fromSubmit(result);
}

export async function postListings(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const key = parseIdempotencyKey(request);
  if (!key.ok) return key.response;
  if (request.body === undefined) return apiError(400, "INVALID_REQUEST", "body: expected a JSON object with listings");
  return withCommands(deps, (commands) =>
    submitOnce(key.value, request.body, async (idempotencyKey) =>
      indexPending(
        deps,
        await commands.submitListings({
          body: request.body,
          now: request.now,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        }),
        request.now,
      ),
    ),
  );
}

export async function getSubmission(request: ApiRequest, deps: SellerApiDeps): Promise<ApiResponse> {
  const submissionId = parseId("submissionId", request.params.submissionId);
  if (!submissionId.ok) return submissionId.response;
  return withCommands(deps, async (commands) => {
    // PENDING with its age (pendingForMs) until the result callback; our id or Pincode's.
    const submission = await commands.getSubmission(submissionId.value, request.now);
    if (!submission) return apiError(404, "SUBMISSION_NOT_FOUND", "no submission with this submissionId");
    return { status: 200, body: submission };
  });
}
