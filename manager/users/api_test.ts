import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const users = "/api/v1/admin/users";

Deno.test("users API - create defaults to admin, emails are case-insensitive, owners make owners", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const a = await t.call("POST", users, {
      token: owner,
      body: { email: "Ann@Example.com", password: "ann-password-1" },
    });
    assert.equal(a.status, 201);
    assert.equal(a.body.instance_role, "admin");
    assert.equal("password_hash" in a.body, false);
    const dup = await t.call("POST", users, {
      token: owner,
      body: { email: "ann@example.COM", password: "x-password-1" },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, "email_taken");
    const ann = await t.login("ANN@example.com", "ann-password-1");
    const mkOwner = await t.call("POST", users, {
      token: ann,
      body: { email: "o2@example.com", password: "o2-password-1", instance_role: "owner" },
    });
    assert.equal(mkOwner.status, 403);
    const promote = await t.call("PATCH", `${users}/${a.body.id}`, {
      token: ann,
      body: { instance_role: "owner" },
    });
    assert.equal(promote.status, 403);
    const mkMember = await t.call("POST", users, {
      token: ann,
      body: { email: "m@example.com", password: "m-password-1", instance_role: "member" },
    });
    assert.equal(mkMember.status, 201);
  });
});

Deno.test("users API - the last owner and the last admin stay", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const me = (await t.call("GET", "/api/v1/admin/me", { token: owner })).body.user.id;
    for (
      const body of [{ instance_role: "admin" }, { instance_role: "member" }, { active: false }]
    ) {
      const r = await t.call("PATCH", `${users}/${me}`, { token: owner, body });
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.equal(r.body.error.code, "last_owner");
    }
    const del = await t.call("DELETE", `${users}/${me}`, { token: owner });
    assert.equal(del.body.error.code, "last_owner");

    // Without owner protection in the way (legacy data), the last admin-or-owner is guarded too.
    const adminId = await t.createUser(owner, { email: "a@example.com", role: "admin" });
    await t.p.db.sql`update admin_users set instance_role = 'admin' where id = ${me}`;
    await t.p.db.sql`update admin_users set active = false where id = ${adminId}`;
    const r = await t.call("PATCH", `${users}/${me}`, {
      token: owner,
      body: { instance_role: "member" },
    });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, "last_admin");
  });
});

Deno.test("users API - parallel demotions leave exactly one owner", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const tokens = [owner];
    for (let i = 0; i < 5; i++) {
      const email = `o${i}@example.com`;
      await t.createUser(owner, { email, role: "owner" });
      tokens.push(await t.login(email, "member-password-1"));
    }
    for (const body of [{ instance_role: "admin" }, { active: false }]) {
      const ids = await Promise.all(
        tokens.map(async (token) =>
          (await t.call("GET", "/api/v1/admin/me", { token })).body.user?.id
        ),
      );
      const results = await Promise.all(
        tokens.map((token, i) => t.call("PATCH", `${users}/${ids[i]}`, { token, body })),
      );
      const codes = results.map((r) => r.status === 200 ? "ok" : r.body.error.code).sort();
      assert.deepEqual(codes, ["last_owner", "ok", "ok", "ok", "ok", "ok"], JSON.stringify(body));
      const [{ n }] = await t.p.db.sql`
        select count(*)::int as n from admin_users where active and instance_role = 'owner'`;
      assert.equal(n, 1);
      // Restore five more owners for the next round, through the survivor.
      const survivor = tokens[results.findIndex((r) => r.status !== 200)];
      for (const [i, id] of ids.entries()) {
        if (results[i].status !== 200) continue;
        const r = await t.call("PATCH", `${users}/${id}`, {
          token: survivor,
          body: { instance_role: "owner", active: true },
        });
        assert.equal(r.status, 200);
        tokens[i] = await t.login(r.body.email, i === 0 ? OWNER.password : "member-password-1");
      }
    }
  });
});

Deno.test("users API - deactivation and password change end sessions; deactivation expires keys", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "b@example.com", role: "admin" });
    const session = await t.login("b@example.com", "member-password-1");
    const key = (await t.call("POST", "/api/v1/admin/api-keys", {
      token: session,
      body: { name: "ci" },
    })).body.key;
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: key })).status, 200);

    const pw = await t.call("PATCH", `${users}/${id}`, {
      token: session,
      body: { password: "new-password-2", current_password: "member-password-1" },
    });
    assert.equal(pw.status, 200);
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: session })).status, 401);
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: key })).status, 200);
    const again = await t.login("b@example.com", "new-password-2");

    const off = await t.call("PATCH", `${users}/${id}`, { token: owner, body: { active: false } });
    assert.equal(off.status, 200);
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: again })).status, 401);
    const [k] = await t.p.db.sql`select expires_at from api_keys where user_id = ${id}`;
    assert.ok(k.expires_at <= new Date());
    const on = await t.call("PATCH", `${users}/${id}`, { token: owner, body: { active: true } });
    assert.equal(on.status, 200);
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: key })).status, 401);
    const login = await t.call("POST", "/api/v1/admin/login", {
      body: { email: "b@example.com", password: "new-password-2" },
    });
    assert.equal(login.status, 200);
  });
});
