/**
 * @module `picloud backup` and `picloud restore` in process: an offline backup restored into a
 * fresh data directory holds the same rows; a directory in use, no database, PostgreSQL and a
 * second restore without --force end with their exit codes. (`ops/` tests the backup itself,
 * including one taken while a server serves.)
 */

import assert from "node:assert/strict";
import { cli } from "./_testing.ts";
import { openDatabase } from "../common/db.ts";
import { openEmbeddedTestDatabase } from "../testing/db.ts";

Deno.test("backup, restore - offline round trip, and every refusal with its exit code", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "picloud-cli-backup-" });
  const home = `${tmp}/home`; // no saved login
  const env = (dataDir: string) => ({ HOME: home, PICLOUD_DATA_DIR: dataDir });
  const file = `${tmp}/backup.tar.gz`;
  try {
    const source = await openEmbeddedTestDatabase(`${tmp}/one`);
    try {
      await source.sql`insert into admin_users (email, display_name, password_hash, instance_role)
        values ('kept@example.com', 'Kept', 'x', 'owner')`;
      await t.step(
        "a directory a server holds, with no login: exit 3, data_dir_locked",
        async () => {
          const r = await cli(["--json", "backup", file], env(`${tmp}/one`));
          assert.equal(r.code, 3, r.err);
          assert.equal(JSON.parse(r.err).error.code, "data_dir_locked");
          assert.match(JSON.parse(r.err).error.message, /picloud login/);
        },
      );
    } finally {
      await source.close();
    }

    await t.step("offline backup: one file, mode 0600", async () => {
      const r = await cli(["backup", file], env(`${tmp}/one`));
      assert.equal(r.code, 0, r.err);
      assert.match(
        r.out,
        /^backed up .*one to .*backup\.tar\.gz \(\d+\.\d MB, schema \d+, offline\)$/,
      );
      assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    });

    await t.step("restore into a fresh directory: the same rows", async () => {
      const r = await cli(["--json", "restore", file], env(`${tmp}/two`));
      assert.equal(r.code, 0, r.err);
      assert.equal(JSON.parse(r.out).replaced, false);
      const db = await openDatabase({ dataDir: `${tmp}/two` });
      try {
        const rows = await db.sql`select email from admin_users where email = 'kept@example.com'`;
        assert.equal(rows.length, 1);
      } finally {
        await db.close();
      }
    });

    await t.step("a second restore needs --force (exit 1 without)", async () => {
      const again = await cli(["--json", "restore", file], env(`${tmp}/two`));
      assert.equal(again.code, 1);
      assert.equal(JSON.parse(again.err).error.code, "data_dir_not_empty");
      const forced = await cli(["restore", "--force", file], env(`${tmp}/two`));
      assert.equal(forced.code, 0, forced.err);
      assert.match(forced.out, /the previous database was replaced/);
    });

    await t.step("no database to back up: exit 5; PostgreSQL: exit 2 naming pg_dump", async () => {
      const none = await cli(["backup", `${tmp}/x.tar.gz`], env(`${tmp}/empty`));
      assert.equal(none.code, 5, none.err);
      const pg = await cli(["backup", `${tmp}/x.tar.gz`], {
        ...env(`${tmp}/one`),
        DATABASE_URL: "postgres://nobody@127.0.0.1:9/none",
      });
      assert.equal(pg.code, 2, pg.err);
      assert.match(pg.err, /pg_dump/);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
