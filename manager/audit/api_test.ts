import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

Deno.test("audit - changes are recorded with actor, before and after, without secrets", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const ownerId = (await t.call("GET", "/api/v1/admin/me", { token: owner })).body.user.id;
    const uid = await t.createUser(owner, { email: "m@example.com", password: "secret-pass-9" });
    await t.call("PATCH", `/api/v1/admin/users/${uid}`, {
      token: owner,
      body: { password: "secret-pass-10", display_name: "M" },
    });
    await t.call("POST", "/api/v1/admin/apps/default/members", {
      token: owner,
      body: { user_id: uid, role: "admin" },
    });
    await t.call("PATCH", `/api/v1/admin/apps/default/members/${uid}`, {
      token: owner,
      body: { role: "editor" },
    });
    const key = await t.call("POST", "/api/v1/admin/api-keys", {
      token: owner,
      body: { name: "k" },
    });
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token: key.body.key,
      body: { name: "a", source: "export default { fetch: () => new Response() }" },
    });
    const all = await t.call("GET", "/api/v1/admin/audit", { token: owner });
    assert.equal(all.status, 200);
    const actions = all.body.items.map((e) => e.action).reverse();
    assert.deepEqual(actions, [
      "user.bootstrap",
      "user.create",
      "user.update",
      "member.grant",
      "member.update",
      "api_key.create",
      "script.create",
    ]);
    const byKey = all.body.items[0];
    assert.equal(byKey.actor_user_id, ownerId);
    assert.equal(byKey.actor_key_id, key.body.id);
    assert.equal(byKey.resource_id, script.body.id);
    const update = all.body.items.find((e) => e.action === "member.update")!;
    assert.deepEqual([update.before?.role, update.after?.role], ["admin", "editor"]);
    const text = JSON.stringify(all.body);
    for (const secret of ["secret-pass-9", "secret-pass-10", key.body.key, "$argon2id"]) {
      assert.equal(text.includes(secret), false, secret);
    }
    const since = await t.call(
      "GET",
      `/api/v1/admin/audit?actor=${ownerId}&since=${
        encodeURIComponent(new Date(Date.now() - 60_000).toISOString())
      }`,
      { token: owner },
    );
    assert.equal(since.body.items.length, 6);

    // An app admin reads their app's log, and only with ?app=.
    await t.call("PATCH", `/api/v1/admin/apps/default/members/${uid}`, {
      token: owner,
      body: { role: "admin" },
    });
    const m = await t.login("m@example.com", "secret-pass-10");
    const appLog = await t.call("GET", "/api/v1/admin/audit?app=default", { token: m });
    assert.equal(appLog.status, 200);
    assert.ok(appLog.body.items.every((e) => e.app_id === script.body.app_id));
    assert.equal((await t.call("GET", "/api/v1/admin/audit", { token: m })).status, 403);
  });
});
