/** @module Validation of what an executor child reports (it is not trusted). */

import type { LogLine } from "./types.ts";

const MAX_LOG_LINES = 200;
const MAX_LOG_CHARS = 2_001;
const LEVELS = new Set(["debug", "info", "log", "warn", "error"]);

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
