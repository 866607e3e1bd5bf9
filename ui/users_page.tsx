/**
 * @module The instance users page `/admin/users` (instance admins and owners): the list, a create
 * form, and per user a role change and deactivate/reactivate with a confirmation step. The users
 * service decides everything (who may touch owners, the last-owner and last-admin guards); its
 * refusals are shown as messages on the page.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { can, type InstanceRole } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { createUserBody, patchUserBody } from "../manager/users/api.ts";
import { createUser, getUser, listUsers, updateUser } from "../manager/users/service.ts";
import { ConfirmForm } from "./app_shell.tsx";
import {
  errorStatus,
  Field,
  type FieldErrors,
  fieldErrors,
  FormError,
  formOf,
  parseForm,
} from "./forms.tsx";
import { callerOf, page, type UiEnv } from "./layout.tsx";

const BASE = "/admin/users";
const CRUMBS = [{ label: "Apps", href: "/admin" }, { label: "Users", href: BASE }];
const ROLES: InstanceRole[] = ["member", "admin", "owner"];

interface UsersState {
  /** Errors of the create form. */
  errors?: FieldErrors;
  form?: Record<string, string>;
  /** A refused change to an existing user (a guard, a missing right). */
  refused?: string;
  status?: ContentfulStatusCode;
}

/** Binds the users page under `/users`. */
export function bindUsersPage(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  ui.get("/users", async (c) => await usersPage(c, deps));

  ui.post("/users", async (c) => {
    const form = await formOf(c);
    try {
      const input = parseForm(createUserBody, {
        email: form.email ?? "",
        password: form.password ?? "",
        display_name: form.display_name ?? "",
        instance_role: form.instance_role ?? "",
      });
      await createUser(deps, callerOf(c)!, input);
      return c.redirect(BASE, 303);
    } catch (err) {
      const errors = fieldErrors(err, { email_taken: "email", forbidden: "instance_role" });
      // The password is never sent back into the page.
      const kept = { ...form, password: "" };
      return await usersPage(c, deps, { errors, form: kept, status: errorStatus(err) });
    }
  });

  ui.post("/users/:id/role", async (c) => {
    const form = await formOf(c);
    return await change(
      c,
      deps,
      () => parseForm(patchUserBody, { instance_role: form.instance_role ?? "" }),
    );
  });

  ui.get("/users/:id/active", async (c) => {
    const user = await getUser(deps, callerOf(c)!, c.req.param("id"));
    const verb = user.active ? "Deactivate" : "Reactivate";
    return page(
      c,
      { title: `${verb} user`, crumbs: [...CRUMBS, { label: user.email }] },
      <ConfirmForm
        action={`${BASE}/${user.id}/active`}
        question={`${verb} ${user.email}?`}
        button={`${verb} user`}
        cancel={BASE}
      >
        <input type="hidden" name="active" value={user.active ? "false" : "true"} />
        <p>
          {user.active
            ? "They are signed out everywhere, cannot sign in, and their API keys stop working."
            : "They can sign in again; their old API keys stay expired."}
        </p>
      </ConfirmForm>,
    );
  });

  ui.post("/users/:id/active", async (c) => {
    const form = await formOf(c);
    return await change(
      c,
      deps,
      () => parseForm(patchUserBody, { active: form.active === "true" }),
    );
  });
}

/** Applies a change to the user in the path: 303 back to the list, or the list with the refusal. */
async function change(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  input: () => Parameters<typeof updateUser>[3],
): Promise<Response> {
  try {
    await updateUser(deps, callerOf(c)!, c.req.param("id")!, input());
    return c.redirect(BASE, 303);
  } catch (err) {
    const refused = Object.values(fieldErrors(err))[0];
    return await usersPage(c, deps, { refused, status: errorStatus(err) });
  }
}

async function usersPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  s: UsersState = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const users = await listUsers(deps, p);
  const errors = s.errors ?? {};
  const form = s.form ?? {};
  // Only owners may grant (or take away) the owner role: others are not offered it.
  const grantable = ROLES.filter((r) => can(p, "user.write", { newRole: r }));
  return page(
    c,
    { title: "Users", status: s.status, crumbs: [CRUMBS[0], { label: "Users" }] },
    <>
      <h1>Users</h1>
      {s.refused && <p class="alert" role="alert">{s.refused}</p>}
      <section class="panel">
        <h2>Everyone who can sign in</h2>
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Access</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => {
              const editable = can(p, "user.write", {
                userId: u.id,
                privileged: true,
                targetRole: u.instance_role,
              });
              return (
                <tr>
                  <td>{u.email}</td>
                  <td>{u.display_name || "—"}</td>
                  <td>
                    {editable
                      ? (
                        <form method="post" action={`${BASE}/${u.id}/role`} class="inline">
                          <select
                            name="instance_role"
                            aria-label={`Role of ${u.email}`}
                          >
                            {ROLES.filter((r) => r === u.instance_role || grantable.includes(r))
                              .map((r) => (
                                <option value={r} selected={r === u.instance_role}>{r}</option>
                              ))}
                          </select>{" "}
                          <button type="submit" class="secondary">Change</button>
                        </form>
                      )
                      : <span class="badge">{u.instance_role}</span>}
                  </td>
                  <td>
                    <span class="badge">{u.active ? "active" : "deactivated"}</span>
                  </td>
                  <td>
                    {editable && (
                      <a href={`${BASE}/${u.id}/active`}>
                        {u.active ? "Deactivate…" : "Reactivate…"}
                      </a>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>Create a user</h2>
        <FormError errors={errors} />
        <form method="post" action={BASE}>
          <div class="row">
            <Field
              idPrefix="user"
              name="email"
              label="Email"
              type="email"
              value={form.email}
              error={errors.email}
              required
            />
            <Field
              idPrefix="user"
              name="display_name"
              label="Name (optional)"
              value={form.display_name}
              error={errors.display_name}
            />
            <Field
              idPrefix="user"
              name="password"
              label="Password"
              type="password"
              autocomplete="new-password"
              error={errors.password}
              hint="At least 8 characters"
              required
            />
            <div class="field">
              <label for="user-instance_role">Instance role</label>
              <select
                id="user-instance_role"
                name="instance_role"
                aria-invalid={errors.instance_role ? "true" : undefined}
              >
                {grantable.map((r) => (
                  <option value={r} selected={r === (form.instance_role ?? "member")}>{r}</option>
                ))}
              </select>
              {errors.instance_role && (
                <p class="error" id="user-instance_role-error">{errors.instance_role}</p>
              )}
            </div>
          </div>
          <button type="submit">Create user</button>
        </form>
      </section>
    </>,
  );
}
