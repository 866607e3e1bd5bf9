/**
 * @module `/api/v1/admin/apps/{id_or_slug}/members`: list, grant, change and revoke app roles.
 * Grant is one `INSERT … ON CONFLICT DO NOTHING RETURNING` (409 `member_exists`), change one
 * `UPDATE … RETURNING` (404 `member_not_found`), so both hold under concurrent requests.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { findApp } from "../apps/repo.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { Action } from "../authz.ts";
import type { ManagerDeps } from "../deps.ts";
import { findUser, findUserByEmail } from "../users/repo.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { itemsOf, memberGrantSchema, memberSchema } from "../openapi_schemas.ts";
import { jsonBody } from "../validate.ts";
import { deleteMember, listMembers, tryInsertMember, updateMemberRole } from "./repo.ts";

const role = z.enum(["admin", "editor", "viewer"]);
const grant = z.strictObject({ user_id: z.uuid().optional(), email: z.email().optional(), role })
  .refine((g) => (g.user_id === undefined) !== (g.email === undefined), "Give user_id or email");
const change = z.strictObject({ role });
const uuid = z.uuid();

/** Binds `/:app/members` under the apps router. */
export function bindMembersApi(deps: ManagerDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  /** Resolves the app and enforces `action` on it (invisible apps are 404). */
  const appFor = async (c: Parameters<typeof authorize>[0], action: Action) => {
    authorize(c, "me.read");
    const ref = c.req.param("app") ?? "";
    const app = await findApp(deps.sql, ref);
    const notFound = new ApiError("app_not_found", `No app ${ref}`);
    if (!app) throw notFound;
    return { app, p: authorize(c, action, { appId: app.id, notFound }) };
  };

  api.get("/:app/members", async (c) => {
    const { app } = await appFor(c, "member.read");
    return c.json({ items: await listMembers(deps.sql, app.id) });
  });

  api.post("/:app/members", async (c) => {
    const { app, p } = await appFor(c, "member.write");
    const input = await jsonBody(c, grant);
    const user = input.user_id
      ? await findUser(deps.sql, input.user_id)
      : await findUserByEmail(deps.sql, input.email!);
    if (!user) throw new ApiError("user_not_found", "No such user");
    await deps.sql.begin(async (tx) => {
      const row = await tryInsertMember(tx, { appId: app.id, userId: user.id, role: input.role });
      if (!row) {
        throw new ApiError(
          "member_exists",
          `${user.email} is already a member of ${app.slug}`,
        );
      }
      await writeAudit(tx, {
        ...actorOf(p),
        action: "member.grant",
        resourceType: "member",
        resourceId: user.id,
        appId: app.id,
        before: null,
        after: { user_id: user.id, role: row.role },
      });
    });
    return c.json({ app_id: app.id, user_id: user.id, role: input.role }, 201);
  });

  api.patch("/:app/members/:user_id", async (c) => {
    const { app, p } = await appFor(c, "member.write");
    const input = await jsonBody(c, change);
    const userId = c.req.param("user_id");
    const row = uuid.safeParse(userId).success &&
      await deps.sql.begin(async (tx) => {
        const row = await updateMemberRole(tx, { appId: app.id, userId, role: input.role });
        if (row) {
          await writeAudit(tx, {
            ...actorOf(p),
            action: "member.update",
            resourceType: "member",
            resourceId: userId,
            appId: app.id,
            before: { user_id: userId, role: row.before },
            after: { user_id: userId, role: row.role },
          });
        }
        return row;
      });
    if (!row) throw memberNotFound(userId, app.slug);
    return c.json({ app_id: app.id, user_id: userId, role: row.role });
  });

  api.delete("/:app/members/:user_id", async (c) => {
    const { app, p } = await appFor(c, "member.write");
    const userId = c.req.param("user_id");
    const row = uuid.safeParse(userId).success &&
      await deps.sql.begin(async (tx) => {
        const row = await deleteMember(tx, { appId: app.id, userId });
        if (row) {
          await writeAudit(tx, {
            ...actorOf(p),
            action: "member.revoke",
            resourceType: "member",
            resourceId: userId,
            appId: app.id,
            before: { user_id: userId, role: row.role },
            after: null,
          });
        }
        return row;
      });
    if (!row) throw memberNotFound(userId, app.slug);
    return c.body(null, 204);
  });

  return api;
}

function memberNotFound(userId: string, slug: string) {
  return new ApiError("member_not_found", `${userId} is not a member of ${slug}`);
}

const appParam = z.string().describe("The app's id or slug");
const appNotFound = { description: "`app_not_found`: no such app, or not visible to the caller" };

/** The OpenAPI description of `/apps/{id_or_slug}/members`. */
export const membersDocs: EndpointDoc[] = [
  {
    method: "get",
    path: "/api/v1/admin/apps/{id_or_slug}/members",
    summary: "List an app's members",
    action: "member.read",
    tag: "members",
    params: z.object({ id_or_slug: appParam }),
    responses: {
      200: { description: "The members, by email", schema: itemsOf(memberSchema) },
      404: appNotFound,
    },
  },
  {
    method: "post",
    path: "/api/v1/admin/apps/{id_or_slug}/members",
    summary: "Grant a user (by `user_id` or `email`) a role in the app",
    action: "member.write",
    tag: "members",
    params: z.object({ id_or_slug: appParam }),
    body: grant,
    responses: {
      201: { description: "Granted", schema: memberGrantSchema },
      403: { description: "`forbidden`" },
      404: { description: "`app_not_found` or `user_not_found`" },
      409: { description: "`member_exists`: the user already has a role; change it instead" },
    },
  },
  {
    method: "patch",
    path: "/api/v1/admin/apps/{id_or_slug}/members/{user_id}",
    summary: "Change a member's role",
    action: "member.write",
    tag: "members",
    params: z.object({ id_or_slug: appParam, user_id: uuid }),
    body: change,
    responses: {
      200: { description: "Changed", schema: memberGrantSchema },
      403: { description: "`forbidden`" },
      404: { description: "`app_not_found` or `member_not_found`" },
    },
  },
  {
    method: "delete",
    path: "/api/v1/admin/apps/{id_or_slug}/members/{user_id}",
    summary: "Revoke a member's role",
    action: "member.write",
    tag: "members",
    params: z.object({ id_or_slug: appParam, user_id: uuid }),
    responses: {
      204: { description: "Revoked" },
      403: { description: "`forbidden`" },
      404: { description: "`app_not_found` or `member_not_found`" },
    },
  },
];
