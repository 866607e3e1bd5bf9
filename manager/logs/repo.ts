/**
 * @module SQL for reading execution logs: keyset pages (newest first) and rows after a cursor,
 * expanded from the blocks the log writer stores (one per app per batch, migration 0004).
 */
import type { Sql } from "../../common/db.ts";
import {
  decodeLogTuples,
  type StoredLogRow,
  type StoredLogTuple,
  tupleRow,
} from "../../orchestrator/mod.ts";

/** Which rows of one app to read. */
export interface LogFilter {
  appId: string;
  /** A script id or name. */
  script?: string;
  /** An exact status (`404`) or a class (`5` for 5xx). */
  status?: { exact: number } | { class: number };
  /** What started the invocations. */
  trigger?: "http" | "cron" | "execute";
  /** How the invocations ended (`ok`, `timeout`, `memory`, …). */
  outcome?: string;
  since?: Date;
  until?: Date;
}

/** One execution log row as the API returns it: a stored row with its id and script version. */
export interface LogEntry extends StoredLogRow {
  id: string;
  version: number | null;
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stored block as read: its first row id, row count and encoded rows. */
interface BlockRow {
  first_id: string;
  n: number;
  codec: number;
  rows: Uint8Array;
}

/** Blocks fetched per query: the first query reads few (a page is usually in the newest one). */
const FIRST_BLOCKS = 2;
const MAX_BLOCKS = 64;
/** Queries per read at most; with the doubling above that covers millions of blocks. */
const MAX_QUERIES = 10_000;

/** A row predicate for the filter; null when no row can match (an unknown script name). */
async function rowTest(
  sql: Sql,
  f: LogFilter,
): Promise<((r: StoredLogTuple) => boolean) | null> {
  let scripts: Set<string> | undefined;
  if (f.script !== undefined) {
    if (uuidRe.test(f.script)) scripts = new Set([f.script.toLowerCase()]);
    else {
      const ids = await sql<{ id: string }[]>`
        select id from scripts where app_id = ${f.appId} and name = ${f.script}`;
      if (ids.length === 0) return null;
      scripts = new Set(ids.map((r) => r.id));
    }
  }
  const st = f.status;
  const [lo, hi] = st === undefined
    ? [-Infinity, Infinity]
    : "exact" in st
    ? [st.exact, st.exact]
    : [st.class * 100, st.class * 100 + 99];
  const since = f.since?.getTime() ?? -Infinity;
  const until = f.until?.getTime() ?? Infinity;
  return (t) =>
    (scripts === undefined || (t[0] !== null && scripts.has(t[0]))) &&
    t[7] >= lo && t[7] <= hi && t[14] >= since && t[14] < until &&
    (f.trigger === undefined || t[2] === f.trigger) &&
    (f.outcome === undefined || t[8] === f.outcome);
}

/** Block-level bounds: only blocks whose time span overlaps the filter's are read. */
function blockWhere(sql: Sql, f: LogFilter) {
  return sql`app_id = ${f.appId}
    and ${f.since ? sql`max_at >= ${f.since}` : sql`true`}
    and ${f.until ? sql`min_at < ${f.until}` : sql`true`}`;
}

/** Adds each row's version number, in one query for the page. */
async function withVersions(sql: Sql, rows: (StoredLogRow & { id: string })[]) {
  const ids = [...new Set(rows.map((r) => r.script_version_id).filter((v) => v !== null))];
  const versions = new Map<string, number>();
  if (ids.length > 0) {
    const found = await sql<{ id: string; version: number }[]>`
      select id, version from script_versions where id = any(${ids}::uuid[])`;
    for (const v of found) versions.set(v.id, v.version);
  }
  return rows.map((r): LogEntry => ({
    id: r.id,
    at: r.at,
    trigger: r.trigger,
    request_id: r.request_id,
    script_id: r.script_id,
    script_version_id: r.script_version_id,
    version: r.script_version_id === null ? null : versions.get(r.script_version_id) ?? null,
    method: r.method,
    path: r.path,
    host: r.host,
    status: r.status,
    outcome: r.outcome,
    duration_ms: r.duration_ms,
    cpu_ms: r.cpu_ms,
    memory_mb: r.memory_mb,
    error: r.error,
    logs: r.logs,
  }));
}

/**
 * Newest first, strictly older than `beforeId` when given. Blocks are read newest first on
 * (app_id, first_id), a few per query and then more, and decoded one by one until the page is
 * full, so a page decodes the blocks it shows and the ones its filters skip, not the whole app.
 */
export async function listLogs(
  sql: Sql,
  f: LogFilter,
  page: { limit: number; beforeId?: string },
): Promise<LogEntry[]> {
  const test = await rowTest(sql, f);
  if (!test) return [];
  const before = page.beforeId === undefined ? undefined : BigInt(page.beforeId);
  const out: (StoredLogRow & { id: string })[] = [];
  let below = before;
  let count = FIRST_BLOCKS;
  for (let q = 0; q < MAX_QUERIES && out.length < page.limit; q++) {
    const blocks = await sql<BlockRow[]>`
      select first_id::text, n, codec, rows from execution_log_blocks b
      where ${blockWhere(sql, f)}
        and ${below === undefined ? sql`true` : sql`first_id < ${below.toString()}::bigint`}
      order by b.first_id desc limit ${count}`;
    for (const b of blocks) {
      const first = BigInt(b.first_id);
      const tuples = decodeLogTuples(b.codec, b.rows);
      for (let i = tuples.length - 1; i >= 0 && out.length < page.limit; i--) {
        const id = first + BigInt(i);
        if (before !== undefined && id >= before) continue;
        if (test(tuples[i])) out.push({ id: id.toString(), ...tupleRow(tuples[i]) });
      }
      if (out.length >= page.limit) break;
    }
    if (blocks.length < count) break;
    below = BigInt(blocks[blocks.length - 1].first_id);
    count = Math.min(count * 2, MAX_BLOCKS);
  }
  return await withVersions(sql, out);
}

/** Oldest first, strictly newer than `afterId` (live tails). */
export async function logsAfter(
  sql: Sql,
  f: LogFilter,
  afterId: string,
  limit: number,
): Promise<LogEntry[]> {
  const test = await rowTest(sql, f);
  if (!test) return [];
  const after = BigInt(afterId);
  const out: (StoredLogRow & { id: string })[] = [];
  // The newest block starting at or before `afterId` may hold newer rows; later blocks all do.
  let from: bigint | undefined;
  let count = FIRST_BLOCKS;
  for (let q = 0; q < MAX_QUERIES && out.length < limit; q++) {
    const blocks = await sql<BlockRow[]>`
      select first_id::text, n, codec, rows from execution_log_blocks b
      where ${blockWhere(sql, f)} and ${
      from === undefined
        ? sql`first_id >= coalesce((select max(first_id) from execution_log_blocks
            where app_id = ${f.appId} and first_id <= ${afterId}::bigint), 0)`
        : sql`first_id > ${from.toString()}::bigint`
    }
      order by b.first_id limit ${count}`;
    for (const b of blocks) {
      const first = BigInt(b.first_id);
      if (first + BigInt(b.n) - 1n <= after) continue;
      const tuples = decodeLogTuples(b.codec, b.rows);
      for (let i = 0; i < tuples.length && out.length < limit; i++) {
        const id = first + BigInt(i);
        if (id > after && test(tuples[i])) out.push({ id: id.toString(), ...tupleRow(tuples[i]) });
      }
      if (out.length >= limit) break;
    }
    if (blocks.length < count) break;
    from = BigInt(blocks[blocks.length - 1].first_id);
    count = Math.min(count * 2, MAX_BLOCKS);
  }
  return await withVersions(sql, out);
}

/** The newest row id of an app ("0" when it has none). */
export async function latestLogId(sql: Sql, appId: string): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    select (first_id + n - 1)::text as id from execution_log_blocks where app_id = ${appId}
    order by first_id desc limit 1`;
  return row?.id ?? "0";
}

/** When the row `id` of an app happened, or null when it is not stored (any more). */
async function logTime(sql: Sql, appId: string, id: string): Promise<Date | null> {
  const [b] = await sql<BlockRow[]>`
    select first_id::text, n, codec, rows from execution_log_blocks b
    where app_id = ${appId} and first_id <= ${id}::bigint
    order by b.first_id desc limit 1`;
  if (!b) return null;
  const i = Number(BigInt(id) - BigInt(b.first_id));
  if (i >= b.n) return null;
  return new Date(decodeLogTuples(b.codec, b.rows)[i][14]);
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
  const toAt = w.toId === undefined ? undefined : await logTime(sql, appId, w.toId);
  return [
    ...await sql<LogGapEntry[]>`
      select id::text, dropped::float8 as dropped, first_at, last_at from execution_log_gaps g
      where g.app_id = ${appId}
        and ${w.from ? sql`g.last_at >= ${w.from}` : sql`true`}
        and ${w.to ? sql`g.first_at <= ${w.to}` : sql`true`}
        and ${toAt ? sql`g.first_at <= ${toAt}` : sql`true`}
      order by g.last_at desc, g.id desc limit ${w.limit}`,
  ];
}

/** What the statistics need of one row. */
export interface LogSample {
  /** Epoch ms. */
  at: number;
  status: number;
  outcome: string;
  duration_ms: number;
}

/** The rows of a time window as samples, with the newest rows that count as errors in full. */
export interface LogWindow {
  samples: LogSample[];
  /** Newest first, at most `errors` of them. */
  errors: LogEntry[];
  /** True when the window held more than `maxRows` rows: the oldest were not read. */
  truncated: boolean;
}

/**
 * The rows of an app in `[since, until)`, newest first, at most `maxRows`, and the `errors`
 * newest by time of those `isError` picks. The blocks are stored
 * deflated, so the database cannot aggregate them: they are decoded here, newest first, a few
 * per query as in `listLogs`.
 */
export async function readLogWindow(
  sql: Sql,
  appId: string,
  w: {
    since: Date;
    until: Date;
    maxRows: number;
    errors: number;
    isError: (s: LogSample) => boolean;
  },
): Promise<LogWindow> {
  const test = (await rowTest(sql, { appId, since: w.since, until: w.until }))!;
  const samples: LogSample[] = [];
  const errors: (StoredLogRow & { id: string })[] = [];
  let below: bigint | undefined;
  let count = FIRST_BLOCKS;
  let truncated = false;
  for (let q = 0; q < MAX_QUERIES && !truncated; q++) {
    const blocks = await sql<BlockRow[]>`
      select first_id::text, n, codec, rows from execution_log_blocks b
      where ${blockWhere(sql, { appId, since: w.since, until: w.until })}
        and ${below === undefined ? sql`true` : sql`first_id < ${below.toString()}::bigint`}
      order by b.first_id desc limit ${count}`;
    for (const b of blocks) {
      const first = BigInt(b.first_id);
      const tuples = decodeLogTuples(b.codec, b.rows);
      for (let i = tuples.length - 1; i >= 0; i--) {
        const t = tuples[i];
        if (!test(t)) continue;
        if (samples.length >= w.maxRows) {
          truncated = true;
          break;
        }
        const s = { at: t[14], status: t[7], outcome: t[8], duration_ms: t[9] };
        samples.push(s);
        if (w.errors > 0 && w.isError(s)) {
          errors.push({ id: (first + BigInt(i)).toString(), ...tupleRow(t) });
          // Ids follow write order, not time (a slow request is written late): keep the newest.
          if (errors.length > 2 * w.errors) newestFirst(errors).length = w.errors;
        }
      }
      if (truncated) break;
    }
    if (blocks.length < count) break;
    below = BigInt(blocks[blocks.length - 1].first_id);
    count = Math.min(count * 2, MAX_BLOCKS);
  }
  const newest = newestFirst(errors).slice(0, w.errors);
  return { samples, errors: await withVersions(sql, newest), truncated };
}

/** Sorts rows newest first by time, then by id; in place. */
function newestFirst<T extends { at: Date; id: string }>(rows: T[]): T[] {
  return rows.sort((a, b) =>
    b.at.getTime() - a.at.getTime() || (BigInt(b.id) > BigInt(a.id) ? 1 : -1)
  );
}
