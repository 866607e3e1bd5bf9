/** @module Message shapes exchanged between supervisor, executor child and loader Worker (types only). */

import type { LogLine } from "./types.ts";

/** Supervisor → child: create the Worker `w` for a script version; the frame body is the source. */
export interface LoadMessage {
  t: "load";
  w: number;
  appId: string;
  appSlug: string;
  env: Record<string, string>;
  netAllow: string[];
}

/** Supervisor → child → Worker: run one invocation; the frame body is the request body. */
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
}

/** Supervisor → child: drop the Worker `w`. */
export interface UnloadMessage {
  t: "unload";
  w: number;
}

/** Child → supervisor: the script produced a Response; the frame body is its body. */
export interface ResultMessage {
  t: "result";
  id: number;
  w: number;
  status: number;
  statusText: string;
  headers: [string, string][];
  logs: LogLine[];
}

/** Why an invocation failed inside the Worker. */
export type FailCode = "script_error" | "exit" | "response_too_large";

/** Child → supervisor: the invocation failed inside the Worker. */
export interface FailMessage {
  t: "fail";
  id: number;
  w: number;
  code: FailCode;
  message: string;
  logs: LogLine[];
  producedBytes: number;
}

/** Worker → child: an invocation's result, body transferred as an ArrayBuffer. */
export type WorkerReply =
  | (Omit<ResultMessage, "w"> & { body: ArrayBuffer | null })
  | Omit<FailMessage, "w">;
