/**
 * @module Batches execution log rows and writes them off the request's critical path, within a
 * memory bound by rows and bytes; rows it cannot keep are counted per app and recorded as gaps.
 */
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { LogFeed } from "./log_feed.ts";
import {
  deleteLogsOlderThan,
  type ExecutionLogRow,
  insertLogBlocks,
  type LogBlocks,
  logBlocks,
  type LogGap,
  mergeLogBlocks,
  recordLogGaps,
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
  /** Most rows in one statement when a backlog built up during a write (default 2000). */
  maxBatchRows?: number;
  /** Rows held at most (queued and being written); beyond, new rows are dropped and counted. */
  maxPendingRows?: number;
  /** Estimated bytes held at most (see {@link estimateRowBytes}); default 32 MiB. */
  maxPendingBytes?: number;
  /** Dropped rows of an app within this long of its last gap marker extend it (default 60 s). */
  gapMergeMs?: number;
  log: Logger;
  /** Told about apps with new rows after each write (live tails). */
  feed?: LogFeed;
  /** Applied after writes, never on a timer, so an idle platform does no work. */
  retention?: LogRetention;
}

/** What the writer has done since it started: for /metrics and tests. */
export interface LogWriterStats {
  /** Rows handed to `push`. */
  pushed: number;
  /** Rows the database accepted. */
  written: number;
  /** Rows not written: buffer full, failed write, or pushed after close. Each is in a gap. */
  dropped: number;
  /** Rows whose app was deleted before they were written (discarded on purpose). */
  discarded: number;
  /** Rows held now (queued and being written), and their estimated bytes. */
  pending: number;
  pendingBytes: number;
  /** Insert statements run, and how many of them failed. */
  batches: number;
  failedBatches: number;
  /** Dropped rows whose gap marker is not stored yet, and the apps they belong to. */
  unrecordedDrops: number;
  /** The last write or gap error, if any. */
  lastError: { at: Date; message: string } | null;
}

/** Accepts rows synchronously; writes them in batches. */
export interface LogWriter {
  /** Queues a row; O(1) and never blocks. A row that does not fit is dropped and counted. */
  push(row: ExecutionLogRow): void;
  /**
   * Queues a row that is still being finished (its stack frames mapped): `flush` and `close`
   * wait for it, so it counts as pushed now.
   */
  pushLater(row: Promise<ExecutionLogRow>): void;
  /** Resolves once every row pushed before the call is written or counted as dropped. */
  flush(): Promise<void>;
  /** Flushes and stops accepting rows. */
  close(): Promise<void>;
  /** Rows dropped so far (same as `stats().dropped`). */
  readonly dropped: number;
  /** Counters and current occupancy. */
  stats(): LogWriterStats;
}

/** Bytes a row is reckoned to hold: fixed overhead plus its strings and log lines. */
export function estimateRowBytes(row: ExecutionLogRow): number {
  let n = 320 + (row.path?.length ?? 0) + (row.host?.length ?? 0) + row.request_id.length;
  if (Array.isArray(row.logs)) {
    // At most 200 lines (sanitizeLogs), so this stays a bounded, cheap loop.
    for (const line of row.logs) {
      const m = (line as { message?: unknown })?.message;
      n += 64 + (typeof m === "string" ? m.length : 0);
    }
  }
  if (row.error !== null && row.error !== undefined) n += 256;
  return n;
}

interface Waiter {
  target: number;
  promise: Promise<void>;
  resolve: () => void;
}

/**
 * Most rows encoded in one turn. A batch of 2,000 rows took 4-9 ms to encode at once, a stall
 * every request waiting behind it paid (thread_profile, 6k req/s); a slice takes ~1 ms. Each
 * slice is a block per app of its own, which costs the database nothing it would notice.
 */
export const ENCODE_SLICE_ROWS = 256;

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A batch's blocks, encoded {@link ENCODE_SLICE_ROWS} rows per turn. */
async function encodeInSlices(batch: readonly ExecutionLogRow[]): Promise<LogBlocks> {
  const parts: LogBlocks[] = [];
  for (let i = 0; i < batch.length; i += ENCODE_SLICE_ROWS) {
    if (i > 0) await nextTurn();
    parts.push(logBlocks(batch.slice(i, i + ENCODE_SLICE_ROWS)));
  }
  return mergeLogBlocks(parts);
}

/**
 * Creates a writer. One write loop runs at a time; it takes up to `maxBatchRows` per statement,
 * so a backlog drains in large batches. A timer is armed only while rows are pending and no write
 * runs, so an idle platform does no work. Flush callers of one moment share one promise.
 */
export function createLogWriter(sql: Sql, opts: LogWriterOptions): LogWriter {
  const maxBatchRows = Math.max(opts.batchSize, opts.maxBatchRows ?? 2_000);
  const maxRows = opts.maxPendingRows ?? 10_000;
  const maxBytes = opts.maxPendingBytes ?? 32 * 1024 * 1024;
  const mergeMs = opts.gapMergeMs ?? 60_000;
  const s: LogWriterStats = {
    pushed: 0,
    written: 0,
    dropped: 0,
    discarded: 0,
    pending: 0,
    pendingBytes: 0,
    batches: 0,
    failedBatches: 0,
    unrecordedDrops: 0,
    lastError: null,
  };
  let queue: ExecutionLogRow[] = [];
  let queueBytes: number[] = [];
  /** Rows accepted so far, and rows finished (written, discarded or dropped by a failed write). */
  let accepted = 0;
  /** Rows still being finished (`pushLater`), which `flush` and `close` wait for. */
  const later = new Set<Promise<void>>();
  const settleLater = async () => {
    while (later.size > 0) await Promise.all([...later]);
  };
  let finished = 0;
  const waiters: Waiter[] = [];
  const drops = new Map<string, LogGap>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let loop: Promise<void> | undefined;
  let closed = false;

  const drop = (row: ExecutionLogRow) => {
    s.dropped++;
    s.unrecordedDrops++;
    const at = row.at instanceof Date ? row.at : new Date();
    const gap = drops.get(row.app_id);
    if (!gap) drops.set(row.app_id, { app_id: row.app_id, dropped: 1, first_at: at, last_at: at });
    else {
      gap.dropped++;
      if (at < gap.first_at) gap.first_at = at;
      if (at > gap.last_at) gap.last_at = at;
    }
  };

  const fail = (what: string, err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    s.lastError = { at: new Date(), message };
    opts.log.error(what, { err: message });
  };

  /** Resolves flush callers whose rows are all finished (after the gap markers were tried). */
  const settle = () => {
    while (waiters.length > 0 && waiters[0].target <= finished) waiters.shift()!.resolve();
  };

  const writeBatch = async () => {
    const n = Math.min(queue.length, maxBatchRows);
    const batch = n === queue.length ? queue : queue.slice(0, n);
    const sizes = n === queue.length ? queueBytes : queueBytes.slice(0, n);
    queue = n === queue.length ? [] : queue.slice(n);
    queueBytes = n === queueBytes.length ? [] : queueBytes.slice(n);
    s.batches++;
    try {
      // Encoded a slice per turn, inserted on a later turn: requests waiting meanwhile are served
      // between these synchronous pieces instead of after all of them (the embedded database
      // runs on this thread).
      const blocks = await encodeInSlices(batch);
      await nextTurn();
      const written = await insertLogBlocks(sql, batch, blocks);
      s.written += written;
      s.discarded += batch.length - written;
      if (written > 0 && opts.feed) await opts.feed.publish(new Set(batch.map((r) => r.app_id)));
    } catch (err) {
      s.failedBatches++;
      for (const row of batch) drop(row);
      fail("execution log batch failed; its rows are counted as dropped", err);
    }
    for (const b of sizes) s.pendingBytes -= b;
    s.pending -= batch.length;
    finished += batch.length;
  };

  const writeGaps = async () => {
    const gaps = [...drops.values()];
    const count = s.unrecordedDrops;
    drops.clear();
    s.unrecordedDrops = 0;
    try {
      await recordLogGaps(sql, gaps, { mergeMs });
    } catch (err) {
      // Kept for the next write: the counts survive until the database takes them.
      for (const g of gaps) {
        const cur = drops.get(g.app_id);
        if (!cur) drops.set(g.app_id, g);
        else {
          cur.dropped += g.dropped;
          if (g.first_at < cur.first_at) cur.first_at = g.first_at;
          if (g.last_at > cur.last_at) cur.last_at = g.last_at;
        }
      }
      s.unrecordedDrops += count;
      fail("execution log gap marker failed", err);
    }
  };

  /** Rows up to this accepted count are due now (a flush, the timer, or close asked for them). */
  let due = 0;
  const run = async () => {
    // Continue at once only with a full batch or rows that are due: a small remainder waits for
    // the timer, so a low request rate is still batched.
    while (queue.length > 0 && (queue.length >= opts.batchSize || finished < due)) {
      await writeBatch();
      if (drops.size > 0) await writeGaps();
      settle();
      await retain().catch((err) => fail("execution log retention failed", err));
    }
    if (drops.size > 0) await writeGaps();
    settle();
  };

  const kick = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (loop) return;
    loop = run().finally(() => {
      loop = undefined;
      if (queue.length >= opts.batchSize || finished < due || waiters.length > 0) kick();
      else if (queue.length > 0) arm();
    });
  };

  const arm = () => {
    if (timer !== undefined || loop !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      due = accepted;
      kick();
    }, opts.flushMs);
  };

  let lastAgeSweep = 0;
  const lastTrim = new Map<string, number>();
  /** Apps with rows since their last trim; each is trimmed at most every `everyMs`. */
  const untrimmed = new Set<string>();
  const retain = async () => {
    const r = opts.retention;
    if (!r) return;
    const now = Date.now();
    if (now - lastAgeSweep >= r.everyMs) {
      lastAgeSweep = now;
      await deleteLogsOlderThan(sql, r.maxAgeMs);
    }
    for (const app of untrimmed) {
      if (now - (lastTrim.get(app) ?? 0) < r.everyMs) continue;
      lastTrim.set(app, now);
      untrimmed.delete(app);
      await trimAppLogs(sql, app, r.maxRowsPerApp);
    }
    if (lastTrim.size > 10_000) lastTrim.clear();
  };

  const waitFor = (target: number): Promise<void> => {
    due = Math.max(due, target);
    if (finished >= target && drops.size === 0) return Promise.resolve();
    const last = waiters[waiters.length - 1];
    if (last && last.target === target) return last.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => resolve = r);
    waiters.push({ target, promise, resolve });
    kick();
    return promise;
  };

  return {
    push(row) {
      s.pushed++;
      if (closed) {
        drop(row);
        return;
      }
      const bytes = estimateRowBytes(row);
      if (s.pending >= maxRows || s.pendingBytes + bytes > maxBytes) {
        drop(row);
        if (loop === undefined) arm();
        return;
      }
      queue.push(row);
      queueBytes.push(bytes);
      s.pending++;
      s.pendingBytes += bytes;
      accepted++;
      if (opts.retention) untrimmed.add(row.app_id);
      if (queue.length >= opts.batchSize) kick();
      else arm();
    },
    pushLater(row) {
      const done: Promise<void> = row.then((r) => this.push(r), () => {}).finally(() =>
        later.delete(done)
      );
      later.add(done);
    },
    flush() {
      // With nothing being finished, one moment's flushes share one promise.
      if (later.size === 0) return waitFor(accepted);
      return settleLater().then(() => waitFor(accepted));
    },
    async close() {
      await settleLater();
      closed = true;
      await waitFor(accepted);
      while (loop) await loop;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    get dropped() {
      return s.dropped;
    },
    stats() {
      return { ...s };
    },
  };
}
