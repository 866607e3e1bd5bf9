/**
 * @module The apps service: list, create, read, rename, check a slug, delete — each authorizes,
 * runs its transaction, writes the audit entry and notifies routing. No HTTP here.
 */
import { ApiError } from "../../common/errors.ts";
import { recordChange } from "../audit/service.ts";
import { assertCan, effectiveAppRole, type Principal, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import {
  type AppRow,
  deleteApp as deleteAppRow,
  findApp,
  findSlugRedirect,
  insertApp,
  listApps as listAppRows,
  lockApp,
  lockSlugs,
  slugHolder,
  updateApp as updateAppRow,
} from "./repo.ts";
import { appNotFound } from "./resolve.ts";
import {
  SLUG_PATTERN,
  type SlugStatus,
  slugStatus,
  takeSlug,
  UUID_SHAPE,
  visibleHolder,
} from "./slugs.ts";

/** The seeded app: always present (it owns `localhost`), so it is neither renamed nor deleted. */
export const DEFAULT_APP_SLUG = "default";

/** An app with the caller's effective role in it. */
export type AppView = AppRow & { my_role: ReturnType<typeof effectiveAppRole> };

type Deps = Pick<ManagerDeps, "sql" | "routing" | "pool">;

function view(p: Principal, app: AppRow): AppView {
  return { ...app, my_role: effectiveAppRole(p, app.id) };
}

/** The apps the caller can see. */
export async function listApps(deps: Pick<Deps, "sql">, p: Principal): Promise<AppView[]> {
  assertCan(p, "app.list");
  const apps = await listAppRows(deps.sql, visibleAppIds(p));
  return apps.map((a) => view(p, a));
}

/** A new app; `force` takes over a slug held by another app's history. */
export async function createApp(
  deps: Deps,
  p: Principal,
  input: { slug: string; name: string; force: boolean },
): Promise<AppView> {
  assertCan(p, "app.create");
  const app = await deps.sql.begin(async (tx) => {
    await takeSlug(tx, p, { appId: null, slug: input.slug, force: input.force });
    const row = await insertApp(tx, input);
    await recordChange(tx, p, {
      action: "app.create",
      resourceId: row.id,
      appId: row.id,
      before: null,
      after: row,
    });
    return row;
  });
  await deps.routing.notifyChanged();
  return view(p, app);
}

/** The app named by id or slug, when the caller may do `action` on it (404 otherwise, or 403). */
export async function appFor(
  deps: Pick<Deps, "sql">,
  p: Principal,
  ref: string,
  action: Parameters<typeof assertCan>[1],
): Promise<AppRow> {
  const app = await findApp(deps.sql, ref);
  if (!app) throw appNotFound(ref);
  assertCan(p, action, { appId: app.id, notFound: appNotFound(ref) });
  return app;
}

/**
 * The current slug of the app `ref` used to name, when `ref` is an old slug (null otherwise), for
 * callers who may read the app; anyone else gets the app's 404 (401 when anonymous). Both front
 * doors answer an old slug with a redirect to this one.
 */
export async function currentSlugOf(
  deps: Pick<Deps, "sql">,
  p: Principal | null,
  ref: string,
): Promise<string | null> {
  if (UUID_SHAPE.test(ref) || !SLUG_PATTERN.test(ref)) return null;
  const to = await findSlugRedirect(deps.sql, ref);
  if (!to) return null;
  assertCan(p, "app.read", { appId: to.id, notFound: appNotFound(ref) });
  return to.slug;
}

/** One app with the caller's role. */
export async function getApp(deps: Pick<Deps, "sql">, p: Principal, ref: string) {
  return view(p, await appFor(deps, p, ref, "app.read"));
}

/** Renames (the old slug then redirects) and/or retitles an app. */
export async function updateApp(
  deps: Deps,
  p: Principal,
  ref: string,
  input: { slug?: string; name?: string; force: boolean },
): Promise<AppView> {
  const app = await appFor(deps, p, ref, "app.write");
  const { before, after } = await deps.sql.begin(async (tx) => {
    // Slug lock before row lock, in every transaction that takes both.
    if (input.slug !== undefined) await lockSlugs(tx);
    const before = await lockApp(tx, app.id);
    if (!before) throw appNotFound(ref);
    const slug = input.slug ?? before.slug;
    if (slug !== before.slug) {
      if (before.slug === DEFAULT_APP_SLUG) throw defaultAppProtected("renamed");
      await takeSlug(tx, p, { appId: before.id, slug, force: input.force });
    }
    const after = await updateAppRow(tx, before, { slug, name: input.name ?? before.name });
    await recordChange(tx, p, {
      action: "app.update",
      resourceId: before.id,
      appId: before.id,
      before,
      after,
    });
    return { before, after };
  });
  if (before.slug !== after.slug) {
    await deps.routing.notifyChanged();
    // Warm workers were built with the old `ctx.app.slug`; the next request starts fresh.
    await deps.pool.stopApp(after.id);
  }
  return view(p, after);
}

/** Whether a slug is free for this app: available, taken, or held by another app's history. */
export async function checkSlug(
  deps: Pick<Deps, "sql">,
  p: Principal,
  ref: string,
  slug: string,
): Promise<{ slug: string; status: SlugStatus; held_by?: ReturnType<typeof visibleHolder> }> {
  const app = await appFor(deps, p, ref, "app.write");
  const holder = await slugHolder(deps.sql, slug);
  const status = slugStatus(holder, app.id);
  const held_by = status === "available" ? undefined : visibleHolder(p, holder);
  return { slug, status, ...(held_by ? { held_by } : {}) };
}

/** Deletes an app with everything in it; routing first, then its executor is stopped. */
export async function deleteApp(deps: Deps, p: Principal, ref: string): Promise<void> {
  const app = await appFor(deps, p, ref, "app.delete");
  if (app.slug === DEFAULT_APP_SLUG) throw defaultAppProtected("deleted");
  const gone = await deps.sql.begin(async (tx) => {
    const row = await deleteAppRow(tx, app.id);
    if (row) {
      await recordChange(tx, p, {
        action: "app.delete",
        resourceId: row.id,
        appId: row.id,
        before: row,
        after: null,
      });
    }
    return row;
  });
  if (!gone) throw appNotFound(ref);
  // Routing first, so no new request reaches the executor being stopped.
  await deps.routing.notifyChanged();
  await deps.pool.stopApp(app.id);
}

function defaultAppProtected(what: string) {
  return new ApiError("default_app", `The default app cannot be ${what}`);
}
