/** @module Batches execution log rows and writes them off the request's critical path. */
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { LogFeed } from "./log_feed.ts";
import {
  deleteLogsOlderThan,
  type ExecutionLogRow,
  insertExecutionLogs,
  trimAppLogs,
} from "./repo.ts";

/** How long and how many execution log rows are kept. */
export interface LogRetention {
  /** Rows older than this are deleted. */
  maxAgeMs: number;
  /** Each app keeps at most this many newest rows. */
  maxRowsPerApp: number;
  /** Retention runs at most this often (per app for the count), and only after writes. */
  everyMs: number;
}

/** Options of the log writer; units in the names. */
export interface LogWriterOptions {
  /** Longest time a row waits before it is written. */
  flushMs: number;
  /** Rows that trigger an immediate write. */
  batchSize: number;
  /** Rows kept in memory at most while the database is slow; older rows are dropped and counted. */
  maxPending?: number;
  log: Logger;
  /** Told about apps with new rows after each write (live tails). */
  feed?: LogFeed;
  /** Applied after writes, never on a timer, so an idle platform does no work. */
  retention?: LogRetention;
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
    writing = insertExecutionLogs(sql, batch)
      .then(async () => {
        const apps = new Set(batch.map((r) => r.app_id));
        await opts.feed?.publish(apps);
        await retain(apps);
      })
      .catch((err) => {
        opts.log.error("execution log batch failed", { rows: batch.length, err });
      }).finally(() => writing = undefined);
    await writing;
  };

  let lastAgeSweep = 0;
  const lastTrim = new Map<string, number>();
  const retain = async (apps: Set<string>) => {
    const r = opts.retention;
    if (!r) return;
    const now = Date.now();
    if (now - lastAgeSweep >= r.everyMs) {
      lastAgeSweep = now;
      await deleteLogsOlderThan(sql, r.maxAgeMs);
    }
    for (const app of apps) {
      if (now - (lastTrim.get(app) ?? 0) < r.everyMs) continue;
      lastTrim.set(app, now);
      await trimAppLogs(sql, app, r.maxRowsPerApp);
    }
    if (lastTrim.size > 10_000) lastTrim.clear();
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
