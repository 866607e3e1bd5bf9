/**
 * @module `/api/v1/admin/users`: list, create, read, update and delete admin users, with the
 * last-owner and last-admin guards held under row locks.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors.ts";
import { actorOf, writeAudit } from "../audit/repo.ts";
import { expireUserKeys } from "../api_keys/repo.ts";
import { type AuthEnv, authorize } from "../authn.ts";
import type { IdentityDeps } from "../deps.ts";
import { createFailureLimiter, tooManyAttempts } from "../rate_limit.ts";
import { deleteUserSessions } from "../sessions/repo.ts";
import type { EndpointDoc } from "../openapi_types.ts";
import { itemsOf, userSchema } from "../openapi_schemas.ts";
import { jsonBody, lineText } from "../validate.ts";
import {
  deleteUser,
  findPasswordHash,
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
  display_name: lineText({ trim: true, maxChars: 200 }),
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
  current_password: z.string().max(1024).optional().describe(
    "Required with `password` when changing your own password; not needed when an owner or " +
      "admin resets another user's",
  ),
}).refine(
  (p) => Object.keys(p).some((k) => k !== "current_password"),
  "Nothing to change",
);
const uuid = z.uuid();

/** Binds `/users` under the admin router. */
export function bindUsersApi(deps: IdentityDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  // Wrong current passwords count per user like failed sign-ins: a stolen session must not be
  // a free password oracle.
  const currentPasswordFailures = createFailureLimiter({
    maxFailures: deps.config.auth.loginMaxFailures,
    windowMs: deps.config.auth.loginWindowMs,
  });

  /** Self-service password change: the current password proves it is the user, not a thief. */
  const checkCurrentPassword = async (
    c: Context<AuthEnv>,
    userId: string,
    given: string | undefined,
  ) => {
    if (given === undefined) {
      throw new ApiError(
        "current_password_required",
        "Changing your own password needs current_password",
      );
    }
    const waitMs = currentPasswordFailures.blockedForMs(userId);
    if (waitMs > 0) throw tooManyAttempts(c, waitMs, "Too many wrong current passwords");
    const verified = await deps.passwords.verify(await findPasswordHash(deps.sql, userId), given);
    if (!verified.ok) {
      currentPasswordFailures.fail(userId);
      throw new ApiError("invalid_current_password", "The current password is not correct");
    }
    currentPasswordFailures.reset(userId);
  };

  api.get("/", async (c) => {
    authorize(c, "user.read");
    return c.json({ items: await listUsers(deps.sql) });
  });

  api.post("/", async (c) => {
    const p = authorize(c, "user.write");
    const input = await jsonBody(c, createUser);
    // A new user comes with a password: a key could otherwise mint itself a session.
    authorize(c, "user.write", { newRole: input.instance_role, credentials: true });
    const passwordHash = await deps.passwords.hash(input.password);
    const user = await deps.sql.begin(async (tx) => {
      const row = await insertUser(tx, {
        email: input.email,
        displayName: input.display_name,
        passwordHash,
        instanceRole: input.instance_role,
      });
      if (!row) throw new ApiError("email_taken", `A user with this email already exists`);
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
    const credentials = input.password !== undefined;
    const p = authorize(c, "user.write", {
      userId: id,
      privileged,
      newRole: input.instance_role,
      credentials,
    });
    if (!uuid.safeParse(id).success) throw userNotFound(id);
    if (credentials && id === p.userId) await checkCurrentPassword(c, id, input.current_password);
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
        credentials,
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
      throw new ApiError("last_owner", "The last active owner cannot be demoted or removed");
    }
  }
  if (target.instance_role !== "member" && (!staysActive || role === "member")) {
    if (state.otherAdmins === 0) {
      throw new ApiError("last_admin", "The last active admin cannot be demoted or removed");
    }
  }
}

function userNotFound(id: string) {
  return new ApiError("user_not_found", `No user ${id}`);
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
    summary: "Create a user (only owners create owners; a session, not an API key: the user " +
      "gets a password)",
    action: "user.write",
    tag: "users",
    body: createUser,
    responses: {
      201: { description: "Created", schema: userSchema },
      403: { description: "`forbidden`; `session_required`: API keys cannot create users" },
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
      "name, and their own password with `current_password`); deactivating or a new password " +
      "ends their sessions. Passwords change only through a session, never an API key",
    action: "user.write",
    tag: "users",
    params: userParams,
    body: patchUser,
    responses: {
      200: { description: "The updated user", schema: userSchema },
      400: { description: "`current_password_required`: your own new password needs the old one" },
      403: {
        description: "`forbidden`; `invalid_current_password`; `session_required`: an API key " +
          "cannot change a password",
      },
      429: { description: "`too_many_attempts`: too many wrong current passwords" },
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
