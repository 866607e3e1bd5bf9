/**
 * @module The app's Logs tab: its execution logs newest first, filtered with a GET form (script,
 * status or class, trigger, outcome, since), paged with the cursor ("Older →"), each entry
 * folded to its console output, error and stopping limit. Above the table, the live tail's
 * island mount point. The logs service authorizes and reads.
 */
import type { Context, Hono } from "hono";
import { type AppView, getApp } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { logsQuery, OUTCOMES, TRIGGERS } from "../manager/logs/api.ts";
import { type LogPage, readLogs } from "../manager/logs/service.ts";
import { listScripts } from "../manager/scripts/service.ts";
import { appPage } from "./app_shell.tsx";
import { errorStatus, type FieldErrors, fieldErrors, FormError, parseForm } from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";
import { LogTable, utc } from "./log_entry.tsx";

/** Entries per page. */
export const LOGS_PAGE = 50;

const FILTERS = ["script", "status", "trigger", "outcome", "since"] as const;

/** Binds the Logs tab under `/apps/:slug/logs`. */
export function bindLogsTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/apps/:slug/logs", async (c) => {
    const app = await getApp(deps, callerOf(c)!, c.req.param("slug"));
    return await logsPage(c, deps, app);
  });
}

/** A `datetime-local` value (no zone) read as UTC; anything else as typed, for the schema. */
function sinceOf(value: string): string | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) return `${v}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(v)) return `${v}Z`;
  return v;
}

/** The query string of the filters (empty ones left out), plus `extra`. */
function queryOf(q: Record<string, string>, extra: Record<string, string> = {}): string {
  const s = new URLSearchParams();
  for (const k of FILTERS) if (q[k]) s.set(k, q[k]);
  for (const [k, v] of Object.entries(extra)) s.set(k, v);
  const text = s.toString();
  return text ? `?${text}` : "";
}

async function logsPage(c: Context<UiEnv>, deps: ManagerDeps, app: AppView): Promise<Response> {
  const p = callerOf(c)!;
  const q: Record<string, string> = {};
  for (const k of FILTERS) q[k] = (c.req.query(k) ?? "").trim();
  const cursor = c.req.query("cursor") ?? "";
  const scripts = await listScripts(deps, p, app.slug);
  let page: LogPage = { items: [], next_cursor: null, gaps: [] };
  let errors: FieldErrors = {};
  let status: ReturnType<typeof errorStatus> | undefined;
  try {
    const input = parseForm(logsQuery, {
      script: q.script || undefined,
      status: q.status || undefined,
      trigger: q.trigger || undefined,
      outcome: q.outcome || undefined,
      since: sinceOf(q.since),
      cursor: cursor || undefined,
      limit: LOGS_PAGE,
    });
    page = await readLogs(deps, p, app.slug, input);
  } catch (err) {
    errors = fieldErrors(err);
    status = errorStatus(err);
  }
  const names = new Map(scripts.map((s) => [s.id, s.name]));
  const base = `/admin/apps/${app.slug}/logs`;
  const feed = `/api/v1/admin/apps/${app.slug}/logs?follow=1`;
  const err = (name: string) =>
    errors[name] && <p class="error" id={`logs-${name}-error`}>{errors[name]}</p>;
  return appPage(
    c,
    { app, tab: "logs", status, islands: ["tail"] },
    <>
      <section class="panel">
        <h2>Filter</h2>
        <FormError errors={errors} />
        <form method="get" action={base}>
          <div class="row">
            <div class="field">
              <label for="logs-script">Script</label>
              <select id="logs-script" name="script">
                <option value="">All scripts</option>
                {scripts.map((s) => (
                  <option value={s.name} selected={s.name === q.script}>{s.name}</option>
                ))}
              </select>
              {err("script")}
            </div>
            <div class="field">
              <label for="logs-status">Status</label>
              <input
                id="logs-status"
                name="status"
                type="text"
                value={q.status}
                placeholder="5xx"
                aria-invalid={errors.status ? "true" : undefined}
                aria-describedby="logs-status-hint"
              />
              <p class="hint" id="logs-status-hint">A status (404) or a class (5xx)</p>
              {err("status")}
            </div>
            <div class="field">
              <label for="logs-trigger">Trigger</label>
              <select id="logs-trigger" name="trigger">
                <option value="">Any</option>
                {TRIGGERS.map((t) => (
                  <option key={t} value={t} selected={t === q.trigger}>{t}</option>
                ))}
              </select>
              {err("trigger")}
            </div>
            <div class="field">
              <label for="logs-outcome">Outcome</label>
              <select id="logs-outcome" name="outcome">
                <option value="">Any</option>
                {OUTCOMES.map((o) => (
                  <option key={o} value={o} selected={o === q.outcome}>{o}</option>
                ))}
              </select>
              {err("outcome")}
            </div>
            <div class="field">
              <label for="logs-since">Since</label>
              <input
                id="logs-since"
                name="since"
                type="datetime-local"
                value={q.since}
                aria-invalid={errors.since ? "true" : undefined}
                aria-describedby="logs-since-hint"
              />
              <p class="hint" id="logs-since-hint">UTC</p>
              {err("since")}
            </div>
          </div>
          <button type="submit">Filter</button> <a href={base}>Clear</a>
        </form>
      </section>
      <section class="panel">
        <h2>Entries, newest first</h2>
        <section data-island="tail" data-feed={feed}>
          <button type="button" class="secondary" data-tail-toggle hidden>Live tail</button>
          <p class="hint">
            Live tail shows new entries as they are written (it needs JavaScript; this table does
            not).
          </p>
          <noscript>
            <p class="hint">Without JavaScript, reload the page to see new entries.</p>
          </noscript>
        </section>
        {page.gaps.length > 0 && (
          <ul class="gaps">
            {page.gaps.map((g) => (
              <li class="alert">
                {`${g.dropped} entr${g.dropped === 1 ? "y was" : "ies were"} not recorded between ${
                  utc(g.first_at)
                } and ${utc(g.last_at)}`}
              </li>
            ))}
          </ul>
        )}
        {page.items.length === 0
          ? <p class="empty">{cursor ? "No older entries." : "No entries."}</p>
          : <LogTable items={page.items} scripts={names} caption="Execution log entries" />}
        <nav class="pager" aria-label="Pages">
          {cursor && <a href={`${base}${queryOf(q)}`}>← Newest</a>}
          {page.next_cursor && (
            <a href={`${base}${queryOf(q, { cursor: page.next_cursor })}`} rel="next">Older →</a>
          )}
        </nav>
      </section>
    </>,
  );
}
