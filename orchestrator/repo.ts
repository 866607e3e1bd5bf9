/** @module SQL of the data plane: the routing snapshot, script sources, and execution log inserts. */
import type { Sql } from "../common/db.ts";

/** Everything the data plane needs to route a request, loaded in one go. */
export interface RoutingData {
  apps: { id: string; slug: string }[];
  claims: { appId: string; pattern: string }[];
  routes: {
    id: string;
    appId: string;
    scriptId: string;
    method: string;
    path: string;
    host: string | null;
  }[];
  scripts: StoredScriptRow[];
}

/** A script as stored: its secrets still sealed (name → `v1:…`), to be opened by routing. */
export interface StoredScriptRow extends ScriptRow {
  secrets: Record<string, string>;
}

/** A script as the data plane sees it: which version is live, its vars and secrets, its policy. */
export interface ScriptRow {
  id: string;
  appId: string;
  name: string;
  activeVersionId: string | null;
  env: Record<string, string>;
  policy: ScriptPolicy;
}

/** Per-script policy stored as JSON; every field optional (platform defaults apply). */
export interface ScriptPolicy {
  timeoutMs?: number;
  memoryLimitMb?: number;
  maxBodyBytes?: number;
  maxConcurrency?: number;
  allowedHosts?: string[];
}

/** Loads the routing snapshot in one repeatable-read transaction so its parts agree. */
export async function loadRoutingData(sql: Sql): Promise<RoutingData> {
  return await sql.begin("isolation level repeatable read read only", async (tx) => {
    const apps = await tx<RoutingData["apps"]>`select id, slug from apps`;
    const claims = await tx<RoutingData["claims"]>`
      select app_id as "appId", pattern from app_domains`;
    const routes = await tx<RoutingData["routes"]>`
      select id, app_id as "appId", script_id as "scriptId", method, path, host from routes`;
    const scripts = await tx<StoredScriptRow[]>`
      select id, app_id as "appId", name, active_version_id as "activeVersionId", env, secrets,
        policy
      from scripts`;
    return { apps: [...apps], claims: [...claims], routes: [...routes], scripts: [...scripts] };
  });
}

/** The immutable source of one script version, or null if it is gone. */
export async function loadVersionSource(sql: Sql, versionId: string): Promise<string | null> {
  const [row] = await sql<{ source: string }[]>`
    select source from script_versions where id = ${versionId}`;
  return row?.source ?? null;
}

/** One execution log entry as written. */
export interface ExecutionLogRow {
  app_id: string;
  script_id: string | null;
  script_version_id: string | null;
  trigger: "http" | "cron" | "execute";
  request_id: string;
  method: string | null;
  path: string | null;
  host: string | null;
  status: number;
  outcome: string;
  duration_ms: number;
  cpu_ms: number | null;
  memory_mb: number | null;
  logs: unknown;
  error: unknown;
  at: Date;
}

/**
 * Serializes a batch for {@link insertExecutionLogs}. PostgreSQL's `jsonb` refuses `\u0000` and
 * lone surrogates, which scripts may log: such a batch is re-serialized with those characters
 * replaced by U+FFFD, so one odd line never loses a whole batch. The check is one scan of the text.
 */
export function batchJson(rows: readonly unknown[]): string {
  const text = JSON.stringify(rows);
  if (!text.includes("\\u0000") && !/\\u[dD][89a-fA-F]/.test(text)) return text;
  return JSON.stringify(
    rows,
    (_k, v) => typeof v === "string" ? v.replaceAll("\0", "\ufffd").toWellFormed() : v,
  );
}

/**
 * Inserts a batch of execution log rows in one statement and returns how many were written. The
 * whole batch travels as ONE text parameter (`JSON.stringify` of the rows, native and cheap) that
 * PostgreSQL expands with `jsonb_to_recordset`: measured cheaper per row than sixteen typed
 * arrays through `unnest` (bench/log_path.ts), on PGlite and PostgreSQL alike. Rows whose app was
 * deleted meanwhile are dropped by the semi-join instead of failing the whole batch; ids follow
 * the batch's order.
 */
export async function insertExecutionLogs(
  sql: Sql,
  rows: readonly ExecutionLogRow[],
  json: string = batchJson(rows),
): Promise<number> {
  if (rows.length === 0) return 0;
  // `::text` first: a parameter typed json would be JSON-encoded again by the driver.
  const result = await sql`
    insert into execution_logs (app_id, script_id, script_version_id, trigger, request_id,
      method, path, host, status, outcome, duration_ms, cpu_ms, memory_mb, logs, error, at)
    select r.app_id, r.script_id, r.script_version_id, r.trigger, r.request_id, r.method, r.path,
      r.host, r.status, r.outcome, r.duration_ms, r.cpu_ms, r.memory_mb,
      coalesce(r.logs, '[]'), r.error, r.at
    from rows from (jsonb_to_recordset(${json}::text::jsonb) as (app_id uuid, script_id uuid,
      script_version_id uuid, trigger text, request_id text, method text, path text, host text,
      status int, outcome text, duration_ms int, cpu_ms int, memory_mb int, logs jsonb,
      error jsonb, at timestamptz)) with ordinality as r(app_id, script_id, script_version_id,
      trigger, request_id, method, path, host, status, outcome, duration_ms, cpu_ms, memory_mb,
      logs, error, at, ord)
    where r.app_id in (select id from apps)
    order by r.ord`;
  return result.count;
}

/**
 * The previous insert form (sixteen typed arrays through `unnest`), kept only as the baseline
 * that bench/log_path.ts measures against {@link insertExecutionLogs} in the same run.
 */
export async function insertExecutionLogsUnnest(
  sql: Sql,
  rows: readonly ExecutionLogRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(f: (r: ExecutionLogRow) => T) => rows.map(f);
  const json = (v: unknown) => v === null || v === undefined ? null : JSON.stringify(v);
  const result = await sql`
    insert into execution_logs (app_id, script_id, script_version_id, trigger, request_id,
      method, path, host, status, outcome, duration_ms, cpu_ms, memory_mb, logs, error, at)
    select v.app_id, v.script_id, v.script_version_id, v.trigger, v.request_id, v.method, v.path,
      v.host, v.status, v.outcome, v.duration_ms, v.cpu_ms, v.memory_mb,
      coalesce(v.logs::jsonb, '[]'), v.error::jsonb, v.at
    from unnest(
      ${col((r) => r.app_id)}::uuid[], ${col((r) => r.script_id)}::uuid[],
      ${col((r) => r.script_version_id)}::uuid[], ${col((r) => r.trigger)}::text[],
      ${col((r) => r.request_id)}::text[], ${col((r) => r.method)}::text[],
      ${col((r) => r.path)}::text[], ${col((r) => r.host)}::text[],
      ${col((r) => r.status)}::int[], ${col((r) => r.outcome)}::text[],
      ${col((r) => r.duration_ms)}::int[], ${col((r) => r.cpu_ms)}::int[],
      ${col((r) => r.memory_mb)}::int[], ${col((r) => json(r.logs))}::text[],
      ${col((r) => json(r.error))}::text[], ${col((r) => r.at.toISOString())}::timestamptz[]
    ) with ordinality as v(app_id, script_id, script_version_id, trigger, request_id, method,
      path, host, status, outcome, duration_ms, cpu_ms, memory_mb, logs, error, at, ord)
    join apps on apps.id = v.app_id
    order by v.ord`;
  return result.count;
}

/** Execution log rows of one app that were not written: how many, and the span of their times. */
export interface LogGap {
  app_id: string;
  dropped: number;
  first_at: Date;
  last_at: Date;
}

/**
 * Records dropped rows as gap markers, one statement for all apps. A gap that begins within
 * `mergeMs` of the app's latest marker extends it, so a long overload reads as one
 * "N rows dropped between T1 and T2" rather than a marker per write. Gaps of deleted apps are
 * ignored. Returns how many markers were inserted (not extended).
 */
export async function recordLogGaps(
  sql: Sql,
  gaps: readonly LogGap[],
  opts: { mergeMs: number },
): Promise<number> {
  if (gaps.length === 0) return 0;
  const result = await sql`
    with g as (
      select * from jsonb_to_recordset(${JSON.stringify(gaps)}::text::jsonb)
        as g(app_id uuid, dropped bigint, first_at timestamptz, last_at timestamptz)
      where g.app_id in (select id from apps)
    ), latest as (
      select distinct on (x.app_id) x.id, x.app_id from execution_log_gaps x
      join g on g.app_id = x.app_id
        and x.last_at >= g.first_at - make_interval(secs => ${opts.mergeMs / 1000})
      order by x.app_id, x.id desc
    ), extended as (
      update execution_log_gaps t
      set dropped = t.dropped + g.dropped, first_at = least(t.first_at, g.first_at),
        last_at = greatest(t.last_at, g.last_at)
      from latest, g where t.id = latest.id and g.app_id = latest.app_id
      returning t.app_id
    )
    insert into execution_log_gaps (app_id, dropped, first_at, last_at)
    select g.app_id, g.dropped, g.first_at, g.last_at from g
    where g.app_id not in (select app_id from extended)`;
  return result.count;
}

/** Deletes execution log rows and gap markers older than `maxAgeMs`; returns how many rows went. */
export async function deleteLogsOlderThan(sql: Sql, maxAgeMs: number): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${maxAgeMs / 1000})`;
  const rows = await sql`delete from execution_logs where at < ${cutoff}`;
  await sql`delete from execution_log_gaps where last_at < ${cutoff}`;
  return rows.count;
}

/** Keeps the newest `maxRows` execution log rows of one app; returns how many went. */
export async function trimAppLogs(sql: Sql, appId: string, maxRows: number): Promise<number> {
  const rows = await sql`
    delete from execution_logs
    where app_id = ${appId} and id <= (
      select id from execution_logs where app_id = ${appId}
      order by id desc offset ${maxRows} limit 1)`;
  return rows.count;
}
