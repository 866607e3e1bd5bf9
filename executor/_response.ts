/**
 * @module The Response of an invocation as the executor describes it (status, headers, body),
 * checked: the executor is not trusted to send a valid status or a sane number of headers.
 */

import type { Outcome } from "./types.ts";

/** Response headers kept at most (the executor is not trusted to send a sane number). */
const MAX_HEADERS = 1_000;

/** The Response for a result or head frame, or null if the child sent an invalid one. */
export function responseOf(
  header: Record<string, unknown>,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): Response | null {
  const status = header.status as number;
  if (!Number.isInteger(status) || status < 200 || status > 599) return null;
  const headers = Array.isArray(header.headers)
    ? header.headers.slice(0, MAX_HEADERS).filter((h): h is [string, string] =>
      Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string"
    )
    : [];
  const nullBody = status === 204 || status === 205 || status === 304;
  try {
    return new Response(nullBody ? null : body as BodyInit | null, {
      status,
      statusText: typeof header.statusText === "string" ? header.statusText : "",
      headers,
    });
  } catch {
    return null;
  }
}

/** The outcome of a result or head frame with an invalid status. */
export function invalidResponse(header: Record<string, unknown>): Outcome {
  return { kind: "rejected", error: `Invalid response status ${header.status}` };
}
