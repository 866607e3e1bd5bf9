/**
 * @module What one invocation on an executor is on the trusted side: the invoke frame's header,
 * the sink that receives the executor's frames for it, and how it ends if no reply comes.
 */

import type { InvokeMessage } from "./_protocol.ts";
import type { Outcome } from "./types.ts";

/** How an invocation that never got a reply ended, with the HTTP error code to answer. */
export interface Death {
  outcome: Outcome;
  code: "memory_limit" | "executor_restarted" | "executor_crashed";
}

/**
 * Receives what the executor sends for one invocation: `result`, `head`, `chunk`, `end`, `fail`,
 * `credit` and `ack` frames (`cpuUs` on the final ones: result, end, fail), or its death.
 */
export interface InvocationSink {
  onFrame(header: Record<string, unknown>, body: Uint8Array | null, cpuUs: number | null): void;
  onDeath(death: Death): void;
}

/**
 * The invoke frame's header, without what the loader does not read or can default (every byte
 * is encoded, written, read and parsed once per request).
 */
export function invokeHeader(
  id: number,
  msg: Omit<InvokeMessage, "t" | "id">,
): Record<string, unknown> {
  const header: Record<string, unknown> = {
    t: "invoke",
    id,
    kind: msg.kind,
    method: msg.method,
    url: msg.url,
    headers: msg.headers,
    requestId: msg.requestId,
    remoteAddr: msg.remoteAddr,
    maxBodyBytes: msg.maxBodyBytes,
  };
  for (const _ in msg.params) {
    header.params = msg.params;
    break;
  }
  if (msg.stream) header.stream = true;
  if (msg.kind === "scheduled") {
    header.cron = msg.cron;
    header.scheduledTime = msg.scheduledTime;
  }
  return header;
}
