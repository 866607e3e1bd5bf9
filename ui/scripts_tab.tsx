/**
 * @module The app's Scripts tab: the app's scripts with their active versions for everyone who
 * sees the app; a new script (name and an optional first source) and delete (with a confirmation
 * step) for app editors only — the scripts service refuses the rest.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { type AppView, getApp } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { createScriptSource as createScriptBody } from "../manager/scripts/schemas.ts";
import { createScript, deleteScript, listScripts } from "../manager/scripts/service.ts";
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
import { appScriptOf, scriptHref, UtcTime } from "./script_shell.tsx";
import {
  type Diagnostic,
  diagnosticsOf,
  DiagnosticsView,
  SOURCE_ERRORS,
  SOURCE_FIELD,
} from "./source_view.tsx";

/** The first version of a script created without a source: answers every request with a line. */
export function starterSource(name: string): string {
  return [
    "export default {",
    "  fetch(req) {",
    `    return new Response(${JSON.stringify(`Hello from ${name}`)} + "\\n");`,
    "  },",
    "};",
    "",
  ].join("\n");
}

const FIELD_ERRORS = { script_exists: "name", ...SOURCE_FIELD };

interface ScriptsState {
  errors?: FieldErrors;
  form?: Record<string, string>;
  diagnostics?: Diagnostic[];
  status?: ContentfulStatusCode;
}

/** Binds the Scripts tab under `/apps/:slug/scripts`. */
export function bindScriptsTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const appOf = async (c: Context<UiEnv>) => await getApp(deps, callerOf(c)!, c.req.param("slug")!);

  ui.get("/apps/:slug/scripts", async (c) => await scriptsPage(c, deps, await appOf(c)));

  ui.post("/apps/:slug/scripts", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    const name = (form.name ?? "").trim();
    try {
      const input = parseForm(createScriptBody, {
        app_id: app.id,
        name,
        description: (form.description ?? "").trim(),
        source: (form.source ?? "").trim() === ""
          ? starterSource(name)
          : form.source!.replaceAll("\r\n", "\n"),
      });
      const script = await createScript(deps, callerOf(c)!, input);
      return c.redirect(scriptHref(app, script), 303);
    } catch (err) {
      const errors = fieldErrors(err, FIELD_ERRORS);
      const diagnostics = err instanceof ApiError && SOURCE_ERRORS.has(err.code)
        ? diagnosticsOf(err.details)
        : undefined;
      return await scriptsPage(c, deps, app, {
        form,
        errors,
        diagnostics,
        status: errorStatus(err),
      });
    }
  });

  ui.get("/apps/:slug/scripts/:id/delete", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    const base = `/admin/apps/${app.slug}/scripts`;
    return appPage(
      c,
      { app, tab: "scripts", sub: script.name },
      <ConfirmForm
        action={`${base}/${script.id}/delete`}
        question={`Delete the script ${script.name}?`}
        button="Delete script"
        cancel={scriptHref(app, script)}
      >
        <p>
          All its versions, its env and secrets, and the routes and schedules that run it are
          deleted too. This cannot be undone.
        </p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/scripts/:id/delete", async (c) => {
    const { app, script } = await appScriptOf(c, deps);
    await deleteScript(deps, callerOf(c)!, script.id);
    return c.redirect(`/admin/apps/${app.slug}/scripts`, 303);
  });
}

async function scriptsPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: ScriptsState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const editor = can(p, "script.deploy", { appId: app.id });
  const scripts = await listScripts(deps, p, app.slug);
  const errors = s.errors ?? {};
  const form = s.form ?? {};
  const base = `/admin/apps/${app.slug}/scripts`;
  return appPage(
    c,
    {
      app,
      tab: "scripts",
      status: s.status,
      islands: can(p, "script.deploy", { appId: app.id }) ? ["editor"] : undefined,
    },
    <>
      <section class="panel">
        <h2>Scripts</h2>
        {scripts.length === 0 ? <p class="empty">No scripts yet.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Active version</th>
                <th scope="col">Updated</th>
                {editor && <th scope="col">Delete</th>}
              </tr>
            </thead>
            <tbody>
              {scripts.map((r) => (
                <tr>
                  <td>
                    <a href={scriptHref(app, r)}>{r.name}</a>
                    {r.description && <span class="hint script-desc">{r.description}</span>}
                  </td>
                  <td>
                    {r.active_version === null
                      ? <span class="empty">none</span>
                      : <span class="badge">v{r.active_version}</span>}
                  </td>
                  <td>
                    <UtcTime d={r.updated_at} />
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
          <h2>New script</h2>
          <FormError errors={errors} />
          <form method="post" action={base}>
            <div class="row">
              <Field
                idPrefix="new"
                name="name"
                label="Name"
                value={form.name}
                error={errors.name}
                hint="Letters, digits, . _ - (unique in the app)"
                required
              />
              <Field
                idPrefix="new"
                name="description"
                label="Description (optional)"
                value={form.description}
                error={errors.description}
              />
            </div>
            <div class="field">
              <label for="new-source">First source (optional)</label>
              <textarea
                id="new-source"
                name="source"
                rows={8}
                wrap="off"
                spellcheck={false}
                class="source"
                data-island="editor"
                data-language="typescript"
                data-diagnostics={s.diagnostics ? JSON.stringify(s.diagnostics) : undefined}
                aria-invalid={errors.source ? "true" : undefined}
                aria-describedby="new-source-hint"
              >
                {form.source ?? ""}
              </textarea>
              <p class="hint" id="new-source-hint">
                Leave empty to start from a script that answers "Hello". It is checked in the
                sandbox before it is saved.
              </p>
              {errors.source && !s.diagnostics && <p class="error">{errors.source}</p>}
              {s.diagnostics && s.diagnostics.length > 0 && (
                <DiagnosticsView source={form.source ?? ""} diagnostics={s.diagnostics} />
              )}
            </div>
            <div class="actions">
              <button type="submit">Create script</button>
            </div>
          </form>
        </section>
      )}
    </>,
  );
}
