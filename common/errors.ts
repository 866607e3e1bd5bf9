/** @module Typed API errors with stable codes, mapped to the one JSON error shape in one place. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error a client can act on: HTTP status, stable `code`, message and optional details. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The JSON error shape used everywhere: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Builds a JSON error `Response` outside Hono handlers. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  return Response.json(errorBody(code, message, details), { status });
}

/** 400 `invalid_host`: the Host header (or an absolute request target) is not a valid host name. */
export function invalidHostResponse(): Response {
  return errorResponse(400, "invalid_host", "The Host header is not a valid host name");
}

/** Hono `onError` handler: ApiError → its status; anything else → 500 `internal` (logged, not leaked). */
export function onApiError(log: (err: unknown) => void) {
  return (err: Error, c: Context): Response => {
    if (err instanceof ApiError) {
      return c.json(errorBody(err.code, err.message, err.details), err.status);
    }
    if (isCodedError(err)) {
      return c.json(errorBody(err.code, err.message), err.status as ContentfulStatusCode);
    }
    if (isDataException(err)) {
      // A safety net, not the validation: input that reached SQL and was refused as data (bad
      // encoding or NUL, bad date or number text, too long) is the client's error, not ours.
      return c.json(
        errorBody("invalid_request", "The request contains a value the database refuses", {
          sqlstate: err.code,
        }),
        400,
      );
    }
    if (isHttpException(err)) {
      const status = err.status as ContentfulStatusCode;
      const code = status === 413 ? "body_too_large" : "bad_request";
      return c.json(errorBody(code, err.message || "Bad request"), status);
    }
    log(err);
    return c.json(errorBody("internal", "Internal server error"), 500);
  };
}

/** Domain errors (e.g. `DomainPatternError`) carry a stable `code` and a 4xx `status`. */
function isCodedError(err: unknown): err is Error & { code: string; status: number } {
  const e = err as { code?: unknown; status?: unknown };
  return err instanceof Error && typeof e.code === "string" && typeof e.status === "number" &&
    e.status >= 400 && e.status < 500;
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
  return c.json(errorBody("not_found", `No endpoint ${c.req.method} ${c.req.path}`), 404);
}
