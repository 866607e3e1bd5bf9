/**
 * @module Regression tests of credential changes (break 7): a password change needs the current
 * password or an owner's (admin's) reset through a session, and API keys never create or change
 * credentials.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";

Deno.test("break 7 - an API key can never change a password or create a user who can sign in", async (tt) => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const ownerId = (await t.call("GET", `${A}/me`, { token: owner })).body.user.id;
    const otherId = await t.createUser(owner, { email: "other@example.com" });
    const key = (await t.call("POST", `${A}/api-keys`, { token: owner, body: { name: "full" } }))
      .body.key;
    const cases: [string, string, string, unknown][] = [
      ["own password", "PATCH", `${A}/users/${ownerId}`, { password: "stolen-password-1" }],
      ["own password with the current one", "PATCH", `${A}/users/${ownerId}`, {
        password: "stolen-password-1",
        current_password: OWNER.password,
      }],
      ["another user's password", "PATCH", `${A}/users/${otherId}`, {
        password: "stolen-password-1",
      }],
      ["a new user with a password", "POST", `${A}/users`, {
        email: "sock@example.com",
        password: "sock-password-1",
        instance_role: "owner",
      }],
    ];
    for (const [name, method, path, body] of cases) {
      await tt.step(name, async () => {
        const r = await t.call(method, path, { token: key, body });
        assert.equal(r.status, 403, JSON.stringify(r.body));
        assert.equal(r.body.error.code, "session_required");
      });
    }
    await tt.step("nothing changed: old passwords work, no new user", async () => {
      await t.login(OWNER.email, OWNER.password);
      await t.login("other@example.com", "member-password-1");
      const sock = await t.call("POST", `${A}/login`, {
        body: { email: "sock@example.com", password: "sock-password-1" },
      });
      assert.equal(sock.status, 401);
    });
    await tt.step("a key may still edit what is not a credential", async () => {
      const r = await t.call("PATCH", `${A}/users/${ownerId}`, {
        token: key,
        body: { display_name: "Renamed by key" },
      });
      assert.equal(r.status, 200);
    });
  });
});

Deno.test("break 7 - changing your own password needs the current one", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "m@example.com" });
    const session = await t.login("m@example.com", "member-password-1");
    const missing = await t.call("PATCH", `${A}/users/${id}`, {
      token: session,
      body: { password: "new-password-22" },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, "current_password_required");
    const wrong = await t.call("PATCH", `${A}/users/${id}`, {
      token: session,
      body: { password: "new-password-22", current_password: "not-it" },
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, "invalid_current_password");
    // The owner's own password is no different.
    const ownerId = (await t.call("GET", `${A}/me`, { token: owner })).body.user.id;
    const ownerMissing = await t.call("PATCH", `${A}/users/${ownerId}`, {
      token: owner,
      body: { password: "new-password-22" },
    });
    assert.equal(ownerMissing.body.error.code, "current_password_required");
    await t.login("m@example.com", "member-password-1");

    const ok = await t.call("PATCH", `${A}/users/${id}`, {
      token: session,
      body: { password: "new-password-22", current_password: "member-password-1" },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await t.login("m@example.com", "new-password-22");
  });
});

Deno.test("break 7 - wrong current passwords are throttled like sign-ins", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "m@example.com" });
    const session = await t.login("m@example.com", "member-password-1");
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.call("PATCH", `${A}/users/${id}`, {
        token: session,
        body: { password: "new-password-22", current_password: `guess-${i}` },
      });
      codes.push(r.body.error.code);
    }
    assert.deepEqual(codes, [
      "invalid_current_password",
      "invalid_current_password",
      "invalid_current_password",
      "too_many_attempts",
      "too_many_attempts",
    ]);
  }, { PICLOUD_LOGIN_MAX_FAILURES: "3" });
});

Deno.test("break 7 - an owner resets another user's password through a session only", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const id = await t.createUser(owner, { email: "m@example.com" });
    const adminId = await t.createUser(owner, { email: "a@example.com", role: "admin" });
    const reset = await t.call("PATCH", `${A}/users/${id}`, {
      token: owner,
      body: { password: "reset-password-1" },
    });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await t.login("m@example.com", "reset-password-1");
    // An admin resets a member, never an owner (the user.write rules).
    const admin = await t.login("a@example.com", "member-password-1");
    const byAdmin = await t.call("PATCH", `${A}/users/${id}`, {
      token: admin,
      body: { password: "admin-reset-1" },
    });
    assert.equal(byAdmin.status, 200);
    const ownerId = (await t.call("GET", `${A}/me`, { token: owner })).body.user.id;
    const onOwner = await t.call("PATCH", `${A}/users/${ownerId}`, {
      token: admin,
      body: { password: "admin-reset-1" },
    });
    assert.equal(onOwner.status, 403);
    assert.equal(onOwner.body.error.code, "forbidden");
    assert.ok(adminId);
  });
});
