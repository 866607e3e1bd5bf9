/**
 * @module The stored form of a block of execution log rows: one app's rows of one written batch as
 * a JSON array of positional tuples, deflated. Pure encode and decode, shared by the writer and
 * the readers, so the layout is defined in exactly one place.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { ExecutionLogRow } from "./repo.ts";

/** How a block's bytes are stored: the codec column of `execution_log_blocks`. */
export const LogCodec = {
  /** UTF-8 JSON text (blocks made by migration 0004 from the former per-row table). */
  json: 0,
  /** Raw deflate of the UTF-8 JSON text: what the writer stores. */
  deflate: 1,
} as const;

/**
 * One stored row, positional (the block holds the app id, the position gives the row id):
 * script_id, script_version_id, trigger, request_id, method, path, host, status, outcome,
 * duration_ms, cpu_ms, memory_mb, logs, error, at (epoch ms). Tuples instead of objects make the
 * text about half as long and let `JSON.stringify` stay on its fast path (a `Date` leaves it).
 */
export type StoredLogTuple = [
  script_id: string | null,
  script_version_id: string | null,
  trigger: ExecutionLogRow["trigger"],
  request_id: string,
  method: string | null,
  path: string | null,
  host: string | null,
  status: number,
  outcome: string,
  duration_ms: number,
  cpu_ms: number | null,
  memory_mb: number | null,
  logs: unknown,
  error: unknown,
  at_ms: number,
];

/**
 * A decoded stored row, as the log readers return it: the written row without its app (the block
 * has it), with the JSON columns typed as read back (the id and version are added by readers).
 */
export type StoredLogRow = Omit<ExecutionLogRow, "app_id" | "logs" | "error"> & {
  error: Record<string, unknown> | null;
  logs: unknown[];
};

/**
 * The JSON text of rows as tuples. `\u0000` and lone surrogates, which scripts may log, are
 * replaced by U+FFFD (one scan of the text decides), so what is stored is clean, well-formed
 * text that any JSON reader, PostgreSQL's included, accepts.
 */
export function tupleJson(rows: readonly ExecutionLogRow[]): string {
  const tuples = rows.map((r): StoredLogTuple => [
    r.script_id,
    r.script_version_id,
    r.trigger,
    r.request_id,
    r.method,
    r.path,
    r.host,
    r.status,
    r.outcome,
    r.duration_ms,
    r.cpu_ms,
    r.memory_mb,
    r.logs ?? [],
    r.error ?? null,
    r.at.getTime(),
  ]);
  const text = JSON.stringify(tuples);
  if (!text.includes("\\u0000") && !/\\u[dD][89a-fA-F]/.test(text)) return text;
  return JSON.stringify(
    tuples,
    (_k, v) => typeof v === "string" ? v.replaceAll("\0", "\ufffd").toWellFormed() : v,
  );
}

/**
 * Encodes rows as a deflated block ({@link LogCodec.deflate}). Level 1: on this kind of text it
 * already shrinks ~5x, for ~1 µs of CPU per row (bench/log_path.ts); the bytes that reach the
 * database, not its tuples, are what embedded PGlite pays for.
 */
export function encodeLogBlock(rows: readonly ExecutionLogRow[]): Uint8Array {
  return deflateRawSync(tupleJson(rows), { level: 1 });
}

/** The tuples of a stored block; throws on a codec this code does not know. */
export function decodeLogTuples(codec: number, bytes: Uint8Array): StoredLogTuple[] {
  let raw: Uint8Array;
  if (codec === LogCodec.deflate) raw = inflateRawSync(bytes);
  else if (codec === LogCodec.json) raw = bytes;
  else throw new Error(`Unknown execution log block codec ${codec}`);
  return JSON.parse(new TextDecoder().decode(raw));
}

/** One tuple as a row object. */
export function tupleRow(t: StoredLogTuple): StoredLogRow {
  const error = t[13];
  return {
    at: new Date(t[14]),
    trigger: t[2],
    request_id: t[3],
    script_id: t[0],
    script_version_id: t[1],
    method: t[4],
    path: t[5],
    host: t[6],
    status: t[7],
    outcome: t[8],
    duration_ms: t[9],
    cpu_ms: t[10],
    memory_mb: t[11],
    error: error !== null && typeof error === "object" ? error as Record<string, unknown> : null,
    logs: Array.isArray(t[12]) ? t[12] : [],
  };
}
