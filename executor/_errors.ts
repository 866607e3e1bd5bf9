/** @module Maps invocation outcomes to the platform's JSON error responses (one place). */

import { ERROR_CODES, type ErrorCode as CatalogueCode } from "../common/error_codes.ts";
import type { Outcome } from "./types.ts";

/** Stable error codes an invocation can answer with (statuses in the catalogue). */
export type ErrorCode = Extract<
  CatalogueCode,
  | "timeout"
  | "memory_limit"
  | "body_too_large"
  | "response_too_large"
  | "concurrency_limit"
  | "script_error"
  | "executor_crashed"
  | "executor_restarted"
  | "capacity"
  | "client_closed"
>;

/** The code an outcome answers with when no more specific one is given. */
export function defaultCode(outcome: Outcome): ErrorCode {
  switch (outcome.kind) {
    case "timeout":
      return "timeout";
    case "memory":
      return "memory_limit";
    case "body_too_large":
      return "body_too_large";
    case "response_too_large":
      return "response_too_large";
    case "concurrency":
      return "concurrency_limit";
    case "capacity":
      return "capacity";
    case "rejected":
      return "script_error";
    case "client_closed":
      return "client_closed";
    default:
      return "executor_crashed";
  }
}

function describe(outcome: Outcome, code: ErrorCode): [string, Record<string, number | string>] {
  switch (outcome.kind) {
    case "timeout":
      return ["Script exceeded its time limit", {
        limit_ms: outcome.limitMs,
        elapsed_ms: outcome.elapsedMs,
      }];
    case "memory":
      return ["Script exceeded its memory limit", {
        limit_mb: outcome.limitMb,
        used_mb: outcome.usedMb,
      }];
    case "body_too_large":
      return ["Request body exceeds the limit", {
        limit_bytes: outcome.limitBytes,
        received_bytes: outcome.receivedBytes,
      }];
    case "response_too_large":
      return ["Response body exceeds the limit", {
        limit_bytes: outcome.limitBytes,
        produced_bytes: outcome.producedBytes,
      }];
    case "concurrency":
      return ["Too many concurrent requests for this script", {
        limit: outcome.limit,
        in_flight: outcome.inFlight,
      }];
    case "capacity":
      return ["Every executor slot is busy; retry later", {
        limit: "max_executors",
        reason: outcome.reason,
        max_executors: outcome.maxExecutors,
        max_queue: outcome.maxQueue,
        queue_length: outcome.queueLength,
        waited_ms: outcome.waitedMs,
      }];
    case "rejected":
      // The script's error text may contain secrets: it goes to the execution log only.
      return ["The script failed; see the execution log", {}];
    case "client_closed":
      return ["The client closed the connection before the response was complete", {}];
    case "crashed":
      return [
        code === "executor_restarted"
          ? "The app's executor was restarted; retry the request"
          : "The app's executor crashed",
        {},
      ];
    default:
      return ["Unexpected outcome", {}];
  }
}

/** The JSON error response for a non-ok outcome. */
export function errorResponse(
  outcome: Outcome,
  requestId: string,
  code = defaultCode(outcome),
  status: number = ERROR_CODES[code].status,
): Response {
  const [message, fields] = describe(outcome, code);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (code === "concurrency_limit" || code === "executor_restarted" || code === "capacity") {
    headers["retry-after"] = "1";
  }
  // The control plane's shape: what was measured sits under `details`.
  const body = { error: { code, message, details: fields, request_id: requestId } };
  return new Response(JSON.stringify(body), { status, headers });
}
