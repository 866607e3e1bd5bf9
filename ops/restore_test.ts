/**
 * @module Tests of the offline paths and every refusal: PostgreSQL, no database, a served (locked)
 * directory, an unusable or newer backup, an existing database without force; an offline backup
 * restored with force replaces the database and keeps the file at mode 0600.
 */
import assert from "node:assert/strict";
import { lockDataDir } from "../common/db.ts";
import { SECRET_KEY_FILE } from "../common/secret_key.ts";
import { openEmbeddedTestDatabase } from "../testing/db.ts";
import { packBackup } from "./backup_format.ts";
import { embeddedConfig } from "./_testing.ts";
import { BackupError, type BackupErrorCode, backupToFile, restoreFromFile } from "./mod.ts";

const code = (c: BackupErrorCode) => (e: unknown) => e instanceof BackupError && e.code === c;

/** A well-formed backup of a not-real database at `schemaVersion` (enough for the checks). */
async function fakeBackup(file: string, schemaVersion: number) {
  const database = new TextEncoder().encode("x".repeat(1000));
  const { bytes } = await packBackup({ database, schemaVersion, secretKey: { source: "none" } });
  await Deno.writeFile(file, bytes);
}

Deno.test("backup and restore - refusals that say what to do", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "picloud-restore-" });
  const config = embeddedConfig(`${root}/data`);
  try {
    await t.step("PostgreSQL: pg_dump and pg_restore", async () => {
      const pg = embeddedConfig(`${root}/pg`, { DATABASE_URL: "postgres://u:p@127.0.0.1:1/x" });
      await assert.rejects(
        backupToFile(pg, `${root}/pg.tgz`),
        (e) => code("backup_unsupported")(e) && /pg_dump/.test((e as Error).message),
      );
      await assert.rejects(
        restoreFromFile(pg, `${root}/pg.tgz`),
        (e) => code("backup_unsupported")(e) && /pg_restore/.test((e as Error).message),
      );
    });
    await t.step("nothing to back up", async () => {
      await assert.rejects(backupToFile(config, `${root}/none.tgz`), code("no_database"));
    });
    await t.step(
      "an unusable file, a newer schema: refused before the directory is touched",
      async () => {
        await Deno.writeTextFile(`${root}/bad.tgz`, "not a backup");
        await assert.rejects(restoreFromFile(config, `${root}/bad.tgz`), code("backup_invalid"));
        await fakeBackup(`${root}/newer.tgz`, 9999);
        await assert.rejects(
          restoreFromFile(config, `${root}/newer.tgz`),
          (e) => code("backup_too_new")(e) && /9999/.test((e as Error).message),
        );
        await assert.rejects(Deno.stat(config.dataDir), Deno.errors.NotFound);
      },
    );
    await t.step("a directory that holds a database, without force", async () => {
      await Deno.mkdir(`${config.dataDir}/pgdata`, { recursive: true });
      await Deno.writeTextFile(`${config.dataDir}/pgdata/PG_VERSION`, "17\n");
      await fakeBackup(`${root}/old.tgz`, 1);
      await assert.rejects(restoreFromFile(config, `${root}/old.tgz`), code("data_dir_not_empty"));
    });
    await t.step(
      "a directory a server holds: restore refused, backup needs the server",
      async () => {
        const lock = await lockDataDir(config.dataDir);
        try {
          await Promise.all([
            assert.rejects(
              restoreFromFile(config, `${root}/old.tgz`, { force: true }),
              code("data_dir_locked"),
            ),
            assert.rejects(
              backupToFile(config, `${root}/locked.tgz`),
              (e) => code("data_dir_locked")(e) && /picloud login/.test((e as Error).message),
            ),
          ]);
        } finally {
          lock.close();
        }
        await assert.rejects(Deno.stat(`${root}/locked.tgz`), Deno.errors.NotFound);
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("backup offline, restore with force - replaces the database; the file is 0600", async () => {
  const root = await Deno.makeTempDir({ prefix: "picloud-restore-" });
  const config = embeddedConfig(`${root}/data`);
  const file = `${root}/backup.tar.gz`;
  try {
    await (await openEmbeddedTestDatabase(config.dataDir)).close();
    await Deno.writeTextFile(`${config.dataDir}/${SECRET_KEY_FILE}`, "the-key\n");
    // An older, world-readable file of the same name is replaced, not reused with its mode.
    await Deno.writeTextFile(file, "old", { mode: 0o644 });
    await Deno.chmod(file, 0o644);
    const taken = await backupToFile(config, file);
    assert.equal(taken.via, "offline");
    assert.equal(taken.manifest.secret_key.source, "file");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual(
      [...Deno.readDirSync(root)].map((e) => e.name).sort(),
      ["backup.tar.gz", "data"],
      "no temporary file is left",
    );

    await Deno.writeTextFile(`${config.dataDir}/pgdata/written-after-backup`, "x");
    await Deno.writeTextFile(`${config.dataDir}/${SECRET_KEY_FILE}`, "another-key\n");
    const restored = await restoreFromFile(config, file, { force: true });
    assert.equal(restored.replaced, true);
    await assert.rejects(
      Deno.stat(`${config.dataDir}/pgdata/written-after-backup`),
      Deno.errors.NotFound,
    );
    assert.equal(await Deno.readTextFile(`${config.dataDir}/${SECRET_KEY_FILE}`), "the-key\n");
    assert.ok(
      ![...Deno.readDirSync(config.dataDir)].some((e) => e.name.startsWith(".restore-")),
      "the staging directory is removed",
    );
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
