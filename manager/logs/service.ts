/**
 * @module The logs service: an app's execution logs as keyset pages, and the live tail's reads —
 * who may open it, the rows after a cursor, and whether its caller may still follow. Needs app
 * viewer. The front door streams the tail; no HTTP here.
 */
import { findApp } from "../apps/repo.ts";
import { appFor } from "../apps/service.ts";
import { can, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import {
  latestLogId,
  listLogGaps,
  listLogs,
  type LogEntry,
  type LogFilter,
  type LogGapEntry,
  logsAfter,
  readLogWindow,
} from "./repo.ts";
import { bucketStats, isErrorSample, type StatsBucket } from "./stats.ts";

type Deps = Pick<ManagerDeps, "sql">;

/** Which rows to read, as validated: a status (`404`) or class (`5xx`), times, a page. */
export interface LogQuery {
  script?: string;
  status?: string;
  trigger?: "http" | "cron" | "execute";
  outcome?: string;
  since?: Date;
  until?: Date;
  limit: number;
  /** The `next_cursor` of the previous page. */
  cursor?: string;
}

/** Which limit stopped an invocation, with the measured usage. */
export interface LimitHit {
  name: string;
  limit: number;
  used: number;
}

/** A log row as answered: with the limit that stopped it, if one did. */
export type LogView = LogEntry & { limit: LimitHit | null };

/** One page, newest first, with the gaps overlapping its time span. */
export interface LogPage {
  items: LogView[];
  next_cursor: string | null;
  gaps: LogGapEntry[];
}

/** A page of the app's log, newest first. */
export async function readLogs(
  deps: Deps,
  p: Principal,
  ref: string,
  q: LogQuery,
): Promise<LogPage> {
  const app = await appFor(deps, p, ref, "logs.read");
  const filter = filterOf(app.id, q);
  const rows = await listLogs(deps.sql, filter, { limit: q.limit, beforeId: q.cursor });
  const full = rows.length === q.limit;
  // The page spans from its oldest entry (or, on the last page, from `since`) up to the entry
  // before it (the cursor) or, on the first page, to `until`: gaps overlapping that span.
  const gaps = await listLogGaps(deps.sql, app.id, {
    from: full ? rows[rows.length - 1].at : q.since,
    to: q.until,
    toId: q.cursor,
    limit: 100,
  });
  return {
    items: rows.map(present),
    next_cursor: full ? rows[rows.length - 1].id : null,
    gaps,
  };
}

/** Rows read at most for one statistics window (the oldest beyond are left out, and said so). */
export const STATS_MAX_ROWS = 200_000;

/** An app's requests per time bucket over a window, and its most recent errors. */
export interface AppStats {
  since: Date;
  until: Date;
  bucket_ms: number;
  /** Oldest first; every bucket of the window, empty ones included. */
  buckets: StatsBucket[];
  /** Totals over the window. */
  requests: number;
  errors: number;
  /** The newest invocations that answered 5xx or ended abnormally, newest first. */
  recent_errors: LogView[];
  /** The window held more than {@link STATS_MAX_ROWS} rows: its oldest are not counted. */
  truncated: boolean;
}

/**
 * Per-minute (by default) counts, errors and p50/p95 latency of the app's invocations since
 * `since` (default: the last hour), with its 10 newest errors. Needs app viewer, as the logs.
 */
export async function appStats(
  deps: Deps,
  p: Principal,
  ref: string,
  o: { since?: Date; now?: Date; bucketMs?: number; recentErrors?: number } = {},
): Promise<AppStats> {
  const app = await appFor(deps, p, ref, "logs.read");
  const bucketMs = o.bucketMs ?? 60_000;
  const now = o.now ?? new Date();
  // Whole buckets, the last one holding now.
  const until = new Date(Math.floor(now.getTime() / bucketMs) * bucketMs + bucketMs);
  const wanted = o.since ?? new Date(now.getTime() - 3_600_000);
  const count = Math.max(
    1,
    Math.min(1440, Math.floor((until.getTime() - wanted.getTime()) / bucketMs)),
  );
  const since = new Date(until.getTime() - count * bucketMs);
  const w = await readLogWindow(deps.sql, app.id, {
    since,
    until,
    maxRows: STATS_MAX_ROWS,
    errors: o.recentErrors ?? 10,
    isError: isErrorSample,
  });
  const buckets = bucketStats(w.samples, { since, bucketMs, buckets: count });
  return {
    since,
    until,
    bucket_ms: bucketMs,
    buckets,
    requests: buckets.reduce((n, b) => n + b.requests, 0),
    errors: buckets.reduce((n, b) => n + b.errors, 0),
    recent_errors: w.errors.map(present),
    truncated: w.truncated,
  };
}

/** A live tail opened for a caller: what the front door reads while it streams. */
export interface LogTail {
  /** The app whose log feed wakes the tail. */
  appId: string;
  /** The id of the app's newest row now: the tail sends the rows after it. */
  start(): Promise<string>;
  /** Up to `limit` matching rows after `lastId`, oldest first. */
  after(lastId: string, limit: number): Promise<LogView[]>;
  /**
   * Whether the caller would still be let in: its credential alive (as `reauthenticate` finds
   * it), still a viewer of the app, the app not deleted.
   */
  stillAllowed(): Promise<boolean>;
}

/** Opens a tail of the app's log for `p`, who must be allowed to read it now. */
export async function openLogTail(
  deps: Deps,
  p: Principal,
  ref: string,
  q: Omit<LogQuery, "limit" | "cursor"> & { reauthenticate: () => Promise<Principal | null> },
): Promise<LogTail> {
  const app = await appFor(deps, p, ref, "logs.read");
  const filter = filterOf(app.id, q);
  return {
    appId: app.id,
    start: () => latestLogId(deps.sql, app.id),
    after: async (lastId, limit) => (await logsAfter(deps.sql, filter, lastId, limit)).map(present),
    stillAllowed: async () => {
      const now = await q.reauthenticate();
      if (!now || !can(now, "logs.read", { appId: app.id })) return false;
      return (await findApp(deps.sql, app.id)) !== null;
    },
  };
}

function filterOf(appId: string, q: Omit<LogQuery, "limit" | "cursor">): LogFilter {
  return {
    appId,
    script: q.script,
    status: q.status === undefined
      ? undefined
      : q.status.endsWith("xx")
      ? { class: Number(q.status[0]) }
      : { exact: Number(q.status) },
    trigger: q.trigger,
    outcome: q.outcome,
    since: q.since,
    until: q.until,
  };
}

/** Adds which limit stopped the invocation and the measured usage, read from its outcome. */
function present(row: LogEntry): LogView {
  return { ...row, limit: limitOf(row.error) };
}

/** Which limit an invocation's error (its outcome) reports hitting, with the usage; null if none. */
export function limitOf(error: Record<string, unknown> | null): LimitHit | null {
  const n = (v: unknown) => typeof v === "number" ? v : 0;
  switch (error?.kind) {
    case "timeout":
      return { name: "timeoutMs", limit: n(error.limitMs), used: n(error.elapsedMs) };
    case "memory":
      return { name: "memoryLimitMb", limit: n(error.limitMb), used: n(error.usedMb) };
    case "body_too_large":
      return { name: "maxBodyBytes", limit: n(error.limitBytes), used: n(error.receivedBytes) };
    case "response_too_large":
      return { name: "maxBodyBytes", limit: n(error.limitBytes), used: n(error.producedBytes) };
    case "concurrency":
      return { name: "maxConcurrency", limit: n(error.limit), used: n(error.inFlight) };
    case "capacity":
      return { name: "maxExecutors", limit: n(error.maxExecutors), used: n(error.queueLength) };
    default:
      return null;
  }
}
