/**
 * @module The app's Overview tab (the app page's default): requests, error rate and p50/p95
 * latency per minute over the last hour as server-rendered SVG charts with their figures in a
 * table for screen readers, and the ten most recent errors linking into the Logs tab. The logs
 * service authorizes and computes the figures.
 */
import type { Context, Hono } from "hono";
import { type AppView, getApp } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { type AppStats, appStats } from "../manager/logs/service.ts";
import { listScripts } from "../manager/scripts/service.ts";
import { appPage } from "./app_shell.tsx";
import { Chart } from "./charts.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { utc } from "./log_entry.tsx";

/** Binds the Overview tab at `/apps/:slug` and `/apps/:slug/overview`. */
export function bindOverviewTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const show = async (c: Context<UiEnv>) => {
    const app = await getApp(deps, callerOf(c)!, c.req.param("slug")!);
    return await overviewPage(c, deps, app);
  };
  ui.get("/apps/:slug", show);
  ui.get("/apps/:slug/overview", show);
}

/** `HH:MM` in UTC. */
function hhmm(at: Date): string {
  return at.toISOString().slice(11, 16);
}

function pct(errors: number, requests: number): string {
  return requests === 0 ? "0%" : `${(Math.round((errors / requests) * 1000) / 10)}%`;
}

async function overviewPage(c: Context<UiEnv>, deps: ManagerDeps, app: AppView) {
  const p = callerOf(c)!;
  const [s, scripts] = await Promise.all([
    appStats(deps, p, app.slug),
    listScripts(deps, p, app.slug),
  ]);
  const names = new Map(scripts.map((x) => [x.id, x.name]));
  const logs = `/admin/apps/${app.slug}/logs`;
  const from = `${hhmm(s.since)} UTC`;
  const to = "now";
  const b = s.buckets;
  const rate = b.map((x) => x.requests === 0 ? null : (x.errors / x.requests) * 100);
  const peak = Math.max(0, ...b.map((x) => x.requests));
  const worstP95 = Math.max(0, ...b.map((x) => x.p95_ms ?? 0));
  return appPage(
    c,
    { app, tab: "overview" },
    <>
      <section class="panel">
        <h2>Last hour</h2>
        <p class="totals">
          <strong>{s.requests}</strong> request{s.requests === 1 ? "" : "s"},{" "}
          <strong>{s.errors}</strong> error{s.errors === 1 ? "" : "s"}{" "}
          ({pct(s.errors, s.requests)}) · per minute, {from} to now
        </p>
        {s.truncated && (
          <p class="hint">Only the newest entries were counted: the hour holds too many.</p>
        )}
        <div class="charts">
          <Chart
            id="chart-requests"
            title="Requests per minute"
            summary={`Peak ${peak} requests in a minute; ${s.requests} in the hour, ${s.errors} of them errors (in red).`}
            kind="bar"
            unit=""
            series={[
              { name: "requests", cls: "s1", values: b.map((x) => x.requests) },
              { name: "errors", cls: "s2", values: b.map((x) => x.errors) },
            ]}
            from={from}
            to={to}
          />
          <Chart
            id="chart-errors"
            title="Error rate"
            summary={`${pct(s.errors, s.requests)} of the hour's requests failed.`}
            kind="line"
            unit="%"
            floor={10}
            series={[{ name: "error rate", cls: "s2", values: rate }]}
            from={from}
            to={to}
          />
          <Chart
            id="chart-latency"
            title="Latency (p50, p95)"
            summary={`The slowest minute's p95 was ${worstP95} ms.`}
            kind="line"
            unit=" ms"
            floor={10}
            series={[
              { name: "p50", cls: "s1", values: b.map((x) => x.p50_ms) },
              { name: "p95", cls: "s3", values: b.map((x) => x.p95_ms) },
            ]}
            from={from}
            to={to}
          />
        </div>
        <details class="figures">
          <summary>Figures per minute</summary>
          <table>
            <caption class="sr-only">Requests, errors and latency per minute (UTC)</caption>
            <thead>
              <tr>
                <th scope="col">Minute</th>
                <th scope="col">Requests</th>
                <th scope="col">Errors</th>
                <th scope="col">p50</th>
                <th scope="col">p95</th>
              </tr>
            </thead>
            <tbody>
              {b.filter((x) => x.requests > 0).map((x) => (
                <tr>
                  <td>{hhmm(x.at)}</td>
                  <td>{x.requests}</td>
                  <td>{x.errors}</td>
                  <td>{x.p50_ms === null ? "—" : `${x.p50_ms} ms`}</td>
                  <td>{x.p95_ms === null ? "—" : `${x.p95_ms} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.requests === 0 && <p class="empty">No requests in the last hour.</p>}
        </details>
      </section>
      <RecentErrors s={s} names={names} logs={logs} />
    </>,
  );
}

/** The newest errors, each linking to its entry at the top of a Logs page. */
function RecentErrors(p: { s: AppStats; names: Map<string, string>; logs: string }) {
  const items = p.s.recent_errors;
  return (
    <section class="panel">
      <h2>Recent errors</h2>
      {items.length === 0
        ? <p class="empty">No errors in the last hour.</p>
        : (
          <ul class="recent-errors">
            {items.map((e) => {
              // The cursor lists entries older than it: the one after this entry's id starts there.
              const href = `${p.logs}?cursor=${BigInt(e.id) + 1n}#log-${e.id}`;
              const what = e.method ? `${e.method} ${e.path ?? ""}` : e.trigger;
              const script = e.script_id ? p.names.get(e.script_id) : undefined;
              const reason = e.limit
                ? ` · ${e.limit.name}`
                : e.outcome !== "ok"
                ? ` · ${e.outcome}`
                : "";
              return (
                <li>
                  <a href={href}>
                    <span class="badge bad">{e.status}</span> <span class="mono">{what}</span>
                  </a>
                  <span class="hint">
                    {` ${utc(e.at)}${script ? ` · ${script}` : ""}${reason}`}
                  </span>
                </li>
              );
            })}
          </ul>
        )}
      <p>
        <a href={`${p.logs}?status=5xx`}>All 5xx in the logs →</a>
      </p>
    </section>
  );
}
