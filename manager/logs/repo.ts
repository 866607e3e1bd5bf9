/** @module SQL for reading execution logs: keyset pages (newest first) and rows after a cursor. */
import type { Sql } from "../../common/db.ts";

/** Which rows of one app to read. */
export interface LogFilter {
  appId: string;
  /** A script id or name. */
  script?: string;
  /** An exact status (`404`) or a class (`5` for 5xx). */
  status?: { exact: number } | { class: number };
  since?: Date;
  until?: Date;
}

/** One execution log row as the API returns it. */
export interface LogEntry {
  id: string;
  at: Date;
  trigger: "http" | "cron" | "execute";
  request_id: string;
  script_id: string | null;
  script_version_id: string | null;
  version: number | null;
  method: string | null;
  path: string | null;
  host: string | null;
  status: number;
  outcome: string;
  duration_ms: number;
  cpu_ms: number | null;
  memory_mb: number | null;
  error: Record<string, unknown> | null;
  logs: unknown[];
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function where(sql: Sql, f: LogFilter) {
  const script = f.script === undefined
    ? sql`true`
    : uuidRe.test(f.script)
    ? sql`l.script_id = ${f.script}`
    : sql`l.script_id in (select id from scripts where app_id = ${f.appId} and name = ${f.script})`;
  const status = f.status === undefined
    ? sql`true`
    : "exact" in f.status
    ? sql`l.status = ${f.status.exact}`
    : sql`l.status between ${f.status.class * 100} and ${f.status.class * 100 + 99}`;
  return sql`l.app_id = ${f.appId} and ${script} and ${status}
    and ${f.since ? sql`l.at >= ${f.since}` : sql`true`}
    and ${f.until ? sql`l.at < ${f.until}` : sql`true`}`;
}

const columns = (sql: Sql) =>
  sql`l.id::text, l.at, l.trigger, l.request_id, l.script_id, l.script_version_id,
    v.version, l.method, l.path, l.host, l.status, l.outcome, l.duration_ms, l.cpu_ms,
    l.memory_mb, l.error, l.logs`;

/** Newest first, strictly older than `beforeId` when given. */
export async function listLogs(
  sql: Sql,
  f: LogFilter,
  page: { limit: number; beforeId?: string },
): Promise<LogEntry[]> {
  return [
    ...await sql<LogEntry[]>`
      select ${columns(sql)} from execution_logs l
      left join script_versions v on v.id = l.script_version_id
      where ${where(sql, f)}
        and ${page.beforeId ? sql`l.id < ${page.beforeId}::bigint` : sql`true`}
      order by l.id desc limit ${page.limit}`,
  ];
}

/** Oldest first, strictly newer than `afterId` (live tails). */
export async function logsAfter(
  sql: Sql,
  f: LogFilter,
  afterId: string,
  limit: number,
): Promise<LogEntry[]> {
  return [
    ...await sql<LogEntry[]>`
      select ${columns(sql)} from execution_logs l
      left join script_versions v on v.id = l.script_version_id
      where ${where(sql, f)} and l.id > ${afterId}::bigint
      order by l.id limit ${limit}`,
  ];
}

/** The newest row id of an app ("0" when it has none). */
export async function latestLogId(sql: Sql, appId: string): Promise<string> {
  const [row] = await sql<{ id: string | null }[]>`
    select max(id)::text as id from execution_logs where app_id = ${appId}`;
  return row?.id ?? "0";
}

/** Execution log rows of an app that were never written, as one marker. */
export interface LogGapEntry {
  id: string;
  dropped: number;
  first_at: Date;
  last_at: Date;
}

/**
 * Gap markers of an app whose span overlaps `[from, to]` (either end open when absent), newest
 * first; `toId` closes the window at the time of that log row (the previous page's last entry).
 */
export async function listLogGaps(
  sql: Sql,
  appId: string,
  w: { from?: Date; to?: Date; toId?: string; limit: number },
): Promise<LogGapEntry[]> {
  return [
    ...await sql<LogGapEntry[]>`
      select id::text, dropped::float8 as dropped, first_at, last_at from execution_log_gaps g
      where g.app_id = ${appId}
        and ${w.from ? sql`g.last_at >= ${w.from}` : sql`true`}
        and ${w.to ? sql`g.first_at <= ${w.to}` : sql`true`}
        and ${
      w.toId
        ? sql`g.first_at <= coalesce(
            (select at from execution_logs where id = ${w.toId}::bigint), 'infinity')`
        : sql`true`
    }
      order by g.last_at desc, g.id desc limit ${w.limit}`,
  ];
}
