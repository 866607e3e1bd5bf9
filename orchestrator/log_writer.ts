/** @module Batches execution log rows and writes them off the request's critical path. */
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import { type ExecutionLogRow, insertExecutionLogs } from "./repo.ts";

/** Options of the log writer; units in the names. */
export interface LogWriterOptions {
  /** Longest time a row waits before it is written. */
  flushMs: number;
  /** Rows that trigger an immediate write. */
  batchSize: number;
  /** Rows kept in memory at most while the database is slow; older rows are dropped and counted. */
  maxPending?: number;
  log: Logger;
}

/** Accepts rows synchronously; writes them in batches. */
export interface LogWriter {
  push(row: ExecutionLogRow): void;
  /** Writes everything pending now. */
  flush(): Promise<void>;
  /** Flushes and stops accepting rows. */
  close(): Promise<void>;
  /** Rows dropped because the buffer was full. */
  readonly dropped: number;
}

/**
 * Creates a writer. A timer is armed only while rows are pending, so an idle platform does no
 * work; writes never overlap, and a failed batch is logged rather than retried forever.
 */
export function createLogWriter(sql: Sql, opts: LogWriterOptions): LogWriter {
  const maxPending = opts.maxPending ?? 10_000;
  let pending: ExecutionLogRow[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> | undefined;
  let dropped = 0;
  let closed = false;

  const write = async (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (writing) await writing;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    writing = insertExecutionLogs(sql, batch).catch((err) => {
      opts.log.error("execution log batch failed", { rows: batch.length, err });
    }).finally(() => writing = undefined);
    await writing;
  };

  const schedule = () => {
    if (pending.length >= opts.batchSize) void write();
    else if (timer === undefined) timer = setTimeout(() => void write(), opts.flushMs);
  };

  return {
    push(row) {
      if (closed) return;
      if (pending.length >= maxPending) {
        pending.shift();
        dropped++;
      }
      pending.push(row);
      schedule();
    },
    flush: write,
    async close() {
      closed = true;
      await write();
    },
    get dropped() {
      return dropped;
    },
  };
}
