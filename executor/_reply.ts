/** @module Trusted-side body reading and validation of executor replies into `Invocation`s. */

import { errorResponse } from "./_errors.ts";
import type { Reply } from "./supervisor.ts";
import type { Invocation, LogLine, Outcome } from "./types.ts";

const MAX_LOG_LINES = 200;
const MAX_LOG_CHARS = 2_001;
const MAX_ERROR_CHARS = 4_000;
const LEVELS = new Set(["debug", "info", "log", "warn", "error"]);

/** Why reading a request body stopped early. */
export type BodyFailure = { tooLarge: number } | { timedOut: true };

/**
 * Reads a request body, counting bytes and bounded in time (a slow-loris upload must not hold a
 * concurrency slot forever). Returns the bytes, null for no body, or why it stopped.
 */
export async function readBodyCounted(
  req: Request,
  opts: { limitBytes: number; timeoutMs: number },
): Promise<Uint8Array | null | BodyFailure> {
  if (!req.body) return null;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs)
  );
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === "timeout") {
        reader.cancel().catch(() => {});
        return { timedOut: true };
      }
      if (next.done) break;
      total += next.value.byteLength;
      if (total > opts.limitBytes) {
        reader.cancel().catch(() => {});
        return { tooLarge: total };
      }
      chunks.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  if (total === 0) return null;
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** Keeps only well-formed, bounded log lines (the child is not trusted to send them). */
export function sanitizeLogs(value: unknown): LogLine[] {
  if (!Array.isArray(value)) return [];
  const out: LogLine[] = [];
  for (const line of value.slice(0, MAX_LOG_LINES)) {
    if (!line || typeof line !== "object") continue;
    const { level, message, at } = line as Record<string, unknown>;
    if (typeof level !== "string" || !LEVELS.has(level) || typeof message !== "string") continue;
    out.push({
      level: level as LogLine["level"],
      message: message.slice(0, MAX_LOG_CHARS),
      at: typeof at === "number" ? at : Date.now(),
    });
  }
  return out;
}

function buildResponse(reply: Extract<Reply, { t: "result" }>): Response {
  const { status, statusText, headers } = reply.msg;
  const pairs = Array.isArray(headers)
    ? headers.filter((h): h is [string, string] =>
      Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string"
    )
    : [];
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : reply.body as Uint8Array<ArrayBuffer> | null, {
    status,
    statusText: typeof statusText === "string" ? statusText : "",
    headers: pairs,
  });
}

/** Turns a Worker's reply into the Invocation the orchestrator records and sends. */
export function toInvocation(
  reply: Exclude<Reply, { t: "died" }>,
  ctx: { start: number; requestId: string; maxBodyBytes: number },
): Invocation {
  const logs = sanitizeLogs(reply.msg.logs);
  const durationMs = Math.round(performance.now() - ctx.start);
  const failed = (outcome: Outcome, code?: "executor_crashed"): Invocation => ({
    response: errorResponse(outcome, ctx.requestId, code),
    outcome,
    logs,
    durationMs,
  });
  if (reply.t === "fail") {
    const message = String(reply.msg.message).slice(0, MAX_ERROR_CHARS);
    if (reply.msg.code === "exit") {
      return failed({ kind: "crashed", reason: message }, "executor_crashed");
    }
    if (reply.msg.code === "response_too_large") {
      const producedBytes = Number(reply.msg.producedBytes) || ctx.maxBodyBytes + 1;
      return failed({ kind: "response_too_large", limitBytes: ctx.maxBodyBytes, producedBytes });
    }
    return failed({ kind: "rejected", error: message });
  }
  const produced = reply.body?.byteLength ?? 0;
  if (produced > ctx.maxBodyBytes) {
    return failed({
      kind: "response_too_large",
      limitBytes: ctx.maxBodyBytes,
      producedBytes: produced,
    });
  }
  const status = reply.msg.status;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    return failed({ kind: "rejected", error: `Invalid response status ${status}` });
  }
  try {
    return { response: buildResponse(reply), outcome: { kind: "ok" }, logs, durationMs };
  } catch (err) {
    return failed({ kind: "rejected", error: `Invalid response: ${err}` });
  }
}
