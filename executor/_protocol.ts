/** @module Message shapes exchanged between supervisor, executor child and loader Worker (types only), and the flow-control constants they share. */

import type { LogLine } from "./types.ts";

/** Largest body chunk in one frame or message, in bytes; bigger chunks are split. */
export const CHUNK_BYTES = 64 * 1024;
/** Bytes of a body that may be in flight towards a reader that has not yet consumed them. */
export const WINDOW_BYTES = 256 * 1024;
/** A response body whose chunks are all ready at once and fit this is sent in one reply. */
export const INLINE_BYTES = 64 * 1024;

/** Supervisor → child: create the Worker `w` for a script version; the frame body is the source. */
export interface LoadMessage {
  t: "load";
  w: number;
  appId: string;
  appSlug: string;
  env: Record<string, string>;
  netAllow: string[];
  /** The version's entry file name, shown in stack traces. */
  entry?: string;
  /** The token the Worker presents when it connects to the supervisor's link port. */
  link?: string;
}

/**
 * Supervisor → child → Worker: run one invocation. With `stream`, the request body follows in
 * `chunk` frames and an `end` (or `abort`). (A frame body as the whole request body is read too;
 * only the loader's own warm-up uses it.)
 */
export interface InvokeMessage {
  t: "invoke";
  id: number;
  w: number;
  /** `check` only loads the module and verifies it exports a handler (deploy-time check). */
  kind: "fetch" | "scheduled" | "check";
  method: string;
  url: string;
  headers: [string, string][];
  /** Route and host parameters; left out when there are none. */
  params?: Record<string, string>;
  requestId: string;
  remoteAddr: { transport: "tcp"; hostname: string; port: number };
  maxBodyBytes: number;
  /** Only for `scheduled`. */
  cron?: string;
  scheduledTime?: number;
  /** Left out when false. */
  stream?: boolean;
}

/** Supervisor → child: drop the Worker `w`. */
export interface UnloadMessage {
  t: "unload";
  w: number;
}

/**
 * Per-invocation messages after `invoke`, both ways (frames carry `w` as well):
 * - `chunk`: a piece of a body (request body towards the Worker, response body back); frame body.
 * - `end`: the body is complete. Back from the Worker it also ends the invocation (`logs`).
 * - `abort` (towards the Worker): the request body failed (`code`: a limit, the client, the time).
 * - `cancel` (towards the Worker): stop the invocation: its `request.signal` aborts; answered by `ack`.
 * - `credit`: the reader consumed `bytes` more of the body the other side sends.
 * - `head` (from the Worker): status and headers of a response whose body follows in chunks.
 * - `done` (from the Worker): the invocation's `ctx.waitUntil` work settled, with the lines it
 *   logged. It follows a `result`, `end` or `fail` marked `wait` (sent while that work was
 *   pending); a `cancel` then is answered by an `ack` carrying the lines logged so far.
 */
export type StreamMessage =
  | { t: "chunk"; id: number }
  | { t: "end"; id: number; logs?: LogLine[]; wait?: boolean }
  | { t: "done"; id: number; logs: LogLine[] }
  | { t: "abort"; id: number; code: string; message: string }
  | { t: "cancel"; id: number; reason: "timeout" | "client_closed" | "limit" }
  | { t: "credit"; id: number; bytes: number }
  | { t: "ack"; id: number; logs?: LogLine[] }
  | { t: "head"; id: number; status: number; statusText: string; headers: [string, string][] };

/** Child → supervisor: the script produced a Response; the frame body is its whole body. */
export interface ResultMessage {
  t: "result";
  id: number;
  w: number;
  status: number;
  statusText: string;
  headers: [string, string][];
  logs: LogLine[];
  /** Set when its `ctx.waitUntil` work is still pending: a `done` follows. */
  wait?: boolean;
}

/** Why an invocation failed inside the Worker. */
export type FailCode = "script_error" | "exit" | "response_too_large";

/** Child → supervisor: the invocation failed inside the Worker (before or while streaming). */
export interface FailMessage {
  t: "fail";
  id: number;
  w: number;
  code: FailCode;
  message: string;
  logs: LogLine[];
  producedBytes: number;
  /** Set when its `ctx.waitUntil` work is still pending: a `done` follows. */
  wait?: boolean;
}

/** Worker → child: one message of a batch; `body` is a chunk or a whole response body. */
export type WorkerOut =
  & (
    | Omit<ResultMessage, "w">
    | Omit<FailMessage, "w">
    | StreamMessage
    | { t: "bg"; pending: boolean }
    | { t: "hello"; token: string }
  )
  & { body?: Uint8Array | null };

/** Child → Worker: one message of a batch (invoke or per-invocation), with its body if any. */
export type WorkerIn = (InvokeMessage | StreamMessage) & { body?: Uint8Array | null };

/**
 * Frame layout, the same on the socket and between the executor child and its Workers:
 * a 16-byte prefix (header length, body length, Worker id, kind; big-endian u32 each), the header
 * as JSON, then the raw body. The child routes `KIND_CALL` frames by Worker id without parsing
 * them, and stamps the id on what a Worker sends (a Worker cannot answer for another).
 */
export const PREFIX_BYTES = 16;
/** A frame of one invocation (or a Worker's `bg`): carried on that Worker's link. */
export const KIND_CALL = 0;
/** A frame for the child itself (`load`, `unload`, `ready`, `thread`). */
export const KIND_CONTROL = 1;

const frameEncoder = new TextEncoder();

/**
 * A `Headers`' pairs (names lower-case, in its iteration order): what frames carry. `forEach`
 * walks the list once (~0.7 µs for a few headers); spreading the iterator costs ~4 µs.
 */
export function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => {
    pairs.push([name, value]);
  });
  return pairs;
}

/**
 * Writes one frame's prefix and header (`json`, already stringified) into `buf` at `at`; the
 * caller made room for `PREFIX_BYTES + json.length * 3` bytes (UTF-8 takes at most 3 bytes per
 * UTF-16 unit). Returns the frame's length without its body, which the caller places after it.
 */
export function putFrameHead(
  buf: Uint8Array,
  view: DataView,
  at: number,
  json: string,
  bodyLength: number,
  w: number,
  kind: number,
): number {
  const { written } = frameEncoder.encodeInto(json, buf.subarray(at + PREFIX_BYTES));
  view.setUint32(at, written);
  view.setUint32(at + 4, bodyLength);
  view.setUint32(at + 8, w);
  view.setUint32(at + 12, kind);
  return PREFIX_BYTES + written;
}

/**
 * Encodes messages (header + optional body) as consecutive frames in one buffer: one allocation
 * per batch (written to the link as it is), each body copied once.
 */
export function encodeBatch(
  msgs: { header: Record<string, unknown>; body?: Uint8Array | null }[],
): Uint8Array<ArrayBuffer> {
  const jsons: string[] = [];
  let most = 0;
  for (const { header, body } of msgs) {
    const json = JSON.stringify(header);
    jsons.push(json);
    most += PREFIX_BYTES + json.length * 3 + (body?.byteLength ?? 0);
  }
  const out = new Uint8Array(most);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < msgs.length; i++) {
    const body = msgs[i].body;
    const bodyLength = body?.byteLength ?? 0;
    at += putFrameHead(out, view, at, jsons[i], bodyLength, 0, KIND_CALL);
    if (bodyLength > 0) {
      out.set(body!, at);
      at += bodyLength;
    }
  }
  return out.subarray(0, at);
}

/** The parts joined into one new buffer (`total`: their summed length, if already known). */
export function concatBytes(parts: readonly Uint8Array[], total = -1): Uint8Array<ArrayBuffer> {
  if (total < 0) {
    total = 0;
    for (const part of parts) total += part.byteLength;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
