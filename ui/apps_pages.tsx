/** @module The apps list (`/admin`, with search) and the "new app" form (`POST /admin/apps`). */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { createAppBody } from "../manager/apps/api.ts";
import { type AppView, createApp, listApps } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { Field, type FieldErrors, fieldErrors, FormError, formOf, parseForm } from "./forms.tsx";
import { callerOf, page, type UiEnv } from "./layout.tsx";

interface NewAppState {
  form: Record<string, string>;
  errors: FieldErrors;
  /** The slug is another app's old one: offer to take it over. */
  held: boolean;
}

/** Binds `GET /admin` and `POST /admin/apps`. */
export function bindAppsPages(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/", async (c) => await listPage(c, deps));

  ui.post("/apps", async (c) => {
    const form = await formOf(c);
    try {
      const input = parseForm(createAppBody, {
        slug: form.slug ?? "",
        name: form.name ?? "",
        force: form.force === "on",
      });
      const app = await createApp(deps, callerOf(c)!, input);
      return c.redirect(`/admin/apps/${app.slug}`, 303);
    } catch (err) {
      const errors = fieldErrors(err, { slug_taken: "slug", slug_held: "slug" });
      const held = err instanceof ApiError && err.code === "slug_held";
      const status = err instanceof ApiError ? err.status : 400;
      return await listPage(c, deps, { form, errors, held }, status);
    }
  });
}

async function listPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  state: NewAppState = { form: {}, errors: {}, held: false },
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  const p = callerOf(c)!;
  const q = (c.req.query("q") ?? "").trim();
  const all = await listApps(deps, p);
  const apps = q === "" ? all : all.filter((a) => matches(a, q));
  return page(
    c,
    { title: "Apps", status, crumbs: [{ label: "Apps" }] },
    <>
      <h1>Apps</h1>
      <form class="panel row" method="get" action="/admin" role="search">
        <div class="field">
          <label for="q">Search apps</label>
          <input id="q" name="q" type="search" value={q} placeholder="Slug or name" />
        </div>
        <div class="field submit">
          <button type="submit" class="secondary">Search</button>
        </div>
      </form>
      <section class="panel">
        <h2>{q ? `Apps matching “${q}”` : "Your apps"}</h2>
        <AppsTable apps={apps} />
      </section>
      {can(p, "app.create") && <NewAppForm state={state} />}
    </>,
  );
}

function matches(a: AppView, q: string): boolean {
  const needle = q.toLowerCase();
  return a.slug.includes(needle) || a.name.toLowerCase().includes(needle);
}

function AppsTable(p: { apps: AppView[] }) {
  if (p.apps.length === 0) return <p class="empty">No apps.</p>;
  return (
    <table class="stack">
      <thead>
        <tr>
          <th scope="col">Slug</th>
          <th scope="col">Name</th>
          <th scope="col">Your role</th>
        </tr>
      </thead>
      <tbody>
        {p.apps.map((a) => (
          <tr>
            <td>
              <a class="mono" href={`/admin/apps/${a.slug}`}>{a.slug}</a>
            </td>
            <td>{a.name}</td>
            <td>
              <span class="badge">{a.my_role ?? "none"}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NewAppForm({ state }: { state: NewAppState }) {
  return (
    <section class="panel" aria-labelledby="new-app">
      <h2 id="new-app">New app</h2>
      <FormError errors={state.errors} />
      <form method="post" action="/admin/apps">
        <div class="row">
          <Field
            name="slug"
            label="Slug"
            idPrefix="new"
            value={state.form.slug}
            error={state.errors.slug}
            hint="Lower-case letters, digits and hyphens"
            required
          />
          <Field
            name="name"
            label="Name"
            idPrefix="new"
            value={state.form.name}
            error={state.errors.name}
            required
          />
        </div>
        {state.held && (
          <div class="field">
            <label class="check">
              <input type="checkbox" name="force" /> Take it over (the old app's redirect stops)
            </label>
          </div>
        )}
        <button type="submit">Create app</button>
      </form>
    </section>
  );
}
