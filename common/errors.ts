/**
 * @module Typed API errors with stable codes (statuses from the catalogue), mapped to the one JSON
 * error shape `{ error: { code, message, details?, request_id? } }` in one place.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODES, type ErrorCode } from "./error_codes.ts";

export { ERROR_CODES, type ErrorCode } from "./error_codes.ts";

/** An error a client can act on: a stable `code` (its status from the catalogue), a message and details. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Response headers that belong with the error (e.g. `Retry-After`, `Allow`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = ERROR_CODES[code].status as ContentfulStatusCode;
  }
}

/** The error body: `details` only when there are some, `request_id` when the request has one. */
export function errorBody(
  code: string,
  message: string,
  details?: Record<string, unknown>,
  requestId?: string,
) {
  const error: Record<string, unknown> = { code, message };
  if (details !== undefined) error.details = details;
  if (requestId !== undefined) error.request_id = requestId;
  return { error };
}

/** A JSON error `Response` outside Hono handlers, with the catalogue's status. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
  opts: { requestId?: string; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(errorBody(code, message, details, opts.requestId)), {
    status: ERROR_CODES[code].status,
    headers: { "content-type": "application/json", ...opts.headers },
  });
}

/** 400 `invalid_host`: the Host header (or an absolute request target) is not a valid host name. */
export function invalidHostResponse(): Response {
  return errorResponse("invalid_host", "The Host header is not a valid host name");
}

/**
 * Hono `onError` handler: ApiError → its status; anything else → 500 `internal` (logged with the
 * request id, not leaked).
 */
export function onApiError(log: (err: unknown, requestId?: string) => void) {
  return (err: Error, c: Context): Response => {
    const requestId = (c.get as (k: string) => unknown)("requestId") as string | undefined;
    const reply = (code: string, message: string, status: number, details?: object) =>
      c.json(
        errorBody(code, message, details as Record<string, unknown>, requestId),
        status as ContentfulStatusCode,
      );
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return reply(err.code, err.message, err.status, err.details);
    }
    if (isCodedError(err)) return reply(err.code, err.message, err.status);
    if (isDataException(err)) {
      // A safety net, not the validation: input that reached SQL and was refused as data (bad
      // encoding or NUL, bad date or number text, too long) is the client's error, not ours.
      return reply("invalid_request", "The request contains a value the database refuses", 400, {
        sqlstate: err.code,
      });
    }
    if (isHttpException(err)) {
      const code = err.status === 413 ? "body_too_large" : "bad_request";
      return reply(code, err.message || "Bad request", err.status);
    }
    log(err, requestId);
    return reply("internal", "Internal server error", 500);
  };
}

/** Domain errors (e.g. `DomainPatternError`) carry a catalogued `code` and a 4xx `status`. */
export function isCodedError(err: unknown): err is Error & { code: ErrorCode; status: number } {
  const e = err as { code?: unknown; status?: unknown };
  return err instanceof Error && typeof e.code === "string" && e.code in ERROR_CODES &&
    typeof e.status === "number" && e.status >= 400 && e.status < 500;
}

/**
 * A PostgreSQL "data exception" (SQLSTATE class 22: 22021 invalid byte sequence or NUL,
 * 22007/22008 bad or out-of-range datetime, 22P02 invalid text representation, 22001 string too
 * long, 22003 number out of range…), as postgres.js reports it.
 */
function isDataException(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  return err instanceof Error && err.name === "PostgresError" && typeof code === "string" &&
    /^22[0-9A-Z]{3}$/.test(code);
}

function isHttpException(err: unknown): err is Error & { status: number } {
  return err instanceof Error && err.name === "HTTPException" &&
    typeof (err as { status?: unknown }).status === "number";
}

/** 404 for a JSON API path with no handler. */
export function notFound(c: Context): Response {
  return errorResponse("not_found", `No endpoint ${c.req.method} ${c.req.path}`);
}
