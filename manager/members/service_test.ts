import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { changeMemberRole, grantMember, listMembers, revokeMember } from "./service.ts";

Deno.test("members service - grant, change and revoke, each audited", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const id = await t.createUser(await t.login(OWNER.email, OWNER.password), {
      email: "m@example.com",
    });
    const granted = await grantMember(deps, owner, "default", {
      email: "M@example.com",
      role: "viewer",
    });
    assert.equal(granted.user_id, id);
    assert.equal(granted.role, "viewer");
    await assert.rejects(
      grantMember(deps, owner, "default", { user_id: id, role: "admin" }),
      (e) => e instanceof ApiError && e.code === "member_exists",
    );
    const changed = await changeMemberRole(deps, owner, "default", { userId: id, role: "admin" });
    assert.equal(changed.role, "admin");
    assert.deepEqual(
      (await listMembers(deps, owner, "default")).map((m) => [m.email, m.role]),
      [["m@example.com", "admin"]],
    );
    await revokeMember(deps, owner, "default", id);
    assert.deepEqual(await listMembers(deps, owner, "default"), []);
    await assert.rejects(
      revokeMember(deps, owner, "default", "not-a-uuid"),
      (e) => e instanceof ApiError && e.code === "member_not_found",
    );
    const audit = await t.p.db.sql<{ action: string }[]>`
      select action from audit_log where resource_type = 'member' order by id`;
    assert.deepEqual(audit.map((a) => a.action), [
      "member.grant",
      "member.update",
      "member.revoke",
    ]);
  });
});

Deno.test("members service - a viewer cannot grant; another app is hidden", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    await t.p.db.sql`insert into apps (slug, name) values ('other', 'Other')`;
    const owner = await ownerPrincipal(t);
    const viewer: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: { [app.id]: "viewer" },
    };
    await assert.rejects(
      grantMember(deps, viewer, "default", { user_id: owner.userId, role: "admin" }),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
    await assert.rejects(
      listMembers(deps, viewer, "other"),
      (e) => e instanceof ApiError && e.code === "app_not_found",
    );
  });
});
