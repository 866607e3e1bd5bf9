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
} from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql">;

/** Which rows to read, as validated: a status (`404`) or class (`5xx`), times, a page. */
export interface LogQuery {
  script?: string;
  status?: string;
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
