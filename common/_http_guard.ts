/**
 * @module Pure pieces of the HTTP listener's guard: the connection cap derived from the open-files
 * limit, the request-authority check, and the fixed answers for refused and malformed requests.
 */

import { invalidHostResponse as invalidHost } from "./errors.ts";

/** File descriptors kept free for the database, executor sockets, Workers and files. */
export const FD_RESERVE = 256;
/** Upper bound of the derived connection cap, whatever the open-files limit. */
export const MAX_CONNECTIONS_CEILING = 10_000;
/** Lower bound of the derived connection cap, so a tiny limit still serves. */
export const MAX_CONNECTIONS_FLOOR = 8;

/**
 * The default connection cap for an open-files soft limit (`Infinity` when unlimited, null when
 * unknown: 1024 assumed): half the limit, at least `FD_RESERVE` descriptors left over, at most
 * `MAX_CONNECTIONS_CEILING`.
 */
export function defaultMaxConnections(softLimit: number | null): number {
  const soft = softLimit ?? 1024;
  if (!Number.isFinite(soft)) return MAX_CONNECTIONS_CEILING;
  const cap = Math.min(Math.floor(soft / 2), soft - FD_RESERVE, MAX_CONNECTIONS_CEILING);
  return Math.max(MAX_CONNECTIONS_FLOOR, cap);
}

/** Parses the "Max open files" soft limit out of `/proc/<pid>/limits` text; null if absent. */
export function parseOpenFilesSoftLimit(limits: string): number | null {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (!m) return null;
  if (m[1] === "unlimited") return Infinity;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** The process's open-files soft limit (after Deno raised it at start-up); null if unreadable. */
export function readOpenFilesSoftLimit(): number | null {
  try {
    return parseOpenFilesSoftLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch {
    return null;
  }
}

// reg-name (RFC 3986 unreserved + sub-delims, and UTF-8 names the URL parser maps to punycode) or
// a bracketed IPv6 literal, then an optional port. No `%`, `@`, space, control or `[` in names.
const AUTHORITY =
  /^(?:[A-Za-z0-9._~!$&'()*+,;=\-\u0080-\uffff]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/**
 * Whether the authority of `url` (as Deno builds it from the Host header or an absolute-form
 * target) is a well-formed host with a port in 1–65535: `a b`, `[::1`, `%00`, `a:99999`, `u@h`
 * and an empty host are not.
 */
export function hasValidAuthority(url: string): boolean {
  const start = url.indexOf("://");
  if (start < 0) return false;
  let end = start + 3;
  while (end < url.length) {
    const c = url.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  const m = AUTHORITY.exec(url.slice(start + 3, end));
  if (m === null) return false;
  return m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
}

const JSON_HEADERS = { "content-type": "application/json", connection: "close" };

/** 400 `invalid_host` for a request whose Host (or absolute target) is malformed; closes. */
export function invalidHostResponse(): Response {
  const res = invalidHost();
  res.headers.set("connection", "close");
  return res;
}

/** 500 `internal` for a handler that threw: logged by the listener, never leaked. */
export function internalErrorResponse(): Response {
  return new Response(
    '{"error":{"code":"internal","message":"Internal server error"}}',
    { status: 500, headers: JSON_HEADERS },
  );
}

/** Raw bytes written to a connection refused at the cap, before closing it. */
export function refusalBytes(retryAfterS: number): Uint8Array {
  const body =
    `{"error":{"code":"too_many_connections","message":"The server is at its connection limit"}}`;
  return new TextEncoder().encode(
    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n" +
      `retry-after: ${retryAfterS}\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n` +
      body,
  );
}
