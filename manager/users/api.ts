/**
 * @module `/api/v1/admin/users`: list, create, read, update and delete admin users. The rules
 * (role guards, the current-password check) are in the users service.
 */
import { z } from "zod";
import type { ManagerDeps } from "../deps.ts";
import type { Routes } from "../endpoint.ts";
import { itemsOf, userSchema } from "../openapi_schemas.ts";
import { lineText } from "../validate.ts";
import { createUser, deleteUser, getUser, listUsers, updateUser } from "./service.ts";

/** Validated fields shared by user endpoints and first-run setup. */
export const userFields = {
  email: z.email().max(320),
  password: z.string().min(8, "At least 8 characters").max(1024),
  display_name: lineText({ trim: true, maxChars: 200 }),
  instance_role: z.enum(["owner", "admin", "member"]),
};

/** `POST /users`: a new user with a password. */
export const createUserBody = z.strictObject({
  email: userFields.email,
  password: userFields.password,
  display_name: userFields.display_name.default(""),
  instance_role: userFields.instance_role.default("admin"),
});

/** `PATCH /users/{id}`: what to change. */
export const patchUserBody = z.strictObject({
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

/** Any text: an id that is not a UUID is a 404 `user_not_found`, like an unknown one. */
const userParams = z.object({
  id: z.string().meta({ format: "uuid", description: "The user's id" }),
});

/** Binds `/users` under the admin router: parse, call the service, respond. */
export function bindUsersApi(r: Routes, deps: ManagerDeps): void {
  r.add({
    method: "get",
    path: "",
    summary: "List admin users",
    action: "user.read",
    tag: "users",
    responses: { 200: { description: "Every user", schema: itemsOf(userSchema) } },
  }, async ({ p }, c) => c.json({ items: await listUsers(deps, p) }));

  r.add({
    method: "post",
    path: "",
    summary: "Create a user (only owners create owners; a session, not an API key: the user " +
      "gets a password)",
    action: "user.write",
    tag: "users",
    body: createUserBody,
    responses: {
      201: { description: "Created", schema: userSchema },
      403: { description: "`forbidden`; `session_required`: API keys cannot create users" },
      409: { description: "`email_taken`" },
    },
  }, async ({ p, body }, c) => c.json(await createUser(deps, p, body), 201));

  r.add({
    method: "get",
    path: "/{id}",
    summary: "Read a user (anyone may read themselves)",
    action: "user.read",
    tag: "users",
    params: userParams,
    responses: {
      200: { description: "The user", schema: userSchema },
      404: { description: "`user_not_found`" },
    },
  }, async ({ p, params }, c) => c.json(await getUser(deps, p, params.id)));

  r.add({
    method: "patch",
    path: "/{id}",
    summary: "Change a user's name, password, role or active flag (anyone may edit their own " +
      "name, and their own password with `current_password`); deactivating or a new password " +
      "ends their sessions. Passwords change only through a session, never an API key",
    action: "user.write",
    tag: "users",
    params: userParams,
    body: patchUserBody,
    responses: {
      200: { description: "The updated user", schema: userSchema },
      400: { description: "`current_password_required`: your own new password needs the old one" },
      403: {
        description: "`forbidden`; `invalid_current_password`; `session_required`: an API key " +
          "cannot change a password",
      },
      404: { description: "`user_not_found`" },
      409: { description: "`last_owner` or `last_admin`: the last one cannot lose that standing" },
      429: { description: "`too_many_attempts`: too many wrong current passwords" },
    },
  }, async ({ p, params, body }, c) => c.json(await updateUser(deps, p, params.id, body)));

  r.add({
    method: "delete",
    path: "/{id}",
    summary: "Delete a user",
    action: "user.write",
    tag: "users",
    params: userParams,
    responses: {
      204: { description: "Deleted" },
      404: { description: "`user_not_found`" },
      409: { description: "`last_owner` or `last_admin`" },
    },
  }, async ({ p, params }, c) => {
    await deleteUser(deps, p, params.id);
    return c.body(null, 204);
  });
}
