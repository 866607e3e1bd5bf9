/** @module SQL of the data plane: the routing snapshot, script sources, and execution log inserts. */
import { deflateRawSync } from "node:zlib";
import { Buffer } from "node:buffer";
import type { Sql } from "../common/db.ts";
import {
  decodeLogTuples,
  encodeLogBlock,
  LogCodec,
  type StoredLogRow,
  tupleJson,
  tupleRow,
} from "./log_block.ts";

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

/**
 * What one script version runs (its bundle, else its source) and its entry file name (null:
 * `main.ts`), or null if it is gone.
 */
export async function loadVersionCode(
  sql: Sql,
  versionId: string,
): Promise<{ source: string; entry: string | null } | null> {
  const [row] = await sql<{ source: string; entry: string | null }[]>`
    select coalesce(bundle, source) as source, entry from script_versions where id = ${versionId}`;
  return row ?? null;
}

/** A version's compact source map (JSON text), or null when it runs its source as uploaded. */
export async function loadVersionMap(sql: Sql, versionId: string): Promise<string | null> {
  const [row] = await sql<{ map: string | null }[]>`
    select bundle_map as map from script_versions where id = ${versionId}`;
  return row?.map ?? null;
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

/** A batch cut into one block per app, as {@link insertLogBlocks} sends it. */
export interface LogBlocks {
  /** Per block, in order of each app's first row in the batch. */
  appIds: string[];
  counts: number[];
  minAt: string[];
  maxAt: string[];
  /** The blocks' bytes in base64, joined by "\n" (which base64 never holds). */
  text: string;
  /** How the bytes are encoded: deflated unless asked otherwise (the bench's comparison). */
  codec: number;
}

/**
 * Cuts a batch into one encoded block per app, keeping each app's rows in order. A row without a
 * valid `at` is stamped with the current time (in place), so a block's time span covers its rows.
 */
export function logBlocks(
  rows: readonly ExecutionLogRow[],
  opts: { codec?: number } = {},
): LogBlocks {
  const codec = opts.codec ?? LogCodec.deflate;
  const now = Date.now();
  const groups = new Map<string, ExecutionLogRow[]>();
  for (const row of rows) {
    const t = row.at instanceof Date ? row.at.getTime() : NaN;
    if (!Number.isFinite(t)) row.at = new Date(now);
    const g = groups.get(row.app_id);
    if (g) g.push(row);
    else groups.set(row.app_id, [row]);
  }
  const out: LogBlocks = { appIds: [], counts: [], minAt: [], maxAt: [], text: "", codec };
  const texts: string[] = [];
  for (const [appId, g] of groups) {
    let min = Infinity;
    let max = -Infinity;
    for (const row of g) {
      const t = row.at.getTime();
      if (t < min) min = t;
      if (t > max) max = t;
    }
    out.appIds.push(appId);
    out.counts.push(g.length);
    out.minAt.push(new Date(min).toISOString());
    out.maxAt.push(new Date(max).toISOString());
    const bytes = codec === LogCodec.deflate ? encodeLogBlock(g) : Buffer.from(tupleJson(g));
    texts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"));
  }
  out.text = texts.join("\n");
  return out;
}

/**
 * Blocks encoded from consecutive slices of one batch, as one {@link LogBlocks}: an app's rows
 * then span several blocks, in order (ids are allocated by block order).
 */
export function mergeLogBlocks(parts: readonly LogBlocks[]): LogBlocks {
  if (parts.length === 1) return parts[0];
  const out: LogBlocks = {
    appIds: [],
    counts: [],
    minAt: [],
    maxAt: [],
    text: parts.map((p) => p.text).join("\n"),
    codec: parts[0]?.codec ?? LogCodec.deflate,
  };
  for (const p of parts) {
    if (p.codec !== out.codec) throw new Error("Log blocks of one statement share their codec");
    out.appIds.push(...p.appIds);
    out.counts.push(...p.counts);
    out.minAt.push(...p.minAt);
    out.maxAt.push(...p.maxAt);
  }
  return out;
}

/**
 * Writes a batch as one block per app (see log_block.ts) and returns how many rows were written.
 * Embedded PGlite's CPU goes to the bytes it is sent (~20 ns each) and a fixed cost per
 * statement, not to its tuples (bench/log_path.ts): a deflated block carries ~50-70 bytes per
 * row in one tuple. The rows' ids are allocated by one update of `execution_log_ids` (a block
 * holds `first_id .. first_id + n - 1`, in order); its row lock is held to commit, so ids become
 * visible in order even with several writers. Blocks of apps deleted meanwhile are left out
 * instead of failing the batch.
 */
export async function insertLogBlocks(
  sql: Sql,
  rows: readonly ExecutionLogRow[],
  blocks: LogBlocks = logBlocks(rows),
): Promise<number> {
  if (rows.length === 0) return 0;
  const written = await sql<{ n: number }[]>`
    with g as (
      select g.*, t.rows from unnest(${blocks.appIds}::uuid[], ${blocks.counts}::int[],
        ${blocks.minAt}::timestamptz[], ${blocks.maxAt}::timestamptz[])
        with ordinality as g(app_id, n, min_at, max_at, ord)
      join string_to_table(${blocks.text}, chr(10)) with ordinality as t(rows, ord)
        on t.ord = g.ord
      where g.app_id in (select id from apps)
    ), alloc as (
      update execution_log_ids set last_id = last_id + (select coalesce(sum(n), 0) from g)
      returning last_id - (select coalesce(sum(n), 0) from g) as base
    )
    insert into execution_log_blocks (app_id, first_id, n, min_at, max_at, codec, rows)
    select g.app_id, alloc.base + sum(g.n) over (order by g.ord) - g.n + 1, g.n, g.min_at,
      g.max_at, ${blocks.codec}, decode(g.rows, 'base64')
    from g, alloc
    returning n`;
  let n = 0;
  for (const b of written) n += b.n;
  return n;
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

/**
 * Deletes execution log blocks whose rows are all older than `maxAgeMs`, and such gap markers;
 * returns how many rows went. A block is one batch (rows of a flush interval), so a row outlives
 * the cutoff at most by the time spread of its batch.
 */
export async function deleteLogsOlderThan(sql: Sql, maxAgeMs: number): Promise<number> {
  const cutoff = sql`now() - make_interval(secs => ${maxAgeMs / 1000})`;
  const [{ n }] = await sql<{ n: number }[]>`
    with d as (delete from execution_log_blocks where max_at < ${cutoff} returning n)
    select coalesce(sum(n), 0)::float8 as n from d`;
  await sql`delete from execution_log_gaps where last_at < ${cutoff}`;
  return n;
}

/**
 * Keeps the newest `maxRows` execution log rows of one app; returns how many went. Blocks wholly
 * older than the newest `maxRows` rows are deleted (read without their rows); the one block
 * holding the cut keeps its newest rows: it is re-encoded without its first rows and its
 * `first_id` advances by as many, so every kept row keeps its id. One transaction, the cut block
 * locked, so a concurrent trim of the same app finds it already cut.
 */
export async function trimAppLogs(sql: Sql, appId: string, maxRows: number): Promise<number> {
  return await sql.begin(async (tx) => {
    const [gone] = await tx<{ n: number }[]>`
      with k as (
        select first_id, n, sum(n) over (order by first_id desc) as upto
        from execution_log_blocks where app_id = ${appId}
      ), d as (
        delete from execution_log_blocks b using k
        where b.app_id = ${appId} and b.first_id = k.first_id and k.upto - k.n >= ${maxRows}
        returning b.n
      )
      select coalesce(sum(n), 0)::float8 as n from d`;
    const [cut] = await tx<
      { first_id: string; n: number; codec: number; rows: Uint8Array; upto: number }[]
    >`
      select b.first_id::text, b.n, b.codec, b.rows, k.upto::float8 as upto
      from execution_log_blocks b join (
        select first_id, n, sum(n) over (order by first_id desc) as upto
        from execution_log_blocks where app_id = ${appId}) k on k.first_id = b.first_id
      where b.app_id = ${appId} and k.upto > ${maxRows} and k.upto - k.n < ${maxRows}
      for update of b`;
    if (!cut) return gone.n;
    const drop = cut.upto - maxRows;
    const kept = decodeLogTuples(cut.codec, cut.rows).slice(drop);
    let min = Infinity;
    for (const t of kept) if (t[14] < min) min = t[14];
    const bytes = Buffer.from(deflateRawSync(JSON.stringify(kept), { level: 1 }));
    await tx`
      update execution_log_blocks
      set first_id = first_id + ${drop}, n = ${kept.length}, min_at = ${new Date(min)},
        codec = ${LogCodec.deflate}, rows = ${bytes}
      where app_id = ${appId} and first_id = ${cut.first_id}::bigint`;
    return gone.n + drop;
  });
}

/**
 * Every stored execution log row (of one app, or all), oldest first, decoded: for tests and
 * operators' checks; bounded by `limit` (default 100 000). The API reads through
 * manager/logs/repo.ts, which decodes only the blocks a page needs.
 */
export async function readExecutionLogs(
  sql: Sql,
  opts: { appId?: string; limit?: number } = {},
): Promise<(StoredLogRow & { id: string; app_id: string })[]> {
  const limit = opts.limit ?? 100_000;
  const blocks = await sql<
    { app_id: string; first_id: string; codec: number; rows: Uint8Array }[]
  >`
    select app_id, first_id::text, codec, rows from execution_log_blocks b
    where ${opts.appId ? sql`app_id = ${opts.appId}` : sql`true`}
    order by b.first_id limit ${limit}`;
  const out: (StoredLogRow & { id: string; app_id: string })[] = [];
  for (const b of blocks) {
    const first = BigInt(b.first_id);
    const tuples = decodeLogTuples(b.codec, b.rows);
    for (let i = 0; i < tuples.length && out.length < limit; i++) {
      out.push({ id: (first + BigInt(i)).toString(), app_id: b.app_id, ...tupleRow(tuples[i]) });
    }
  }
  return out;
}

/** The newest applied migration (0 before any): readiness compares it with the code's. */
export async function appliedSchemaVersion(sql: Sql): Promise<number> {
  const [{ v }] = await sql<{ v: number }[]>`
    select coalesce(max(version), 0)::int as v from schema_migrations`;
  return v;
}
