/**
 * @module `/api/v1/admin/apps`: list, create, read, rename (old slugs redirect with 308), check a
 * slug, and delete apps; the members, domains and route-preview sub-resources are mounted here.
 * Apps a member does not belong to are 404, not 403.
 */
import { z } from "zod";
import { principalOf } from "../authn.ts";
import type { ManagerDeps } from "../deps.ts";
import { bindDomainsApi } from "../domains/api.ts";
import type { Routes } from "../endpoint.ts";
import { bindLogsApi } from "../logs/api.ts";
import { bindMembersApi } from "../members/api.ts";
import { bindRoutePreviewApi } from "../routes/preview_api.ts";
import { lineText } from "../validate.ts";
import {
  checkSlug,
  createApp,
  currentSlugOf,
  deleteApp,
  getApp,
  listApps,
  updateApp,
} from "./service.ts";
import { slugSchema } from "./slugs.ts";

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

const appParams = z.object({ id_or_slug: z.string().describe("The app's id or slug") });

/** Binds `/apps` under the admin router: parse, call the service, respond. */
export function bindAppsApi(r: Routes, deps: ManagerDeps): void {
  // An old slug answers 308 to the same path under the new slug, for callers who see the app.
  r.hono.use("/:app/*", async (c, next) => {
    const ref = c.req.param("app") ?? "";
    const slug = await currentSlugOf(deps, principalOf(c), ref);
    if (slug === null) return await next();
    const path = c.req.path.replace(new RegExp(`/apps/${ref}(?=/|$)`), `/apps/${slug}`);
    return c.redirect(path + new URL(c.req.url).search, 308);
  });

  r.add({
    method: "get",
    path: "",
    summary: "List the apps the caller can see, each with `my_role`",
    action: "app.list",
    tag: "apps",
    responses: {
      200: { description: "The apps", schema: z.object({ items: z.array(appSchema) }) },
    },
  }, async ({ p }, c) => c.json({ items: await listApps(deps, p) }));

  r.add({
    method: "post",
    path: "",
    summary: "Create an app (409 `slug_taken`; 409 `slug_held` unless `force`)",
    action: "app.create",
    tag: "apps",
    body: createAppBody,
    responses: {
      201: { description: "The new app", schema: appSchema },
      409: { description: "`slug_taken` or `slug_held` (send `force: true` to take it over)" },
    },
  }, async ({ p, body }, c) => c.json(await createApp(deps, p, body), 201));

  r.add({
    method: "get",
    path: "/{id_or_slug}",
    summary: "Read an app with `my_role`; an old slug answers 308 to the new one",
    action: "app.read",
    tag: "apps",
    params: appParams,
    responses: { 200: { description: "The app", schema: appSchema } },
  }, async ({ p, params }, c) => c.json(await getApp(deps, p, params.id_or_slug)));

  r.add({
    method: "patch",
    path: "/{id_or_slug}",
    summary: "Rename or retitle an app; the old slug redirects (308) until another app claims it",
    action: "app.write",
    tag: "apps",
    params: appParams,
    body: updateAppBody,
    responses: {
      200: { description: "The app after the change", schema: appSchema },
      409: { description: "`slug_taken`, `slug_held` (retry with `force: true`), `default_app`" },
    },
  }, async ({ p, params, body }, c) => c.json(await updateApp(deps, p, params.id_or_slug, body)));

  r.add(
    {
      method: "post",
      path: "/{id_or_slug}/slug:check",
      summary: "Check a slug before renaming: available, taken, or held by another app's history",
      action: "app.write",
      tag: "apps",
      params: appParams,
      body: slugCheckBody,
      responses: {
        200: { description: "The slug's status for this app", schema: slugCheckSchema },
      },
    },
    async ({ p, params, body }, c) =>
      c.json(await checkSlug(deps, p, params.id_or_slug, body.slug)),
  );

  r.add({
    method: "delete",
    path: "/{id_or_slug}",
    summary: "Delete an app with its scripts, routes, domains, schedules and logs",
    action: "app.delete",
    tag: "apps",
    params: appParams,
    responses: {
      204: { description: "Deleted; its executor is stopped" },
      409: { description: "`default_app`: the default app cannot be deleted" },
    },
  }, async ({ p, params }, c) => {
    await deleteApp(deps, p, params.id_or_slug);
    return c.body(null, 204);
  });

  r.mount("", (m) => bindMembersApi(m, deps));
  r.mount("", (m) => bindLogsApi(m, deps));
  r.mount("", (m) => bindDomainsApi(m, deps));
  r.mount("", (m) => bindRoutePreviewApi(m, deps));
}
