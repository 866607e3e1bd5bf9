/**
 * @module The system service: what an instance admin sees of the running platform — versions,
 * the database mode (never its credentials), uptime, the live executors and the execution-log
 * writer's counters. Needs `system.read` (instance admin).
 */
import { resolve } from "node:path";
import { assertCan, type Principal } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { appSlugs, schemaVersion } from "./repo.ts";

type Deps = Pick<ManagerDeps, "sql" | "config" | "pool" | "logWriter">;

/** Where the data lives: the embedded PGlite's directory, or a PostgreSQL server's address. */
export type DatabaseInfo =
  | { mode: "embedded"; data_dir: string }
  | { mode: "postgres"; host: string; port: number | null; database: string | null };

/** One live executor process. */
export interface ExecutorInfo {
  app_id: string;
  /** Null when the app is gone (its executor is stopping). */
  app_slug: string | null;
  /** `app` serves the app's requests; `check` runs deploy-time checks. */
  kind: string;
  pid: number;
  rss_mb: number;
  in_flight: number;
  loaded_versions: number;
  started_at: Date;
  last_used_at: Date;
}

/** The execution-log writer's counters since start. */
export interface LogWriterInfo {
  pending: number;
  pending_bytes: number;
  written: number;
  dropped: number;
  failed_batches: number;
  last_error: { at: Date; message: string } | null;
}

/** The running platform as the system page shows it. */
export interface SystemInfo {
  deno: string;
  v8: string;
  schema_version: number;
  database: DatabaseInfo;
  started_at: Date;
  uptime_ms: number;
  executors: ExecutorInfo[];
  /** Null when the writer is not exposed (some test setups). */
  log_writer: LogWriterInfo | null;
}

/** A snapshot of the running platform for an instance admin. */
export async function systemInfo(deps: Deps, p: Principal | null): Promise<SystemInfo> {
  assertCan(p, "system.read");
  const stats = deps.pool.stats();
  const slugs = await appSlugs(deps.sql, [...new Set(stats.map((s) => s.appId))]);
  const started = performance.timeOrigin;
  const w = deps.logWriter?.stats();
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    schema_version: await schemaVersion(deps.sql),
    database: databaseOf(deps.config),
    started_at: new Date(started),
    uptime_ms: Math.max(0, Math.round(Date.now() - started)),
    executors: stats.map((s) => ({
      app_id: s.appId,
      app_slug: slugs.get(s.appId) ?? null,
      kind: s.job,
      pid: s.pid,
      rss_mb: Math.round(s.rssMb * 10) / 10,
      in_flight: s.inFlight,
      loaded_versions: s.loadedVersions,
      started_at: new Date(s.startedAt),
      last_used_at: new Date(s.lastUsedAt),
    })),
    log_writer: w
      ? {
        pending: w.pending,
        pending_bytes: w.pendingBytes,
        written: w.written,
        dropped: w.dropped,
        failed_batches: w.failedBatches,
        last_error: w.lastError,
      }
      : null,
  };
}

/** The database mode from the config: a URL's host, port and database, never its user or password. */
export function databaseOf(config: Pick<Deps["config"], "databaseUrl" | "dataDir">): DatabaseInfo {
  if (!config.databaseUrl) return { mode: "embedded", data_dir: resolve(config.dataDir) };
  try {
    const u = new URL(config.databaseUrl);
    const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
    return {
      mode: "postgres",
      host: u.hostname || "localhost",
      port: u.port ? Number(u.port) : null,
      database: db || null,
    };
  } catch {
    return { mode: "postgres", host: "(unparsable URL)", port: null, database: null };
  }
}
