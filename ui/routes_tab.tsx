/**
 * @module The app's Routes tab: the routes (method, host, path, script) and the route preview
 * ("which script serves METHOD URL") for everyone who sees the app; add and remove (with a
 * confirmation step) for app editors only — the service refuses the rest.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { type AppView, getApp } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { createRouteBody } from "../manager/routes/api.ts";
import { previewQuery } from "../manager/routes/preview_api.ts";
import { previewRoute, type RoutePreview } from "../manager/routes/preview_service.ts";
import type { RouteRow } from "../manager/routes/repo.ts";
import { createRoute, deleteRoute, listRoutes } from "../manager/routes/service.ts";
import { listScripts } from "../manager/scripts/service.ts";
import { ROUTE_METHODS } from "../orchestrator/mod.ts";
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

/** The methods a previewed request may have (every route method but `ANY`). */
const REQUEST_METHODS = ROUTE_METHODS.filter((m) => m !== "ANY");

const CREATE_ERRORS = {
  route_conflict: "path",
  host_not_claimed: "host",
  invalid_domain: "host",
  script_not_found: "script_id",
};
const PREVIEW_ERRORS = { unclaimed_host: "url", no_route: "url", method_not_allowed: "method" };

interface RoutesState {
  errors?: FieldErrors;
  form?: Record<string, string>;
  preview?: { method: string; url: string; result?: RoutePreview; errors?: FieldErrors };
  status?: ContentfulStatusCode;
}

/** Binds the Routes tab under `/apps/:slug/routes`. */
export function bindRoutesTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const appOf = async (c: Context<UiEnv>) => await getApp(deps, callerOf(c)!, c.req.param("slug")!);

  // The preview is a GET form: the method and URL in the query, the answer on the page.
  ui.get("/apps/:slug/routes", async (c) => {
    const app = await appOf(c);
    const url = c.req.query("url")?.trim();
    if (!url) return await routesPage(c, deps, app);
    const method = c.req.query("method") ?? "GET";
    try {
      const input = parseForm(previewQuery, { method, url });
      const result = await previewRoute(deps, callerOf(c)!, app.slug, input);
      return await routesPage(c, deps, app, { preview: { method, url, result } });
    } catch (err) {
      const errors = fieldErrors(err, PREVIEW_ERRORS);
      // "No route" is the preview's answer, not a failure of this page: only bad input is a 400.
      const status = errorStatus(err) === 400 ? 400 : 200;
      return await routesPage(c, deps, app, { preview: { method, url, errors }, status });
    }
  });

  ui.post("/apps/:slug/routes", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    try {
      const host = (form.host ?? "").trim();
      const input = parseForm(createRouteBody, {
        app_id: app.id,
        script_id: form.script_id ?? "",
        method: form.method ?? "",
        path: (form.path ?? "").trim(),
        host: host === "" ? null : host,
      });
      await createRoute(deps, callerOf(c)!, input);
      return c.redirect(`/admin/apps/${app.slug}/routes`, 303);
    } catch (err) {
      const errors = fieldErrors(err, CREATE_ERRORS);
      return await routesPage(c, deps, app, { errors, form, status: errorStatus(err) });
    }
  });

  ui.get("/apps/:slug/routes/:id/delete", async (c) => {
    const app = await appOf(c);
    const route = await routeOf(c, deps, app);
    const base = `/admin/apps/${app.slug}/routes`;
    return appPage(
      c,
      { app, tab: "routes" },
      <ConfirmForm
        action={`${base}/${route.id}/delete`}
        question={`Remove the route ${route.method} ${route.host ?? ""}${route.path}?`}
        button="Remove route"
        cancel={base}
      >
        <p>Requests it matches stop reaching its script at once.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/routes/:id/delete", async (c) => {
    const app = await appOf(c);
    const route = await routeOf(c, deps, app);
    await deleteRoute(deps, callerOf(c)!, route.id);
    return c.redirect(`/admin/apps/${app.slug}/routes`, 303);
  });
}

/** The route `:id` of this app (a route of another app is not found here). */
async function routeOf(c: Context<UiEnv>, deps: ManagerDeps, app: AppView): Promise<RouteRow> {
  const route = (await listRoutes(deps, callerOf(c)!, app.slug))
    .find((r) => r.id === c.req.param("id"));
  if (!route) throw new ApiError("route_not_found", `No such route in ${app.slug}`);
  return route;
}

async function routesPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: RoutesState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const editor = can(p, "route.write", { appId: app.id });
  const [routes, scripts] = await Promise.all([
    listRoutes(deps, p, app.slug),
    listScripts(deps, p, app.slug),
  ]);
  const names = new Map(scripts.map((sc) => [sc.id, sc.name]));
  const errors = s.errors ?? {};
  const form = s.form ?? {};
  const base = `/admin/apps/${app.slug}/routes`;
  return appPage(
    c,
    { app, tab: "routes", status: s.status },
    <>
      <section class="panel">
        <h2>Routes</h2>
        {routes.length === 0 ? <p class="empty">No routes yet.</p> : (
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Method</th>
                <th scope="col">Host</th>
                <th scope="col">Path</th>
                <th scope="col">Script</th>
                {editor && <th scope="col">Remove</th>}
              </tr>
            </thead>
            <tbody>
              {routes.map((r) => (
                <tr>
                  <td>
                    <span class="badge mono">{r.method}</span>
                  </td>
                  <td class="mono">{r.host ?? "any claimed host"}</td>
                  <td class="mono">{r.path}</td>
                  <td>{names.get(r.script_id) ?? r.script_id}</td>
                  {editor && (
                    <td>
                      <a href={`${base}/${r.id}/delete`}>Remove…</a>
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
          <h2>Add a route</h2>
          {scripts.length === 0 ? <p class="empty">Deploy a script first.</p> : (
            <>
              <FormError errors={errors} />
              <form method="post" action={base} class="row">
                <div class="field">
                  <label for="new-script_id">Script</label>
                  <select id="new-script_id" name="script_id">
                    {scripts.map((sc) => (
                      <option value={sc.id} selected={sc.id === form.script_id}>{sc.name}</option>
                    ))}
                  </select>
                  {errors.script_id && <p class="error">{errors.script_id}</p>}
                </div>
                <MethodSelect
                  id="new-method"
                  methods={ROUTE_METHODS}
                  selected={form.method ?? "GET"}
                  error={errors.method}
                />
                <Field
                  idPrefix="new"
                  name="path"
                  label="Path"
                  value={form.path}
                  error={errors.path}
                  hint="/users/:id or /files/*"
                  required
                />
                <Field
                  idPrefix="new"
                  name="host"
                  label="Host (optional)"
                  value={form.host}
                  error={errors.host}
                  hint="One of the app's domains; empty for all of them"
                />
                <div class="field submit">
                  <button type="submit">Add route</button>
                </div>
              </form>
            </>
          )}
        </section>
      )}
      <PreviewPanel base={base} preview={s.preview} names={names} />
    </>,
  );
}

function PreviewPanel(p: {
  base: string;
  preview: RoutesState["preview"];
  names: Map<string, string>;
}) {
  const errors = p.preview?.errors ?? {};
  const result = p.preview?.result;
  return (
    <section class="panel">
      <h2>Which script serves a request?</h2>
      <FormError errors={errors} />
      <form method="get" action={p.base} class="row">
        <MethodSelect
          id="preview-method"
          methods={REQUEST_METHODS}
          selected={(p.preview?.method ?? "GET").toUpperCase()}
          error={errors.method}
        />
        <Field
          idPrefix="preview"
          name="url"
          label="URL"
          type="url"
          value={p.preview?.url}
          error={errors.url}
          hint="An absolute URL, e.g. https://shop.example.com/users/42"
          required
        />
        <div class="field submit">
          <button type="submit" class="secondary">Preview</button>
        </div>
      </form>
      {result && (
        <dl class="result" aria-label="Preview result">
          <dt>Route</dt>
          <dd class="mono">{result.method} {result.path}</dd>
          <dt>Script</dt>
          <dd>{p.names.get(result.script_id) ?? result.script_id}</dd>
          <dt>Domain</dt>
          <dd class="mono">{result.claim}</dd>
          <dt>Params</dt>
          <dd class="mono">
            {Object.keys(result.params).length === 0
              ? "none"
              : Object.entries(result.params).map(([k, v]) => `${k}=${v}`).join(", ")}
          </dd>
        </dl>
      )}
    </section>
  );
}

function MethodSelect(p: { id: string; methods: string[]; selected: string; error?: string }) {
  return (
    <div class="field role">
      <label for={p.id}>Method</label>
      <select id={p.id} name="method" aria-invalid={p.error ? "true" : undefined}>
        {p.methods.map((m) => <option key={m} value={m} selected={m === p.selected}>{m}</option>)}
      </select>
      {p.error && <p class="error" id={`${p.id}-error`}>{p.error}</p>}
    </div>
  );
}
