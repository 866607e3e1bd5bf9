/**
 * @module `/api/v1/admin/apps`: list, create, read, rename (old slugs redirect with 308), check a
 * slug, and delete apps; the members, domains and route-preview sub-resources are mounted here.
 * Apps a member does not belong to are 404, not 403.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import { type Action, effectiveAppRole, visibleAppIds } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { bindDomainsApi } from "../domains/api.ts";
import { bindMembersApi } from "../members/api.ts";
import { bindLogsApi } from "../logs/api.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { bindRoutePreviewApi } from "../routes/preview_api.ts";
import { jsonBody, lineText } from "../validate.ts";
import {
  deleteApp,
  findSlugRedirect,
  insertApp,
  listApps,
  lockApp,
  lockSlugs,
  slugHolder,
  updateApp,
} from "./repo.ts";
import { appNotFound, resolveApp } from "./resolve.ts";
import {
  SLUG_PATTERN,
  slugSchema,
  slugStatus,
  takeSlug,
  UUID_SHAPE,
  visibleHolder,
} from "./slugs.ts";

/** The seeded app: always present (it owns `localhost`), so it is neither renamed nor deleted. */
export const DEFAULT_APP_SLUG = "default";

const appName = lineText({ minChars: 1, maxChars: 200, trim: true });

/** `POST /apps`: a new app. `force` takes over a slug held by another app's history. */
export const createAppBody = z.strictObject({
  slug: slugSchema,
  name: appName,
  force: z.boolean().default(false),
});

/** `PATCH /apps/{id_or_slug}`: rename (the old slug then redirects) and/or retitle. */
export const updateAppBody = z.strictObject({
  slug: slugSchema.optional(),
  name: appName.optional(),
  force: z.boolean().default(false),
}).refine((b) => b.slug !== undefined || b.name !== undefined, "Give slug or name");

/** `POST /apps/{id_or_slug}/slug:check`: the slug to check before a rename. */
export const slugCheckBody = z.strictObject({ slug: slugSchema });

/** An app as returned, with the caller's role in it. */
export const appSchema = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  created_at: z.iso.datetime({ offset: true }),
  my_role: z.enum(["admin", "editor", "viewer"]).nullable(),
}).meta({ id: "App" });

const appRefSchema = z.object({ id: z.uuid(), slug: z.string(), name: z.string() });

/** The answer of `slug:check`; `held_by` names the holder only when the caller can see it. */
export const slugCheckSchema = z.object({
  slug: z.string(),
  status: z.enum(["available", "taken", "held_by_history"]),
  held_by: appRefSchema.optional(),
}).meta({ id: "SlugCheck" });

/** Binds `/apps` under the admin router. */
export function bindAppsApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  const appFor = (c: Context<AuthEnv>, action: Action) => resolveApp(deps, c, action);

  // An old slug answers 308 to the same path under the new slug, for callers who see the app.
  api.use("/:app/*", async (c, next) => {
    const ref = c.req.param("app") ?? "";
    const to = !UUID_SHAPE.test(ref) && SLUG_PATTERN.test(ref)
      ? await findSlugRedirect(deps.sql, ref)
      : null;
    if (!to) return await next();
    authorize(c, "app.read", { appId: to.id, notFound: appNotFound(ref) });
    const path = c.req.path.replace(new RegExp(`/apps/${ref}(?=/|$)`), `/apps/${to.slug}`);
    return c.redirect(path + new URL(c.req.url).search, 308);
  });

  api.get("/", async (c) => {
    const p = authorize(c, "app.list");
    const apps = await listApps(deps.sql, visibleAppIds(p));
    return c.json({ items: apps.map((a) => ({ ...a, my_role: effectiveAppRole(p, a.id) })) });
  });

  api.post("/", async (c) => {
    const p = authorize(c, "app.create");
    const input = await jsonBody(c, createAppBody);
    const app = await deps.sql.begin(async (tx) => {
      await takeSlug(tx, p, { appId: null, slug: input.slug, force: input.force });
      const row = await insertApp(tx, input);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "app.create",
        resourceType: "app",
        resourceId: row.id,
        appId: row.id,
        before: null,
        after: row,
      });
      return row;
    });
    await deps.routing.notifyChanged();
    return c.json({ ...app, my_role: effectiveAppRole(p, app.id) }, 201);
  });

  api.get("/:app", async (c) => {
    const { app, p } = await appFor(c, "app.read");
    return c.json({ ...app, my_role: effectiveAppRole(p, app.id) });
  });

  api.patch("/:app", async (c) => {
    const { app, p } = await appFor(c, "app.write");
    const input = await jsonBody(c, updateAppBody);
    const notFound = appNotFound(c.req.param("app"));
    const { before, after } = await deps.sql.begin(async (tx) => {
      // Slug lock before row lock, in every transaction that takes both.
      if (input.slug !== undefined) await lockSlugs(tx);
      const before = await lockApp(tx, app.id);
      if (!before) throw notFound;
      const slug = input.slug ?? before.slug;
      if (slug !== before.slug) {
        if (before.slug === DEFAULT_APP_SLUG) throw defaultAppProtected("renamed");
        await takeSlug(tx, p, { appId: before.id, slug, force: input.force });
      }
      const after = await updateApp(tx, before, { slug, name: input.name ?? before.name });
      await writeAudit(tx, {
        ...actorOf(p),
        action: "app.update",
        resourceType: "app",
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
    return c.json({ ...after, my_role: effectiveAppRole(p, after.id) });
  });

  api.post("/:app/:op{slug:check}", async (c) => {
    const { app, p } = await appFor(c, "app.write");
    const input = await jsonBody(c, slugCheckBody);
    const holder = await slugHolder(deps.sql, input.slug);
    const status = slugStatus(holder, app.id);
    const held_by = status === "available" ? undefined : visibleHolder(p, holder);
    return c.json({ slug: input.slug, status, ...(held_by ? { held_by } : {}) });
  });

  api.delete("/:app", async (c) => {
    const { app, p } = await appFor(c, "app.delete");
    if (app.slug === DEFAULT_APP_SLUG) throw defaultAppProtected("deleted");
    const gone = await deps.sql.begin(async (tx) => {
      const row = await deleteApp(tx, app.id);
      if (row) {
        await writeAudit(tx, {
          ...actorOf(p),
          action: "app.delete",
          resourceType: "app",
          resourceId: row.id,
          appId: row.id,
          before: row,
          after: null,
        });
      }
      return row;
    });
    if (!gone) throw appNotFound(c.req.param("app"));
    // Routing first, so no new request reaches the executor being stopped.
    await deps.routing.notifyChanged();
    await deps.pool.stopApp(app.id);
    return c.body(null, 204);
  });

  api.route("/", bindMembersApi(deps));
  api.route("/", bindLogsApi(deps));
  api.route("/", bindDomainsApi(deps));
  api.route("/", bindRoutePreviewApi(deps));
  return api;
}

function defaultAppProtected(what: string) {
  return new ApiError(409, "default_app", `The default app cannot be ${what}`);
}

const base = "/api/v1/admin/apps";
const appParams = z.object({ id_or_slug: z.string().describe("The app's id or slug") });
const errors = {
  400: { description: "Invalid request (`invalid_request`, with field paths)" },
  401: { description: "Not signed in (`unauthorized`)" },
  403: { description: "The caller's role is too low (`forbidden`)" },
};

/** The endpoints of this router (members are documented with the members router). */
export const appsDocs: EndpointDoc[] = [
  {
    method: "get",
    path: base,
    summary: "List the apps the caller can see, each with `my_role`",
    action: "app.list",
    tag: "apps",
    responses: {
      200: { description: "The apps", schema: z.object({ items: z.array(appSchema) }) },
      401: errors[401],
    },
  },
  {
    method: "post",
    path: base,
    summary: "Create an app (409 `slug_taken`; 409 `slug_held` unless `force`)",
    action: "app.create",
    tag: "apps",
    body: createAppBody,
    responses: {
      201: { description: "The new app", schema: appSchema },
      ...errors,
      409: { description: "`slug_taken` or `slug_held` (send `force: true` to take it over)" },
    },
  },
  {
    method: "get",
    path: `${base}/{id_or_slug}`,
    summary: "Read an app with `my_role`; an old slug answers 308 to the new one",
    action: "app.read",
    tag: "apps",
    params: appParams,
    responses: {
      200: { description: "The app", schema: appSchema },
      308: { description: "Old slug: `Location` is the same path under the current slug" },
      401: errors[401],
      404: { description: "`app_not_found`" },
    },
  },
  {
    method: "patch",
    path: `${base}/{id_or_slug}`,
    summary: "Rename or retitle an app; the old slug redirects (308) until another app claims it",
    action: "app.write",
    tag: "apps",
    params: appParams,
    body: updateAppBody,
    responses: {
      200: { description: "The app after the change", schema: appSchema },
      ...errors,
      404: { description: "`app_not_found`" },
      409: { description: "`slug_taken`, `slug_held` (retry with `force: true`), `default_app`" },
    },
  },
  {
    method: "post",
    path: `${base}/{id_or_slug}/slug:check`,
    summary: "Check a slug before renaming: available, taken, or held by another app's history",
    action: "app.write",
    tag: "apps",
    params: appParams,
    body: slugCheckBody,
    responses: {
      200: { description: "The slug's status for this app", schema: slugCheckSchema },
      ...errors,
      404: { description: "`app_not_found`" },
    },
  },
  {
    method: "delete",
    path: `${base}/{id_or_slug}`,
    summary: "Delete an app with its scripts, routes, domains, schedules and logs",
    action: "app.delete",
    tag: "apps",
    params: appParams,
    responses: {
      204: { description: "Deleted; its executor is stopped" },
      401: errors[401],
      403: errors[403],
      404: { description: "`app_not_found`" },
      409: { description: "`default_app`: the default app cannot be deleted" },
    },
  },
];
