import type { APIGatewayProxyResult } from "aws-lambda";

/** A JSON API Gateway proxy result. */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** Our error body: a stable code plus a message saying what and where (never PII, never secrets). */
export function errorResponse(
  statusCode: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return jsonResponse(statusCode, { error, message }, headers);
}
