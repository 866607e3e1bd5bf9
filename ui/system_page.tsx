/**
 * @module The system page `/admin/system` (instance admins and owners): versions, database mode,
 * uptime, the live executors and the execution-log writer's backlog. The system service decides
 * who may read it.
 */
import type { Context, Hono } from "hono";
import type { ManagerDeps } from "../manager/deps.ts";
import { type SystemInfo, systemInfo } from "../manager/system/service.ts";
import { callerOf, page, type UiEnv } from "./layout.tsx";
import { utc } from "./log_entry.tsx";

/** Binds the system page under `/system`. */
export function bindSystemPage(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/system", async (c) => systemPage(c, await systemInfo(deps, callerOf(c))));
}

/** A duration as `3d 4h 5m` (seconds under a minute). */
export function uptimeText(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : "", d || h ? `${h}h` : "", `${m}m`].filter(Boolean).join(" ");
}

function systemPage(c: Context<UiEnv>, s: SystemInfo): Response {
  const db = s.database;
  const w = s.log_writer;
  return page(
    c,
    { title: "System", crumbs: [{ label: "Apps", href: "/admin" }, { label: "System" }] },
    <>
      <h1>System</h1>
      <section class="panel">
        <h2>Platform</h2>
        <dl class="result">
          <dt>Runtime</dt>
          <dd>{`Deno ${s.deno} (V8 ${s.v8})`}</dd>
          <dt>Schema</dt>
          <dd>{`version ${s.schema_version}`}</dd>
          <dt>Database</dt>
          <dd>
            {db.mode === "embedded"
              ? (
                <>
                  Embedded PGlite in <span class="mono">{db.data_dir}</span>
                </>
              )
              : (
                <>
                  PostgreSQL at{" "}
                  <span class="mono">
                    {`${db.host}${db.port ? `:${db.port}` : ""}${
                      db.database ? `/${db.database}` : ""
                    }`}
                  </span>
                </>
              )}
          </dd>
          <dt>Uptime</dt>
          <dd>{`${uptimeText(s.uptime_ms)} (since ${utc(s.started_at)})`}</dd>
        </dl>
      </section>
      <section class="panel">
        <h2>Executors</h2>
        {s.executors.length === 0
          ? <p class="empty">No executor is running (they start on the first request).</p>
          : (
            <table class="stack labelled">
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Kind</th>
                  <th scope="col">PID</th>
                  <th scope="col">RSS</th>
                  <th scope="col">In flight</th>
                  <th scope="col">Loaded versions</th>
                  <th scope="col">Started</th>
                  <th scope="col">Last used</th>
                </tr>
              </thead>
              <tbody>
                {s.executors.map((e) => (
                  <tr>
                    <td>
                      {e.app_slug
                        ? <a href={`/admin/apps/${e.app_slug}`}>{e.app_slug}</a>
                        : <span class="mono">{e.app_id}</span>}
                    </td>
                    <td data-label="Kind">{e.kind}</td>
                    <td data-label="PID" class="mono">{e.pid}</td>
                    <td data-label="RSS" class="nowrap">{`${e.rss_mb} MB`}</td>
                    <td data-label="In flight">{e.in_flight}</td>
                    <td data-label="Loaded versions">{e.loaded_versions}</td>
                    <td data-label="Started">{utc(e.started_at)}</td>
                    <td data-label="Last used">{utc(e.last_used_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
      <section class="panel">
        <h2>Execution-log writer</h2>
        {w === null ? <p class="empty">Not available.</p> : (
          <dl class="result">
            <dt>Backlog</dt>
            <dd>{`${w.pending} rows (${Math.ceil(w.pending_bytes / 1024)} KiB)`}</dd>
            <dt>Written</dt>
            <dd>{`${w.written} rows`}</dd>
            <dt>Dropped</dt>
            <dd>
              {`${w.dropped} rows`}
              {w.failed_batches > 0 && ` · ${w.failed_batches} failed writes`}
            </dd>
            {w.last_error && (
              <>
                <dt>Last error</dt>
                <dd>{`${utc(w.last_error.at)}: ${w.last_error.message}`}</dd>
              </>
            )}
          </dl>
        )}
      </section>
    </>,
  );
}
