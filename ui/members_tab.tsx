/**
 * @module The app's Members tab: the list for everyone who sees the app; grant by email, change
 * role and revoke (with a confirmation step) for app admins only — the service refuses the rest.
 */
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../common/errors.ts";
import { type AppView, getApp } from "../manager/apps/service.ts";
import { can } from "../manager/authz.ts";
import type { ManagerDeps } from "../manager/deps.ts";
import { changeMemberBody, grantMemberBody } from "../manager/members/api.ts";
import type { MemberRow } from "../manager/members/repo.ts";
import {
  changeMemberRole,
  grantMember,
  listMembers,
  revokeMember,
} from "../manager/members/service.ts";
import { appPage, ConfirmForm } from "./app_shell.tsx";
import { Field, type FieldErrors, fieldErrors, FormError, formOf, parseForm } from "./forms.tsx";
import { callerOf, type UiEnv } from "./layout.tsx";

const ROLES = ["viewer", "editor", "admin"] as const;

/** Binds the Members tab under `/apps/:slug/members`. */
export function bindMembersTab(ui: Hono<UiEnv>, deps: ManagerDeps): void {
  const appOf = async (c: Context<UiEnv>) => await getApp(deps, callerOf(c)!, c.req.param("slug")!);

  ui.get("/apps/:slug/members", async (c) => await membersPage(c, deps, await appOf(c)));

  ui.post("/apps/:slug/members", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    try {
      const input = parseForm(grantMemberBody, { email: form.email ?? "", role: form.role ?? "" });
      await grantMember(deps, callerOf(c)!, app.slug, input);
      return c.redirect(`/admin/apps/${app.slug}/members`, 303);
    } catch (err) {
      const errors = fieldErrors(err, { user_not_found: "email", member_exists: "email" });
      const status = err instanceof ApiError ? err.status : 400;
      return await membersPage(c, deps, app, { errors, form, status });
    }
  });

  ui.post("/apps/:slug/members/:user/role", async (c) => {
    const app = await appOf(c);
    const form = await formOf(c);
    const { role } = parseForm(changeMemberBody, { role: form.role ?? "" });
    await changeMemberRole(deps, callerOf(c)!, app.slug, { userId: c.req.param("user"), role });
    return c.redirect(`/admin/apps/${app.slug}/members`, 303);
  });

  ui.get("/apps/:slug/members/:user/revoke", async (c) => {
    const app = await appOf(c);
    const member = (await listMembers(deps, callerOf(c)!, app.slug))
      .find((m) => m.user_id === c.req.param("user"));
    if (!member) throw new ApiError("member_not_found", `No such member of ${app.slug}`);
    const base = `/admin/apps/${app.slug}/members`;
    return appPage(
      c,
      { app, tab: "members" },
      <ConfirmForm
        action={`${base}/${member.user_id}/revoke`}
        question={`Revoke ${member.email}'s access to ${app.name}?`}
        button="Revoke"
        cancel={base}
      >
        <p>They keep their account but no longer see this app.</p>
      </ConfirmForm>,
    );
  });

  ui.post("/apps/:slug/members/:user/revoke", async (c) => {
    const app = await appOf(c);
    await revokeMember(deps, callerOf(c)!, app.slug, c.req.param("user"));
    return c.redirect(`/admin/apps/${app.slug}/members`, 303);
  });
}

async function membersPage(
  c: Context<UiEnv>,
  deps: ManagerDeps,
  app: AppView,
  s: { errors?: FieldErrors; form?: Record<string, string>; status?: ContentfulStatusCode } = {},
): Promise<Response> {
  const p = callerOf(c)!;
  const admin = can(p, "member.write", { appId: app.id });
  const members = await listMembers(deps, p, app.slug);
  const errors = s.errors ?? {};
  const base = `/admin/apps/${app.slug}/members`;
  return appPage(
    c,
    { app, tab: "members", status: s.status },
    <>
      <section class="panel">
        <h2>Members</h2>
        {members.length === 0
          ? <p class="empty">No members yet. Instance owners and admins manage every app.</p>
          : <MembersTable members={members} base={base} admin={admin} />}
      </section>
      {admin && (
        <section class="panel">
          <h2>Add a member</h2>
          <FormError errors={errors} />
          <form method="post" action={base} class="row">
            <Field
              name="email"
              label="Email"
              type="email"
              value={s.form?.email}
              error={errors.email}
              required
            />
            <div class="field role">
              <label for="f-role">Role</label>
              <RoleSelect id="f-role" selected={s.form?.role ?? "viewer"} />
              {errors.role && <p class="error">{errors.role}</p>}
            </div>
            <div class="field submit">
              <button type="submit">Add member</button>
            </div>
          </form>
        </section>
      )}
    </>,
  );
}

function MembersTable(p: { members: MemberRow[]; base: string; admin: boolean }) {
  return (
    <table class="stack">
      <thead>
        <tr>
          <th scope="col">Email</th>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
          {p.admin && <th scope="col">Revoke</th>}
        </tr>
      </thead>
      <tbody>
        {p.members.map((m) => (
          <tr>
            <td>{m.email}</td>
            <td>{m.display_name}</td>
            <td>
              {p.admin
                ? (
                  <form method="post" action={`${p.base}/${m.user_id}/role`} class="inline">
                    <label class="sr-only" for={`role-${m.user_id}`}>Role of {m.email}</label>
                    <RoleSelect id={`role-${m.user_id}`} selected={m.role} />
                    <button type="submit" class="secondary">Change</button>
                  </form>
                )
                : <span class="badge">{m.role}</span>}
            </td>
            {p.admin && (
              <td>
                <a href={`${p.base}/${m.user_id}/revoke`}>Revoke…</a>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RoleSelect(p: { id: string; selected: string }) {
  return (
    <select id={p.id} name="role">
      {ROLES.map((r) => <option key={r} value={r} selected={r === p.selected}>{r}</option>)}
    </select>
  );
}
