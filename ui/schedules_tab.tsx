/**
 * @module The app's Schedules tab: the schedules with their next runs for everyone who sees the
 * app; add (with a "Preview" of the next runs before saving), enable/disable and delete (with a
 * confirmation step) for app editors only — the service refuses the rest. The next runs come
 * from the orchestrator's own cron parser.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { type AppView, getApp } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { createScheduleBody, updateScheduleBody } from "../manager/schedules/api.ts";
import type { ScheduleRow } from "../manager/schedules/repo.ts";
import {
  createSchedule,
  deleteSchedule,
  listSchedules,
  updateSchedule,
} from "../manager/schedules/service.ts";
import { listScripts } from "../manager/scripts/service.ts";
import { nextRunAfter, validateTimezone } from "../orchestrator/mod.ts";
import { appPage, ConfirmForm } from "./app_shell.tsx";
import {
  errorStatus,
  Field,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
} from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";

/** How many upcoming runs the tab shows for a schedule. */
export const NEXT_RUNS = 5;

const FIELD_ERRORS = { invalid_cron: "cron", script_not_found: "script_id" };

interface SchedulesState {
  errors?: FieldErrors;
  form?: Record<string, string>;
  /** The next runs of the add form's cron, from its "Preview" button. */
  preview?: Date[];
  status?: ContentfulStatusCode;
}

/**
 * The next `count` runs of `cron` in `timezone` after `from`, by the orchestrator's parser
 * (fewer when the expression stops firing). Throws its `invalid_cron` error.
 */
export function nextRuns(cron: string, timezone: string, from: Date, count = NEXT_RUNS): Date[] {
  const out: Date[] = [];
  let after = from;
  for (let i = 0; i < count; i++) {
    const next = nextRunAfter(cron, timezone, after);
    if (next === null) break;
    out.push(next);
    after = next;
  }
  return out;
}

/** Binds the Schedules tab under `/apps/:slug/schedules`. */
export function bindSchedulesTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const appOf = async (c: Context<UiEnv>) => await getApp(deps, callerOf(c)!, c.req.param("slug")!);

  // The add form's "Preview" is a GET with the form's fields in the query: nothing is saved.
  ui.get("/apps/:slug/schedules", async (c) => {
    const app = await appOf(c);
    const form = c.req.query();
    if (form.preview === undefined) return await schedulesPage(c, deps, app);
    const { cron, timezone } = fieldsOf(form);
    const tzErrors = timezoneErrors(timezone);
    if (tzErrors) return await schedulesPage(c, deps, app, { form, errors: tzErrors, status: 400 });
    try {
      if (cron === "") throw new ApiError("invalid_cron", "Give a cron expression");
      const preview = nextRuns(cron, timezone, new Date());
      return await schedulesPage(c, deps, app, { form, preview });
    } catch (err) {
      const errors = fieldErrors(err, FIELD_ERRORS);
      return await schedulesPage(c, deps, app, { form, errors, status: errorStatus(err) });
    }
  });

  ui.post("/apps/:slug/schedules", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    const { cron, timezone } = fieldsOf(form);
    const tzErrors = timezoneErrors(timezone);
    if (tzErrors) return await schedulesPage(c, deps, app, { form, errors: tzErrors, status: 400 });
    try {
      const input = parseForm(createScheduleBody, {
        app_id: app.id,
        script_id: form.script_id ?? "",
        cron,
        timezone,
        enabled: true,
      });
      await createSchedule(deps, callerOf(c)!, input);
      return c.redirect(`/admin/apps/${app.slug}/schedules`, 303);
    } catch (err) {
      const errors = fieldErrors(err, FIELD_ERRORS);
      return await schedulesPage(c, deps, app, { form, errors, status: errorStatus(err) });
    }
  });

  ui.post("/apps/:slug/schedules/:id/enabled", async (c) => {
    const app = await appOf(c);
    const s = await scheduleOf(c, deps, app);
    const form = await formOf(c);
    const input = parseForm(updateScheduleBody, { enabled: form.enabled === "true" });
    await updateSchedule(deps, callerOf(c)!, s.id, input);
    return c.redirect(`/admin/apps/${app.slug}/schedules`, 303);
  });

  ui.get("/apps/:slug/schedules/:id/delete", async (c) => {
    const app = await appOf(c);
    const s = await scheduleOf(c, deps, app);
    const base = `/admin/apps/${app.slug}/schedules`;
    return appPage(
      c,
      { app, tab: "schedules" },
      <ConfirmForm
        action={`${base}/${s.id}/delete`}
        question={`Delete the schedule ${s.cron} (${s.timezone})?`}
        button="Delete schedule"
        cancel={base}
      >
        <p>Its script is no longer run on this schedule, and the record of its runs is deleted.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/schedules/:id/delete", async (c) => {
    const app = await appOf(c);
    const s = await scheduleOf(c, deps, app);
    await deleteSchedule(deps, callerOf(c)!, s.id);
    return c.redirect(`/admin/apps/${app.slug}/schedules`, 303);
  });
}

/** The form's cron and time zone (UTC when empty). */
function fieldsOf(form: Record<string, string>): { cron: string; timezone: string } {
  return { cron: (form.cron ?? "").trim(), timezone: (form.timezone ?? "").trim() || "UTC" };
}

/** The time zone's error next to its own field (the cron parser answers both as `invalid_cron`). */
function timezoneErrors(timezone: string): FieldErrors | null {
  try {
    validateTimezone(timezone);
    return null;
  } catch (err) {
    return fieldErrors(err, { invalid_cron: "timezone" });
  }
}

/** The schedule `:id` of this app (one of another app is not found here). */
async function scheduleOf(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
): Promise<ScheduleRow> {
  const s = (await listSchedules(deps, callerOf(c)!, app.slug))
    .find((r) => r.id === c.req.param("id"));
  if (!s) throw new ApiError("schedule_not_found", `No such schedule in ${app.slug}`);
  return s;
}

/** A time in `timezone`, as `YYYY-MM-DD HH:MM`. */
function inZone(d: Date, timezone: string): string {
  return d.toLocaleString("sv-SE", { timeZone: timezone, dateStyle: "short", timeStyle: "short" });
}

function Runs(p: { runs: Date[]; timezone: string }) {
  if (p.runs.length === 0) return <span class="empty">none</span>;
  return (
    <ol class="runs mono">
      {p.runs.map((d) => (
        <li>
          <time datetime={d.toISOString()}>{inZone(d, p.timezone)}</time>
        </li>
      ))}
    </ol>
  );
}

async function schedulesPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: SchedulesState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const editor = can(p, "schedule.write", { appId: app.id });
  const [schedules, scripts] = await Promise.all([
    listSchedules(deps, p, app.slug),
    listScripts(deps, p, app.slug),
  ]);
  const names = new Map(scripts.map((sc) => [sc.id, sc.name]));
  const errors = s.errors ?? {};
  const form = s.form ?? {};
  const base = `/admin/apps/${app.slug}/schedules`;
  const now = new Date();
  return appPage(
    c,
    { app, tab: "schedules", status: s.status },
    <>
      <section class="panel">
        <h2>Schedules</h2>
        {schedules.length === 0 ? <p class="empty">No schedules yet.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Cron</th>
                <th scope="col">Time zone</th>
                <th scope="col">Script</th>
                <th scope="col">Enabled</th>
                <th scope="col">Next runs</th>
                {editor && <th scope="col">Delete</th>}
              </tr>
            </thead>
            <tbody>
              {schedules.map((r) => (
                <tr>
                  <td class="mono">{r.cron}</td>
                  <td>{r.timezone}</td>
                  <td>{names.get(r.script_id) ?? r.script_id}</td>
                  <td>
                    {editor
                      ? (
                        <form method="post" action={`${base}/${r.id}/enabled`} class="inline">
                          <span class="badge">{r.enabled ? "enabled" : "disabled"}</span>
                          <input type="hidden" name="enabled" value={String(!r.enabled)} />
                          <button type="submit" class="secondary">
                            {r.enabled ? "Disable" : "Enable"}
                          </button>
                        </form>
                      )
                      : <span class="badge">{r.enabled ? "enabled" : "disabled"}</span>}
                  </td>
                  <td>
                    {r.enabled
                      ? <Runs runs={safeRuns(r, now)} timezone={r.timezone} />
                      : <span class="empty">paused</span>}
                  </td>
                  {editor && (
                    <td>
                      <a href={`${base}/${r.id}/delete`}>Delete…</a>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {editor && (
        <section class="panel">
          <h2>Add a schedule</h2>
          {scripts.length === 0 ? <p class="empty">Deploy a script first.</p> : (
            <>
              <FormError errors={errors} />
              <form method="post" action={base} class="row">
                <Field
                  idPrefix="new"
                  name="cron"
                  label="Cron"
                  value={form.cron}
                  error={errors.cron}
                  hint="5 fields (minute hour day month weekday), e.g. 0 6 * * 1-5, or @hourly"
                  required
                />
                <div class="field">
                  <label for="new-timezone">Time zone</label>
                  <input
                    id="new-timezone"
                    name="timezone"
                    type="text"
                    list="timezones"
                    value={form.timezone ?? "UTC"}
                    aria-invalid={errors.timezone ? "true" : undefined}
                    aria-describedby={errors.timezone ? "new-timezone-error" : undefined}
                  />
                  <datalist id="timezones">
                    {Intl.supportedValuesOf("timeZone").map((z) => <option key={z} value={z} />)}
                  </datalist>
                  {errors.timezone && (
                    <p class="error" id="new-timezone-error">{errors.timezone}</p>
                  )}
                </div>
                <div class="field">
                  <label for="new-script_id">Script</label>
                  <select id="new-script_id" name="script_id">
                    {scripts.map((sc) => (
                      <option value={sc.id} selected={sc.id === form.script_id}>{sc.name}</option>
                    ))}
                  </select>
                  {errors.script_id && <p class="error">{errors.script_id}</p>}
                </div>
                <div class="field submit actions">
                  <button type="submit" class="secondary" formmethod="get" name="preview" value="1">
                    Preview
                  </button>
                  <button type="submit">Add schedule</button>
                </div>
              </form>
              {s.preview && (
                <div class="result" aria-label="Next runs">
                  <strong>Next runs ({form.timezone || "UTC"})</strong>
                  <Runs runs={s.preview} timezone={form.timezone || "UTC"} />
                </div>
              )}
            </>
          )}
        </section>
      )}
    </>,
  );
}

/** A stored schedule's next runs (none if its cron no longer parses). */
function safeRuns(r: ScheduleRow, now: Date): Date[] {
  try {
    return nextRuns(r.cron, r.timezone, now);
  } catch {
    return [];
  }
}
