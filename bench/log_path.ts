/**
 * @module Execution-log path bench: rows/s and CPU µs per row of the previous storage (a tuple per
 * row) and of blocks (a tuple per app per batch) in the same run, the whole writer, a listing page
 * and one retention sweep of each, on embedded PGlite and (with DATABASE_URL) PostgreSQL.
 * Run: `deno run -A bench/log_path.ts [rows]`.
 */
import type { Database } from "../common/db.ts";
import { createLogger } from "../common/logging.ts";
import { openTestDatabase } from "../testing/db.ts";
import { seed } from "../manager/seed.ts";
import { createLogWriter } from "../orchestrator/log_writer.ts";
import { listLogs } from "../manager/logs/repo.ts";
import {
  deleteLogsOlderThan,
  type ExecutionLogRow,
  insertLogBlocks,
  logBlocks,
  trimAppLogs,
} from "../orchestrator/repo.ts";
import { LogCodec } from "../orchestrator/log_block.ts";

/** Options of {@link benchLogPath}; units in the names. */
export interface LogPathBenchOptions {
  /** Rows written per measurement (default 20 000). */
  rows?: number;
  /** Rows per insert statement to measure (default 200 and 2000). */
  batchRows?: number[];
  /** Repetitions of each measurement; the median is reported (default 3). */
  repeats?: number;
  /** Also measure PostgreSQL at this URL (default: DATABASE_URL, if set). */
  databaseUrl?: string;
}

/** One measurement: rows/s and CPU per row (process threads, plus PostgreSQL backends when local). */
export interface LogPathResult {
  db: "embedded" | "postgres";
  /**
   * `rows` (the previous storage: a tuple per row), `blocks` (a tuple per app per batch, rows
   * deflated: what the writer stores), `blocks-json` (the same, not deflated), `writer` (push → close on
   * blocks), `list-first` / `list-deep` (one 50-row page; per row of the page), `retain-rows` /
   * `retain-blocks` (one age sweep and one trim to half).
   */
  form: string;
  batchRows: number;
  rowsPerSec: number;
  cpuUsPerRow: number;
  /** The main thread's share, and the embedded database thread's (0 for PostgreSQL). */
  mainUsPerRow: number;
  dbThreadUsPerRow: number;
}

/** Nanoseconds on CPU per thread name of this process, plus the given processes as "server". */
function cpuByThread(serverPids: number[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, path: string) => {
    try {
      const ns = Number(Deno.readTextFileSync(path).split(" ")[0]);
      out.set(name, (out.get(name) ?? 0) + ns);
    } catch { /* the thread or process ended */ }
  };
  for (const e of Deno.readDirSync("/proc/self/task")) {
    let name = "?";
    try {
      name = Deno.readTextFileSync(`/proc/self/task/${e.name}/comm`).trim();
    } catch { /* gone */ }
    add(name, `/proc/self/task/${e.name}/schedstat`);
  }
  for (const pid of serverPids) add("server", `/proc/${pid}/schedstat`);
  return out;
}

function diffUs(a: Map<string, number>, b: Map<string, number>, pick?: (k: string) => boolean) {
  let ns = 0;
  for (const [k, v] of b) if (!pick || pick(k)) ns += v - (a.get(k) ?? 0);
  return ns / 1000;
}

function sampleRow(appId: string, i: number): ExecutionLogRow {
  return {
    app_id: appId,
    script_id: "7d3f1c9e-7a1b-4c55-9f0e-2b8a4d6c1e01",
    script_version_id: "0b9d2e4f-1c3a-4e5b-8d7f-6a1c2e3b4d02",
    trigger: "http",
    request_id: crypto.randomUUID(),
    method: "GET",
    path: `/hello/${i}`,
    host: "localhost",
    status: 200,
    outcome: "ok",
    duration_ms: 3,
    cpu_ms: 1,
    memory_mb: 42,
    logs: [{ level: "log", message: `serving /hello/${i}`, at: Date.now() }],
    error: null,
    at: new Date(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(
  db: Database,
  form: string,
  batchRows: number,
  n: number,
  repeats: number,
  body: (rows: ExecutionLogRow[]) => Promise<void>,
  appId: string,
): Promise<LogPathResult> {
  const pids = db.kind === "postgres"
    ? (await db.sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = current_database()`).map((r) => r.pid)
    : [];
  const runs: { rate: number; all: number; main: number; dbt: number }[] = [];
  for (let r = 0; r < repeats; r++) {
    const rows = Array.from({ length: n }, (_, i) => sampleRow(appId, i));
    const c0 = cpuByThread(pids);
    const t0 = performance.now();
    await body(rows);
    const ms = performance.now() - t0;
    const c1 = cpuByThread(pids);
    runs.push({
      rate: n / ms * 1000,
      all: diffUs(c0, c1) / n,
      main: diffUs(c0, c1, (k) => k === "deno") / n,
      dbt: db.kind === "embedded" ? diffUs(c0, c1, (k) => k.startsWith("worker-")) / n : 0,
    });
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    db: db.kind,
    form,
    batchRows,
    rowsPerSec: Math.round(median(runs.map((x) => x.rate))),
    cpuUsPerRow: round(median(runs.map((x) => x.all))),
    mainUsPerRow: round(median(runs.map((x) => x.main))),
    dbThreadUsPerRow: round(median(runs.map((x) => x.dbt))),
  };
}

/**
 * The previous storage, one tuple per row (migration 0001's `execution_logs`, indexes and foreign
 * key included), under another name: the baseline the blocks are measured against.
 */
async function createRowTable(sql: Database["sql"]) {
  await sql`
    create table bench_log_rows (
      id bigint generated always as identity primary key,
      app_id uuid not null references apps(id) on delete cascade,
      script_id uuid, script_version_id uuid,
      trigger text not null check (trigger in ('http', 'cron', 'execute')),
      request_id text not null, method text, path text, host text, status integer not null,
      outcome text not null, duration_ms integer not null, cpu_ms integer, memory_mb integer,
      logs jsonb not null default '[]', error jsonb, at timestamptz not null default now())`;
  await sql`create index bench_log_rows_app_id_id on bench_log_rows(app_id, id desc)`;
  await sql`create index bench_log_rows_at on bench_log_rows(at)`;
}

/** The previous insert (one `jsonb_to_recordset` statement per batch, a tuple per row). */
async function insertRows(sql: Database["sql"], rows: readonly ExecutionLogRow[]) {
  const text = JSON.stringify(rows);
  await sql`
    insert into bench_log_rows (app_id, script_id, script_version_id, trigger, request_id,
      method, path, host, status, outcome, duration_ms, cpu_ms, memory_mb, logs, error, at)
    select r.app_id, r.script_id, r.script_version_id, r.trigger, r.request_id, r.method, r.path,
      r.host, r.status, r.outcome, r.duration_ms, r.cpu_ms, r.memory_mb,
      coalesce(r.logs, '[]'), r.error, r.at
    from rows from (jsonb_to_recordset(${text}::text::jsonb) as (app_id uuid,
      script_id uuid, script_version_id uuid, trigger text, request_id text, method text,
      path text, host text, status int, outcome text, duration_ms int, cpu_ms int, memory_mb int,
      logs jsonb, error jsonb, at timestamptz)) with ordinality as r(app_id, script_id,
      script_version_id, trigger, request_id, method, path, host, status, outcome, duration_ms,
      cpu_ms, memory_mb, logs, error, at, ord)
    where r.app_id in (select id from apps)
    order by r.ord`;
}

async function benchOne(db: Database, o: Required<LogPathBenchOptions>): Promise<LogPathResult[]> {
  const { defaultAppId } = await seed(db.sql);
  await createRowTable(db.sql);
  const out: LogPathResult[] = [];
  type Insert = (sql: Database["sql"], rows: readonly ExecutionLogRow[]) => Promise<unknown>;
  const inBatches = (insert: Insert, size: number) => async (rows: ExecutionLogRow[]) => {
    for (let i = 0; i < rows.length; i += size) await insert(db.sql, rows.slice(i, i + size));
  };
  const insertJsonBlocks: Insert = (sql, rows) =>
    insertLogBlocks(sql, rows, logBlocks(rows, { codec: LogCodec.json }));
  // Warm every statement once.
  await insertRows(db.sql, [sampleRow(defaultAppId, 0)]);
  await insertLogBlocks(db.sql, [sampleRow(defaultAppId, 0)]);
  for (const size of o.batchRows) {
    // Interleaved, so every form sees the same machine load.
    const forms: [string, Insert][] = [
      ["rows", insertRows],
      ["blocks", insertLogBlocks],
      ["blocks-json", insertJsonBlocks],
    ];
    for (const [form, insert] of forms) {
      const r = await measure(
        db,
        form,
        size,
        o.rows,
        o.repeats,
        inBatches(insert, size),
        defaultAppId,
      );
      out.push(r);
    }
  }
  // The whole writer (push → close) with the former default batch size and the current one.
  for (const batchSize of [200, 2000]) {
    out.push(
      await measure(db, "writer", batchSize, o.rows, o.repeats, async (rows) => {
        const w = createLogWriter(db.sql, {
          flushMs: 250,
          batchSize,
          maxPendingRows: rows.length,
          log: createLogger("error", () => {}),
        });
        // Pushed in request-sized slices so writes overlap the flood, as under real load.
        for (let i = 0; i < rows.length; i += 100) {
          for (let j = i; j < Math.min(i + 100, rows.length); j++) w.push(rows[j]);
          await new Promise((r) => setTimeout(r, 0));
        }
        await w.close();
        if (w.stats().dropped > 0) throw new Error("the bench writer dropped rows");
      }, defaultAppId),
    );
  }
  // Reads on the blocks as the runs left them: the first page, and a page deep in the app.
  const [{ n, mid }] = await db.sql<{ n: number; mid: string }[]>`
    select sum(n)::int as n, (min(first_id) + (max(first_id) - min(first_id)) / 2)::text as mid
    from execution_log_blocks`;
  const [{ nRows }] = await db.sql<{ nRows: number }[]>`
    select count(*)::int as "nRows" from bench_log_rows`;
  const filter = { appId: defaultAppId };
  out.push(
    await measure(db, "list-first", 50, 50, o.repeats, async () => {
      await listLogs(db.sql, filter, { limit: 50 });
    }, defaultAppId),
    await measure(db, "list-deep", 50, 50, o.repeats, async () => {
      await listLogs(db.sql, filter, { limit: 50, beforeId: mid });
    }, defaultAppId),
  );
  // Retention, one age sweep (nothing old) and one trim, on both storages.
  out.push(
    await measure(db, "retain-rows", nRows, 1, 1, async () => {
      await db.sql`delete from bench_log_rows where at < now() - interval '1 day'`;
      await db.sql`
        delete from bench_log_rows
        where app_id = ${defaultAppId} and id <= (
          select id from bench_log_rows where app_id = ${defaultAppId}
          order by id desc offset ${Math.floor(nRows / 2)} limit 1)`;
    }, defaultAppId),
    await measure(db, "retain-blocks", n, 1, 1, async () => {
      await deleteLogsOlderThan(db.sql, 86_400_000);
      await trimAppLogs(db.sql, defaultAppId, Math.floor(n / 2));
    }, defaultAppId),
  );
  return out;
}

/** Measures the log write path; returns one result per database, form and batch size. */
export async function benchLogPath(opts: LogPathBenchOptions = {}): Promise<LogPathResult[]> {
  const o: Required<LogPathBenchOptions> = {
    rows: opts.rows ?? 20_000,
    batchRows: opts.batchRows ?? [200, 2000],
    repeats: opts.repeats ?? 3,
    databaseUrl: opts.databaseUrl ?? Deno.env.get("DATABASE_URL") ?? "",
  };
  const out: LogPathResult[] = [];
  const saved = Deno.env.get("DATABASE_URL");
  try {
    Deno.env.delete("DATABASE_URL");
    // In its own thread (the large memory profile), so the database's share shows apart.
    const embedded = await openTestDatabase({ thread: true });
    try {
      out.push(...await benchOne(embedded, o));
    } finally {
      await embedded.close();
    }
    if (o.databaseUrl) {
      Deno.env.set("DATABASE_URL", o.databaseUrl);
      const pg = await openTestDatabase();
      try {
        out.push(...await benchOne(pg, o));
      } finally {
        await pg.close();
      }
    }
  } finally {
    if (saved === undefined) Deno.env.delete("DATABASE_URL");
    else Deno.env.set("DATABASE_URL", saved);
  }
  return out;
}

if (import.meta.main) {
  const rows = Number(Deno.args[0] ?? 20_000);
  const results = await benchLogPath({ rows });
  console.log("db        form           batch   rows/s  CPU µs/row  (main  db-thread)");
  const ms = (us: number) => (us / 1000).toFixed(1);
  for (const r of results) {
    const extra = r.form.startsWith("retain")
      ? `one sweep over ${r.batchRows} rows: ${ms(r.cpuUsPerRow)} ms CPU`
      : r.form.startsWith("list")
      ? `one page of ${r.batchRows} rows: ${ms(r.cpuUsPerRow * r.batchRows)} ms CPU (main ${
        ms(r.mainUsPerRow * r.batchRows)
      }, db-thread ${ms(r.dbThreadUsPerRow * r.batchRows)})`
      : `${String(r.rowsPerSec).padStart(7)}  ${
        String(r.cpuUsPerRow).padStart(10)
      }  (${r.mainUsPerRow}  ${r.dbThreadUsPerRow})`;
    console.log(
      `${r.db.padEnd(9)} ${r.form.padEnd(14)} ${String(r.batchRows).padStart(5)}  ${extra}`,
    );
  }
}
