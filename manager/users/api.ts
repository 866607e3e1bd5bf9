/**
 * @module `/api/v1/admin/users`: list, create, read, update and delete admin users, with the
 * last-owner and last-admin guards held under row locks.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { expireUserKeys } from "../api_keys/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { IdentityDeps } from "../deps.ts";
import { deleteUserSessions } from "../sessions/repo.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { itemsOf, userSchema } from "../openapi_schemas.ts";
import { jsonBody } from "../validate.ts";
import {
  deleteUser,
  findUser,
  insertUser,
  listUsers,
  lockForRoleChange,
  type RoleGuardState,
  updateUser,
  type UserRow,
} from "./repo.ts";

/** Validated fields shared by user endpoints and first-run setup. */
export const userFields = {
  email: z.email().max(320),
  password: z.string().min(8, "At least 8 characters").max(1024),
  display_name: z.string().trim().max(200),
  instance_role: z.enum(["owner", "admin", "member"]),
};

const createUser = z.strictObject({
  email: userFields.email,
  password: userFields.password,
  display_name: userFields.display_name.default(""),
  instance_role: userFields.instance_role.default("admin"),
});
const patchUser = z.strictObject({
  display_name: userFields.display_name.optional(),
  instance_role: userFields.instance_role.optional(),
  active: z.boolean().optional(),
  password: userFields.password.optional(),
}).refine((p) => Object.keys(p).length > 0, "Nothing to change");
const uuid = z.uuid();

/** Binds `/users` under the admin router. */
export function bindUsersApi(deps: IdentityDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.get("/", async (c) => {
    authorize(c, "user.read");
    return c.json({ items: await listUsers(deps.sql) });
  });

  api.post("/", async (c) => {
    const p = authorize(c, "user.write");
    const input = await jsonBody(c, createUser);
    authorize(c, "user.write", { newRole: input.instance_role });
    const passwordHash = await deps.passwords.hash(input.password);
    const user = await deps.sql.begin(async (tx) => {
      const row = await insertUser(tx, {
        email: input.email,
        displayName: input.display_name,
        passwordHash,
        instanceRole: input.instance_role,
      });
      if (!row) throw new ApiError(409, "email_taken", `A user with this email already exists`);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "user.create",
        resourceType: "user",
        resourceId: row.id,
        appId: null,
        before: null,
        after: row,
      });
      return row;
    });
    return c.json(user, 201);
  });

  api.get("/:id", async (c) => {
    const id = c.req.param("id");
    authorize(c, "user.read", { userId: id });
    const user = uuid.safeParse(id).success ? await findUser(deps.sql, id) : null;
    if (!user) throw userNotFound(id);
    return c.json(user);
  });

  api.patch("/:id", async (c) => {
    const id = c.req.param("id");
    authorize(c, "me.read");
    const input = await jsonBody(c, patchUser);
    const privileged = input.instance_role !== undefined || input.active !== undefined;
    const p = authorize(c, "user.write", { userId: id, privileged, newRole: input.instance_role });
    if (!uuid.safeParse(id).success) throw userNotFound(id);
    const passwordHash = input.password === undefined
      ? undefined
      : await deps.passwords.hash(input.password);
    const user = await deps.sql.begin(async (tx) => {
      const state = await lockForRoleChange(tx, id);
      const before = state.target;
      if (!before) throw userNotFound(id);
      authorize(c, "user.write", {
        userId: id,
        privileged,
        targetRole: before.instance_role,
        newRole: input.instance_role,
      });
      assertGuards(state, before, { role: input.instance_role, active: input.active });
      const after = await updateUser(tx, id, {
        displayName: input.display_name,
        instanceRole: input.instance_role,
        active: input.active,
        passwordHash,
      });
      const deactivated = before.active && input.active === false;
      if (deactivated || passwordHash !== undefined) await deleteUserSessions(tx, id);
      if (deactivated) await expireUserKeys(tx, id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "user.update",
        resourceType: "user",
        resourceId: id,
        appId: null,
        before,
        after: { ...after, password_changed: passwordHash !== undefined },
      });
      return after;
    });
    return c.json(user);
  });

  api.delete("/:id", async (c) => {
    const id = c.req.param("id");
    const p = authorize(c, "user.write", { userId: id, privileged: true });
    if (!uuid.safeParse(id).success) throw userNotFound(id);
    await deps.sql.begin(async (tx) => {
      const state = await lockForRoleChange(tx, id);
      const before = state.target;
      if (!before) throw userNotFound(id);
      authorize(c, "user.write", {
        userId: id,
        privileged: true,
        targetRole: before.instance_role,
      });
      assertGuards(state, before, { role: "member", active: false });
      await deleteUser(tx, id);
      await writeAudit(tx, {
        ...actorOf(p),
        action: "user.delete",
        resourceType: "user",
        resourceId: id,
        appId: null,
        before,
        after: null,
      });
    });
    return c.body(null, 204);
  });

  return api;
}

/** The last active owner, and the last active admin-or-owner, cannot lose that standing. */
function assertGuards(
  state: RoleGuardState,
  target: UserRow,
  change: { role?: UserRow["instance_role"]; active?: boolean },
) {
  if (!target.active) return;
  const staysActive = change.active !== false;
  const role = change.role ?? target.instance_role;
  if (target.instance_role === "owner" && (!staysActive || role !== "owner")) {
    if (state.otherOwners === 0) {
      throw new ApiError(409, "last_owner", "The last active owner cannot be demoted or removed");
    }
  }
  if (target.instance_role !== "member" && (!staysActive || role === "member")) {
    if (state.otherAdmins === 0) {
      throw new ApiError(409, "last_admin", "The last active admin cannot be demoted or removed");
    }
  }
}

function userNotFound(id: string) {
  return new ApiError(404, "user_not_found", `No user ${id}`);
}

const userParams = z.object({ id: uuid });

/** The OpenAPI description of `/users`. */
export const usersDocs: EndpointDoc[] = [
  {
    method: "get",
    path: "/api/v1/admin/users",
    summary: "List admin users",
    action: "user.read",
    tag: "users",
    responses: {
      200: { description: "Every user", schema: itemsOf(userSchema) },
      403: { description: "`forbidden`" },
    },
  },
  {
    method: "post",
    path: "/api/v1/admin/users",
    summary: "Create a user (only owners create owners)",
    action: "user.write",
    tag: "users",
    body: createUser,
    responses: {
      201: { description: "Created", schema: userSchema },
      403: { description: "`forbidden`" },
      409: { description: "`email_taken`" },
    },
  },
  {
    method: "get",
    path: "/api/v1/admin/users/{id}",
    summary: "Read a user (anyone may read themselves)",
    action: "user.read",
    tag: "users",
    params: userParams,
    responses: {
      200: { description: "The user", schema: userSchema },
      403: { description: "`forbidden`" },
      404: { description: "`user_not_found`" },
    },
  },
  {
    method: "patch",
    path: "/api/v1/admin/users/{id}",
    summary: "Change a user's name, password, role or active flag (anyone may edit their own " +
      "name and password); deactivating or a new password ends their sessions",
    action: "user.write",
    tag: "users",
    params: userParams,
    body: patchUser,
    responses: {
      200: { description: "The updated user", schema: userSchema },
      403: { description: "`forbidden`" },
      404: { description: "`user_not_found`" },
      409: { description: "`last_owner` or `last_admin`: the last one cannot lose that standing" },
    },
  },
  {
    method: "delete",
    path: "/api/v1/admin/users/{id}",
    summary: "Delete a user",
    action: "user.write",
    tag: "users",
    params: userParams,
    responses: {
      204: { description: "Deleted" },
      403: { description: "`forbidden`" },
      404: { description: "`user_not_found`" },
      409: { description: "`last_owner` or `last_admin`" },
    },
  },
];
