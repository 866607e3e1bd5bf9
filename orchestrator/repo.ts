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
 * Inserts a batch of execution log rows in one statement. Columns travel as typed arrays
 * (`unnest`), 2-3x cheaper per row than a JSON recordset, on PGlite and PostgreSQL alike. Rows
 * whose app was deleted meanwhile are dropped by the join instead of failing the whole batch.
 */
export async function insertExecutionLogs(sql: Sql, rows: ExecutionLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: ExecutionLogRow) => T) => rows.map(f);
  // JSON travels as text[]: typed jsonb[], the driver would JSON-encode each string again.
  const json = (v: unknown) => v === null || v === undefined ? null : JSON.stringify(v);
  await sql`
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
}

/** Deletes execution log rows older than `maxAgeMs`; returns how many went. */
export async function deleteLogsOlderThan(sql: Sql, maxAgeMs: number): Promise<number> {
  const rows = await sql`
    delete from execution_logs where at < now() - make_interval(secs => ${maxAgeMs / 1000})`;
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
