/**
 * @module Execution-log write path bench: rows/s and CPU µs per row of the old (`unnest`) and new
 * (one `jsonb` text parameter) insert forms, the whole writer, and one retention sweep, on
 * embedded PGlite and (with DATABASE_URL) PostgreSQL. Run: `deno run -A bench/log_path.ts`.
 */
import type { Database } from "../common/db.ts";
import { createLogger } from "../common/logging.ts";
import { openTestDatabase } from "../common/testing.ts";
import { seed } from "../manager/seed.ts";
import { createLogWriter } from "../orchestrator/log_writer.ts";
import {
  deleteLogsOlderThan,
  type ExecutionLogRow,
  insertExecutionLogs,
  insertExecutionLogsUnnest,
  trimAppLogs,
} from "../orchestrator/repo.ts";

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
  /** `unnest` (old insert), `jsonb` (new insert), `writer` (push → flush), `retention`. */
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

async function benchOne(db: Database, o: Required<LogPathBenchOptions>): Promise<LogPathResult[]> {
  const { defaultAppId } = await seed(db.sql);
  const out: LogPathResult[] = [];
  const inBatches =
    (insert: typeof insertExecutionLogs, size: number) => async (rows: ExecutionLogRow[]) => {
      for (let i = 0; i < rows.length; i += size) await insert(db.sql, rows.slice(i, i + size));
    };
  // Warm both statements once.
  await insertExecutionLogsUnnest(db.sql, [sampleRow(defaultAppId, 0)]);
  await insertExecutionLogs(db.sql, [sampleRow(defaultAppId, 0)]);
  for (const size of o.batchRows) {
    // Interleaved, so both forms see the same machine load.
    out.push(
      await measure(
        db,
        "unnest",
        size,
        o.rows,
        o.repeats,
        inBatches(insertExecutionLogsUnnest, size),
        defaultAppId,
      ),
    );
    out.push(
      await measure(
        db,
        "jsonb",
        size,
        o.rows,
        o.repeats,
        inBatches(insertExecutionLogs, size),
        defaultAppId,
      ),
    );
  }
  out.push(
    await measure(db, "writer", 2000, o.rows, o.repeats, async (rows) => {
      const w = createLogWriter(db.sql, {
        flushMs: 250,
        batchSize: 200,
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
  // Retention on the table as the runs left it: one age sweep (nothing old) and one trim.
  const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from execution_logs`;
  out.push(
    await measure(db, "retention", n, 1, 1, async () => {
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
    const embedded = await openTestDatabase();
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
  console.log("db        form       batch   rows/s  CPU µs/row  (main  db-thread)");
  for (const r of results) {
    const extra = r.form === "retention"
      ? `one sweep over ${r.batchRows} rows: ${(r.cpuUsPerRow / 1000).toFixed(1)} ms CPU`
      : `${String(r.rowsPerSec).padStart(7)}  ${
        String(r.cpuUsPerRow).padStart(10)
      }  (${r.mainUsPerRow}  ${r.dbThreadUsPerRow})`;
    console.log(
      `${r.db.padEnd(9)} ${r.form.padEnd(10)} ${String(r.batchRows).padStart(5)}  ${extra}`,
    );
  }
}
