/**
 * @module Tests of `GET /api/v1/admin/backup`: the file for an instance owner (audited, as an
 * attachment), refused to instance admins and read-only keys, and to PostgreSQL with pg_dump.
 */
import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { unpackBackup } from "../../ops/backup_format.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { backupDatabase } from "./service.ts";

const A = "/api/v1/admin";

Deno.test("backup api - the owner gets the file (audited); an instance admin and a read-only key get 403", async () => {
  await withTestPlatform(async (t) => {
    const owner = await t.login(OWNER.email, OWNER.password);
    await t.createUser(owner, { email: "admin@example.com", role: "admin" });
    const admin = await t.login("admin@example.com", "member-password-1");
    const refused = await t.call("GET", `${A}/backup`, { token: admin });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "forbidden");
    const ro = await t.call("POST", `${A}/api-keys`, {
      token: owner,
      body: { name: "ro", read_only: true },
    });
    const roRefused = await t.call("GET", `${A}/backup`, { token: ro.body.key });
    assert.equal(roRefused.status, 403);

    if (t.p.db.kind !== "embedded") {
      const pg = await t.call("GET", `${A}/backup`, { token: owner });
      assert.equal(pg.status, 409);
      assert.equal(pg.body.error.code, "backup_unsupported");
      return;
    }
    const res = await t.p.console.request(`http://localhost${A}/backup`, {
      headers: { authorization: `Bearer ${owner}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/gzip");
    assert.match(
      res.headers.get("content-disposition") ?? "",
      /^attachment; filename="picloud-backup-\d{8}T\d{6}Z\.tar\.gz"$/,
    );
    const { manifest } = await unpackBackup(new Uint8Array(await res.arrayBuffer()));
    assert.ok(manifest.schema_version >= 6);
    const audit = await t.call("GET", `${A}/audit`, { token: owner });
    const entry = (audit.body.items as { action: string; after: Record<string, unknown> }[])
      .find((e) => e.action === "system.backup");
    assert.ok(entry, JSON.stringify(audit.body.items));
    assert.equal(entry.after.schema_version, manifest.schema_version);
  });
});

Deno.test("backup service - PostgreSQL is refused with backup_unsupported, naming pg_dump", async () => {
  await withTestPlatform(async (t) => {
    const owner = await ownerPrincipal(t);
    const deps = { ...t.p.managerDeps, database: { kind: "postgres" as const } };
    await assert.rejects(
      backupDatabase(deps, owner),
      (e) => e instanceof ApiError && e.code === "backup_unsupported" && /pg_dump/.test(e.message),
    );
  });
});
