/**
 * @module The app's Settings tab: retitle, the two-step rename (check the slug with the apps
 * service, show what it found, then confirm; a held slug needs "take it over"), and delete with
 * a confirmation step.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { slugCheckBody, updateAppBody } from "../manager/apps/api.ts";
import { listSlugHistory } from "../manager/apps/repo.ts";
import {
  type AppView,
  checkSlug,
  DEFAULT_APP_SLUG,
  deleteApp,
  getApp,
  updateApp,
} from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { appPage, ConfirmForm } from "./app_shell.tsx";
import { Field, type FieldErrors, fieldErrors, FormError, formOf, parseForm } from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";

type SlugCheck = Awaited<ReturnType<typeof checkSlug>>;

interface SettingsState {
  errors?: FieldErrors;
  name?: string;
  newSlug?: string;
  check?: SlugCheck;
  status?: ContentfulStatusCode;
}

/** Binds the Settings tab under `/apps/:slug`. */
export function bindSettingsTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const show = async (c: Context<UiEnv>) => {
    const p = callerOf(c)!;
    const app = await getApp(deps, p, c.req.param("slug")!);
    const newSlug = c.req.query("new_slug")?.trim();
    if (!newSlug) return await settingsPage(c, deps, app);
    // Step one of a rename: what the slug is now (the service answers, nothing changes yet).
    try {
      const { slug } = parseForm(slugCheckBody, { slug: newSlug });
      const check = await checkSlug(deps, p, app.slug, slug);
      return await settingsPage(c, deps, app, { newSlug, check });
    } catch (err) {
      const errors = fieldErrors(err, { slug: "new_slug" });
      return await settingsPage(c, deps, app, { newSlug, errors, status: statusOf(err) });
    }
  };
  ui.get("/apps/:slug/settings", show);

  ui.post("/apps/:slug/name", async (c) => {
    const p = callerOf(c)!;
    const form = await formOf(c);
    try {
      const input = parseForm(updateAppBody, { name: form.name ?? "", force: false });
      const app = await updateApp(deps, p, c.req.param("slug"), input);
      return c.redirect(`/admin/apps/${app.slug}/settings`, 303);
    } catch (err) {
      const app = await getApp(deps, p, c.req.param("slug"));
      const errors = fieldErrors(err);
      return await settingsPage(c, deps, app, { errors, name: form.name, status: statusOf(err) });
    }
  });

  // Step two of a rename: the confirmed slug (and `force` for a held one).
  ui.post("/apps/:slug/rename", async (c) => {
    const p = callerOf(c)!;
    const form = await formOf(c);
    try {
      const input = parseForm(updateAppBody, { slug: form.slug ?? "", force: form.force === "on" });
      const app = await updateApp(deps, p, c.req.param("slug"), input);
      return c.redirect(`/admin/apps/${app.slug}/settings`, 303);
    } catch (err) {
      const app = await getApp(deps, p, c.req.param("slug"));
      const errors = fieldErrors(err, {
        slug_taken: "new_slug",
        slug_held: "new_slug",
        slug: "new_slug",
      });
      return await settingsPage(c, deps, app, {
        newSlug: form.slug,
        errors,
        status: statusOf(err),
      });
    }
  });

  ui.get("/apps/:slug/delete", async (c) => {
    const app = await getApp(deps, callerOf(c)!, c.req.param("slug"));
    return deletePage(c, app);
  });

  ui.post("/apps/:slug/delete", async (c) => {
    const p = callerOf(c)!;
    const app = await getApp(deps, p, c.req.param("slug"));
    const form = await formOf(c);
    if (form.confirm !== app.slug) {
      return deletePage(c, app, `Type ${app.slug} to confirm`);
    }
    await deleteApp(deps, p, app.slug);
    return c.redirect("/admin", 303);
  });
}

function statusOf(err: unknown): ContentfulStatusCode {
  return err instanceof ApiError ? err.status : 400;
}

async function settingsPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: SettingsState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const writable = can(p, "app.write", { appId: app.id });
  const errors = s.errors ?? {};
  const history = await listSlugHistory(deps.sql, app.id);
  const base = `/admin/apps/${app.slug}`;
  const isDefault = app.slug === DEFAULT_APP_SLUG;
  return appPage(
    c,
    { app, tab: "settings", status: s.status },
    <>
      <FormError errors={errors} />
      <section class="panel">
        <h2>About</h2>
        <p>
          Slug <code>{app.slug}</code> · created {app.created_at.toISOString().slice(0, 10)}{" "}
          · your role <span class="badge">{app.my_role}</span>
        </p>
        {history.length > 0 && (
          <p class="hint">Old slugs that redirect here: {history.join(", ")}</p>
        )}
      </section>
      {writable && (
        <section class="panel">
          <h2>Name</h2>
          <form method="post" action={`${base}/name`} class="row">
            <Field
              name="name"
              label="Name"
              value={s.name ?? app.name}
              error={errors.name}
              required
            />
            <div class="field submit">
              <button type="submit">Save name</button>
            </div>
          </form>
        </section>
      )}
      {writable && !isDefault && <RenameSection base={base} s={s} errors={errors} />}
      {writable && !isDefault && (
        <section class="panel">
          <h2>Delete</h2>
          <p>Deleting the app removes its scripts, routes, domains, schedules and logs.</p>
          <a class="button secondary" href={`${base}/delete`}>Delete this app…</a>
        </section>
      )}
    </>,
  );
}

function RenameSection(p: { base: string; s: SettingsState; errors: FieldErrors }) {
  const { check } = p.s;
  return (
    <section class="panel">
      <h2>Slug</h2>
      <p class="hint">
        Renaming keeps the old slug as a redirect to the new one until another app takes it.
      </p>
      <form method="get" action={`${p.base}/settings`} class="row">
        <Field
          name="new_slug"
          label="New slug"
          value={p.s.newSlug}
          error={p.errors.new_slug}
          required
        />
        <div class="field submit">
          <button type="submit" class="secondary">Check</button>
        </div>
      </form>
      {check && <SlugVerdict base={p.base} check={check} />}
    </section>
  );
}

function SlugVerdict(p: { base: string; check: SlugCheck }) {
  const { check } = p;
  if (check.status === "taken") {
    const by = check.held_by ? ` by ${check.held_by.name}` : "";
    return <p class="error" role="status">{check.slug} is in use{by}; choose another</p>;
  }
  const held = check.status === "held_by_history";
  return (
    <form method="post" action={`${p.base}/rename`}>
      <input type="hidden" name="slug" value={check.slug} />
      {held
        ? (
          <p class="warn" role="status">
            {check.slug} is an old slug of {check.held_by?.name ?? "another app"}{" "}
            and redirects there.
          </p>
        )
        : <p class="ok" role="status">{check.slug} is available.</p>}
      {held && (
        <div class="field">
          <label class="check">
            <input type="checkbox" name="force" /> Take it over (its redirect stops)
          </label>
        </div>
      )}
      <button type="submit">Rename to {check.slug}</button>
    </form>
  );
}

function deletePage(c: Context<UiEnv>, app: AppView, error?: string): Response {
  const base = `/admin/apps/${app.slug}`;
  return appPage(
    c,
    { app, tab: "settings", status: error ? 400 : 200 },
    <ConfirmForm
      action={`${base}/delete`}
      question={`Delete ${app.name}?`}
      button="Delete app"
      cancel={`${base}/settings`}
    >
      <p>
        Its scripts, routes, domains, schedules and logs are deleted too. This cannot be undone.
      </p>
      <Field
        name="confirm"
        label={`Type ${app.slug} to confirm`}
        error={error}
        autocomplete="off"
        required
      />
    </ConfirmForm>,
  );
}
