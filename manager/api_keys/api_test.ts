import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const keys = "/api/v1/admin/api-keys";

Deno.test("API keys - shown once, stored hashed, narrowed, read-only, expiring", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const created = await t.call("POST", keys, { token: owner, body: { name: "ci" } });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^pc_[0-9a-f]{12}_[0-9a-f]{64}$/);
    assert.ok(created.body.key.startsWith(`pc_${created.body.prefix}_`));
    const list = await t.call("GET", keys, { token: owner });
    assert.equal(list.body.items.length, 1);
    assert.equal(JSON.stringify(list.body).includes(created.body.key.slice(16)), false);
    assert.equal("key_hash" in list.body.items[0] || "key" in list.body.items[0], false);
    const [row] = await t.p.db.sql`select key_hash from api_keys`;
    assert.notEqual(row.key_hash, created.body.key);

    const key = created.body.key;
    const deploy = {
      app_id: "default",
      name: "k1",
      source: "export default { fetch: () => new Response() }",
    };
    assert.equal(
      (await t.call("POST", "/api/v1/admin/scripts", { token: key, body: deploy })).status,
      201,
    );
    const wrong = key.slice(0, -1) + (key.endsWith("0") ? "1" : "0");
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: wrong })).status, 401);

    const ro = await t.call("POST", keys, { token: owner, body: { name: "ro", read_only: true } });
    const roDeploy = await t.call("POST", "/api/v1/admin/scripts", {
      token: ro.body.key,
      body: { ...deploy, name: "k2" },
    });
    assert.equal(roDeploy.status, 403);
    assert.equal(roDeploy.body.error.code, "forbidden");
    assert.equal(
      (await t.call("GET", "/api/v1/admin/scripts", { token: ro.body.key })).status,
      200,
    );
    const mint = await t.call("POST", keys, { token: key, body: { name: "x" } });
    assert.equal(mint.body.error.code, "session_required");

    const past = await t.call("POST", keys, {
      token: owner,
      body: { name: "old", expires_at: "2000-01-01T00:00:00Z" },
    });
    assert.equal(past.status, 400);

    const del = await t.call("DELETE", `${keys}/${created.body.id}`, { token: owner });
    assert.equal(del.status, 204);
    assert.equal((await t.call("GET", "/api/v1/admin/me", { token: key })).status, 401);
    assert.equal(
      (await t.call("DELETE", `${keys}/${created.body.id}`, { token: owner })).status,
      404,
    );
  });
});

Deno.test("API keys - last_used_at is written at most once a minute", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    const { key, id } = (await t.call("POST", keys, { token: owner, body: { name: "ci" } })).body;
    await t.call("GET", "/api/v1/admin/me", { token: key });
    const [first] = await t.p.db.sql`select last_used_at from api_keys where id = ${id}`;
    assert.ok(first.last_used_at);
    for (let i = 0; i < 3; i++) await t.call("GET", "/api/v1/admin/me", { token: key });
    const [same] = await t.p.db.sql`select last_used_at from api_keys where id = ${id}`;
    assert.deepEqual(same.last_used_at, first.last_used_at);
    await t.p.db.sql`update api_keys set last_used_at = now() - interval '5 minutes'`;
    await t.call("GET", "/api/v1/admin/me", { token: key });
    const [later] = await t.p.db.sql`select last_used_at from api_keys where id = ${id}`;
    assert.ok(later.last_used_at.getTime() > Date.now() - 30_000);
  });
});
