import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const members = "/api/v1/admin/apps/default/members";

Deno.test("members API - concurrent grants: one 201, the rest 409 member_exists", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "m@example.com" });
    const roles = ["viewer", "editor", "admin", "viewer", "editor", "admin", "viewer", "editor"];
    const results = await Promise.all(
      roles.map((role) => t.call("POST", members, { token: owner, body: { user_id: id, role } })),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    const conflicts = results.filter((r) => r.status === 409);
    assert.equal(conflicts.length, roles.length - 1);
    assert.ok(conflicts.every((r) => r.body.error.code === "member_exists"));
    const winner = results.find((r) => r.status === 201)!.body.role;
    const list = await t.call("GET", members, { token: owner });
    assert.deepEqual(list.body.items.map((m) => [m.user_id, m.role]), [[id, winner]]);
  });
});

Deno.test("members API - role change racing a revoke never re-creates the member", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    for (let round = 0; round < 3; round++) {
      const id = await t.createUser(owner, { email: `r${round}@example.com` });
      const grant = await t.call("POST", members, {
        token: owner,
        body: { user_id: id, role: "viewer" },
      });
      assert.equal(grant.status, 201);
      const results = await Promise.all([
        t.call("PATCH", `${members}/${id}`, { token: owner, body: { role: "editor" } }),
        t.call("DELETE", `${members}/${id}`, { token: owner }),
        t.call("PATCH", `${members}/${id}`, { token: owner, body: { role: "admin" } }),
        t.call("PATCH", `${members}/${id}`, { token: owner, body: { role: "editor" } }),
      ]);
      assert.equal(results[1].status, 204);
      for (const r of [results[0], results[2], results[3]]) {
        assert.ok(r.status === 200 || r.body.error.code === "member_not_found", String(r.status));
      }
      const rows = await t.p.db.sql`select 1 from app_members where user_id = ${id}`;
      assert.equal(rows.length, 0);
      const late = await t.call("PATCH", `${members}/${id}`, {
        token: owner,
        body: { role: "editor" },
      });
      assert.equal(late.status, 404);
      assert.equal(late.body.error.code, "member_not_found");
    }
  });
});

Deno.test("members API - a member sees only their apps, with my_role", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    await t.p.db.sql`insert into apps (slug, name) values ('other', 'Other')`;
    await t.createUser(owner, { email: "v@example.com" });
    const grant = await t.call("POST", members, {
      token: owner,
      body: { email: "V@example.com", role: "viewer" },
    });
    assert.equal(grant.status, 201);
    const v = await t.login("v@example.com", "member-password-1");
    const apps = await t.call("GET", "/api/v1/admin/apps", { token: v });
    assert.deepEqual(apps.body.items.map((a) => [a.slug, a.my_role]), [["default", "viewer"]]);
    assert.equal(
      (await t.call("GET", "/api/v1/admin/apps/default", { token: v })).body.my_role,
      "viewer",
    );
    const other = await t.call("GET", "/api/v1/admin/apps/other", { token: v });
    assert.equal(other.status, 404);
    assert.equal(other.body.error.code, "app_not_found");
    const ownerView = await t.call("GET", "/api/v1/admin/apps", { token: owner });
    assert.deepEqual(ownerView.body.items.map((a) => [a.slug, a.my_role]), [
      ["default", "admin"],
      ["other", "admin"],
    ]);
  });
});
