/**
 * @module `/api/v1/admin/apps/{id_or_slug}/members`: list, grant, change and revoke app roles —
 * parse, call the members service, respond.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { itemsOf, memberGrantSchema, memberSchema } from "../openapi_schemas.ts";
import { changeMemberRole, grantMember, listMembers, revokeMember } from "./service.ts";

const role = z.enum(["admin", "editor", "viewer"]);

/** `POST …/members`: the user (by id or email) and the role to grant. */
export const grantMemberBody = z.strictObject({
  user_id: z.uuid().optional(),
  email: z.email().optional(),
  role,
}).refine((g) => (g.user_id === undefined) !== (g.email === undefined), "Give user_id or email");

/** `PATCH …/members/{user_id}`: the new role. */
export const changeMemberBody = z.strictObject({ role });

const appParams = z.object({ id_or_slug: z.string().describe("The app's id or slug") });
// Any text: an id that is not a UUID names no member (404, as for an unknown one).
const memberParams = appParams.extend({ user_id: z.string().meta({ format: "uuid" }) });

/** Binds `/{id_or_slug}/members` under the apps router. */
export function bindMembersApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "/{id_or_slug}/members",
    summary: "List an app's members",
    action: "member.read",
    tag: "members",
    params: appParams,
    responses: { 200: { description: "The members, by email", schema: itemsOf(memberSchema) } },
  }, async ({ p, params }, c) => c.json({ items: await listMembers(deps, p, params.id_or_slug) }));

  r.add(
    {
      method: "post",
      path: "/{id_or_slug}/members",
      summary: "Grant a user (by `user_id` or `email`) a role in the app",
      action: "member.write",
      tag: "members",
      params: appParams,
      body: grantMemberBody,
      responses: {
        201: { description: "Granted", schema: memberGrantSchema },
        404: { description: "`app_not_found` or `user_not_found`" },
        409: { description: "`member_exists`: the user already has a role; change it instead" },
      },
    },
    async ({ p, params, body }, c) =>
      c.json(await grantMember(deps, p, params.id_or_slug, body), 201),
  );

  r.add({
    method: "patch",
    path: "/{id_or_slug}/members/{user_id}",
    summary: "Change a member's role",
    action: "member.write",
    tag: "members",
    params: memberParams,
    body: changeMemberBody,
    responses: {
      200: { description: "Changed", schema: memberGrantSchema },
      404: { description: "`app_not_found` or `member_not_found`" },
    },
  }, async ({ p, params, body }, c) =>
    c.json(
      await changeMemberRole(deps, p, params.id_or_slug, {
        userId: params.user_id,
        role: body.role,
      }),
    ));

  r.add({
    method: "delete",
    path: "/{id_or_slug}/members/{user_id}",
    summary: "Revoke a member's role",
    action: "member.write",
    tag: "members",
    params: memberParams,
    responses: {
      204: { description: "Revoked" },
      404: { description: "`app_not_found` or `member_not_found`" },
    },
  }, async ({ p, params }, c) => {
    await revokeMember(deps, p, params.id_or_slug, params.user_id);
    return c.body(null, 204);
  });
}
