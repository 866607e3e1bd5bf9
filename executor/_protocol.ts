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
}

/**
 * Supervisor → child → Worker: run one invocation. The frame body, if any, is the whole request
 * body; with `stream` the body follows in `chunk` frames and an `end` (or `abort`).
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
  params: Record<string, string>;
  requestId: string;
  remoteAddr: { transport: "tcp"; hostname: string; port: number };
  trigger: string;
  maxBodyBytes: number;
  cron: string;
  scheduledTime: number;
  stream: boolean;
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
 */
export type StreamMessage =
  | { t: "chunk"; id: number }
  | { t: "end"; id: number; logs?: LogLine[]; usage?: Usage }
  | { t: "abort"; id: number; code: string; message: string }
  | { t: "cancel"; id: number; reason: "timeout" | "client_closed" | "limit" }
  | { t: "credit"; id: number; bytes: number }
  | { t: "ack"; id: number }
  | { t: "head"; id: number; status: number; statusText: string; headers: [string, string][] };

/** What an invocation used, measured in the executor (CPU of the script's thread, shared fairly). */
export interface Usage {
  cpuUs: number;
}

/** Child → supervisor: the script produced a Response; the frame body is its whole body. */
export interface ResultMessage {
  t: "result";
  id: number;
  w: number;
  status: number;
  statusText: string;
  headers: [string, string][];
  logs: LogLine[];
  usage?: Usage;
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
  usage?: Usage;
}

/** Worker → child: one message of a batch; `body` is a chunk or a whole response body. */
export type WorkerOut =
  & (
    | Omit<ResultMessage, "w">
    | Omit<FailMessage, "w">
    | StreamMessage
    | { t: "bg"; pending: boolean }
  )
  & { body?: Uint8Array | null };

/** Child → Worker: one message of a batch (invoke or per-invocation), with its body if any. */
export type WorkerIn = (InvokeMessage | StreamMessage) & { body?: Uint8Array | null };
