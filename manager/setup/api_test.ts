import assert from "node:assert/strict";
import { parseConfig } from "../../common/config.ts";
import { createLogger } from "../../common/logging.ts";
import { openTestDatabase } from "../../testing/db.ts";
import { createPlatform } from "../../server.ts";
import { withTestPlatform } from "../../testing/platform.ts";

const noBootstrap = { PICLOUD_BOOTSTRAP_EMAIL: "", PICLOUD_BOOTSTRAP_PASSWORD: "" };

Deno.test("setup - without bootstrap variables a one-time setup URL creates the owner", async () => {
  await withTestPlatform(async (t) => {
    const line = t.lines.find((l) => l.includes("/admin/setup?token="));
    assert.ok(line, t.lines.join("\n"));
    const token = /token=([A-Za-z0-9_-]+)/.exec(line)![1];
    const body = { token, email: "first@example.com", password: "first-password-1" };
    const bad = await t.call("POST", "/api/v1/setup", { body: { ...body, token: "nope" } });
    assert.equal(bad.status, 403);
    assert.equal(bad.body.error.code, "invalid_setup_token");
    const ok = await t.call("POST", "/api/v1/setup", { body });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.user.instance_role, "owner");
    const again = await t.call("POST", "/api/v1/setup", { body });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, "already_set_up");
    await t.login("first@example.com", "first-password-1");
  }, noBootstrap);
});

Deno.test("setup - an expired setup token is refused", async () => {
  await withTestPlatform(async (t) => {
    const token = /token=([A-Za-z0-9_-]+)/.exec(t.lines.join("\n"))![1];
    await t.p.db.sql`
      update picloud_meta set value = jsonb_build_object('expires_at', now() - interval '1 s')
      where key like 'setup_token:%'`;
    const r = await t.call("POST", "/api/v1/setup", {
      body: { token, email: "a@example.com", password: "first-password-1" },
    });
    assert.equal(r.body.error.code, "invalid_setup_token");
  }, noBootstrap);
});

Deno.test("setup - bootstrap variables create the owner once, then are inert", async () => {
  const db = await openTestDatabase();
  try {
    const env = {
      PICLOUD_BOOTSTRAP_EMAIL: "boot@example.com",
      PICLOUD_BOOTSTRAP_PASSWORD: "boot-password-1",
      PICLOUD_ARGON2_MEMORY_KIB: "1024",
      PICLOUD_ARGON2_ITERATIONS: "1",
    };
    for (const round of [1, 2]) {
      const lines: string[] = [];
      const p = await createPlatform(parseConfig(env), {
        db,
        log: createLogger("info", (l) => lines.push(l)),
      });
      await p.close();
      const text = lines.join("\n");
      assert.equal(text.includes("created the first owner"), round === 1, text);
      assert.equal(text.includes("inert"), round === 2, text);
      assert.equal(text.includes("setup?token"), false);
      assert.equal(text.includes("boot-password-1"), false);
    }
    const rows = await db.sql`select email, instance_role from admin_users`;
    assert.deepEqual([...rows], [{ email: "boot@example.com", instance_role: "owner" }]);
  } finally {
    await db.close();
  }
});
