/**
 * @module The instance audit page `/admin/audit` (instance admins and owners): the log newest
 * first, filtered by app, acting user and date with a GET form, each entry's before and after
 * folded in a `<details>`. The audit service decides who may read what.
 */
import type { Context, Hono } from "hono";
import { auditQuery } from "../manager/audit/api.ts";
import type { AuditRow } from "../manager/audit/repo.ts";
import { readAudit } from "../manager/audit/service.ts";
import { assertCan } from "../manager/authz.ts";
import { listApps } from "../manager/apps/service.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { listUsers } from "../manager/users/service.ts";
import { errorStatus, type FieldErrors, fieldErrors, FormError, parseForm } from "./forms.tsx";
import { callerOf, page, type UiEnv } from "./layout.tsx";

const BASE = "/admin/audit";
/** How many entries the page shows. */
const LIMIT = 200;

/** Binds the audit page under `/audit`. */
export function bindAuditPage(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/audit", async (c) => await auditPage(c, deps));
}

/** A date field's value as the start of that day in UTC; anything else as typed (for the schema). */
function sinceOf(value: string): string | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
}

async function auditPage(c: Context<UiEnv>, deps: ManagerDeps): Promise<Response> {
  // The whole page is the instance log: an app admin's filter alone does not open it.
  const p = assertCan(callerOf(c), "audit.read");
  const q = { app: c.req.query("app") ?? "", actor: c.req.query("actor") ?? "", since: "" };
  q.since = c.req.query("since") ?? "";
  const [users, apps] = await Promise.all([listUsers(deps, p), listApps(deps, p)]);
  let entries: AuditRow[] = [];
  let errors: FieldErrors = {};
  let status: ReturnType<typeof errorStatus> | undefined;
  try {
    const input = parseForm(auditQuery, {
      app: q.app || undefined,
      actor: q.actor || undefined,
      since: sinceOf(q.since),
      limit: LIMIT,
    });
    entries = await readAudit(deps, p, input);
  } catch (err) {
    errors = fieldErrors(err, { app_not_found: "app" });
    status = errorStatus(err);
  }
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const slugs = new Map(apps.map((a) => [a.id, a.slug]));
  return page(
    c,
    { title: "Audit log", status, crumbs: [{ label: "Apps", href: "/admin" }, { label: "Audit" }] },
    <>
      <h1>Audit log</h1>
      <section class="panel">
        <h2>Filter</h2>
        <FormError errors={errors} />
        <form method="get" action={BASE}>
          <div class="row">
            <div class="field">
              <label for="audit-app">App</label>
              <select id="audit-app" name="app" aria-invalid={errors.app ? "true" : undefined}>
                <option value="">All apps</option>
                {apps.map((a) => (
                  <option value={a.slug} selected={a.slug === q.app}>{a.slug}</option>
                ))}
              </select>
              {errors.app && <p class="error" id="audit-app-error">{errors.app}</p>}
            </div>
            <div class="field">
              <label for="audit-actor">Actor</label>
              <select
                id="audit-actor"
                name="actor"
                aria-invalid={errors.actor ? "true" : undefined}
              >
                <option value="">Anyone</option>
                {users.map((u) => (
                  <option value={u.id} selected={u.id === q.actor}>{u.email}</option>
                ))}
              </select>
              {errors.actor && <p class="error" id="audit-actor-error">{errors.actor}</p>}
            </div>
            <div class="field">
              <label for="audit-since">Since</label>
              <input
                id="audit-since"
                name="since"
                type="date"
                value={q.since}
                aria-invalid={errors.since ? "true" : undefined}
                aria-describedby="audit-since-hint"
              />
              <p class="hint" id="audit-since-hint">From the start of that day, UTC</p>
              {errors.since && <p class="error" id="audit-since-error">{errors.since}</p>}
            </div>
          </div>
          <button type="submit">Filter</button> <a href={BASE}>Clear</a>
        </form>
      </section>
      <section class="panel">
        <h2>Entries, newest first</h2>
        {entries.length === 0 ? <p class="empty">No entries.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr>
                  <td>{`${e.at.toISOString().slice(0, 19).replace("T", " ")} UTC`}</td>
                  <td>{actorLabel(e, emails)}</td>
                  <td class="mono">{e.action}</td>
                  <td>
                    {e.resource_type}
                    {e.resource_id && (
                      <span class="mono" title={e.resource_id}>{` ${short(e.resource_id)}`}</span>
                    )}
                    {e.app_id && (
                      <span class="hint">{` in ${slugs.get(e.app_id) ?? e.app_id}`}</span>
                    )}
                  </td>
                  <td>
                    <details>
                      <summary>Before / after</summary>
                      <p>Before</p>
                      <pre class="mono">{json(e.before)}</pre>
                      <p>After</p>
                      <pre class="mono">{json(e.after)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {entries.length === LIMIT && (
          <p class="hint">Showing the newest {LIMIT}; narrow the filter to see older entries.</p>
        )}
      </section>
    </>,
  );
}

/** Who acted: the user's email when known, with the key's id when through an API key. */
function actorLabel(e: AuditRow, emails: Map<string, string>): string {
  if (e.actor_user_id === null) return "system";
  const who = emails.get(e.actor_user_id) ?? `deleted user ${e.actor_user_id}`;
  return e.actor_key_id ? `${who} (API key)` : who;
}

/** A UUID's first 8 characters (the whole id is the element's title); other ids as they are. */
function short(id: string): string {
  return /^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(id) ? `${id.slice(0, 8)}…` : id;
}

function json(v: unknown): string {
  return v === null || v === undefined ? "—" : JSON.stringify(v, null, 2);
}
