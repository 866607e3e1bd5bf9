import assert from "node:assert/strict";
import { openDatabase } from "./db.ts";
import { loadMigrations, migrate, SchemaTooNewError } from "./migrate.ts";
import { openTestDatabase } from "./testing.ts";

Deno.test("migrate() - applies every migration once and is idempotent", async () => {
  const db = await openTestDatabase();
  try {
    const migrations = await loadMigrations();
    assert.ok(migrations.length >= 1);
    assert.deepEqual(await migrate(db.sql, migrations), []);
    const rows = await db.sql`select version from schema_migrations order by version`;
    assert.deepEqual(rows.map((r) => r.version), migrations.map((m) => m.version));
  } finally {
    await db.close();
  }
});

Deno.test("migrate() - concurrent runners apply each migration exactly once", async () => {
  const db = await openTestDatabase();
  try {
    await db.sql`drop table schema_migrations`;
    await db.sql`drop schema public cascade`;
    await db.sql`create schema public`;
    const migrations = await loadMigrations();
    const results = await Promise.all([1, 2, 3].map(() => migrate(db.sql, migrations)));
    assert.deepEqual(results.flat().sort(), migrations.map((m) => m.version));
  } finally {
    await db.close();
  }
});

Deno.test("migrate() - refuses a database newer than the code", async () => {
  const db = await openTestDatabase();
  try {
    const migrations = await loadMigrations();
    await db.sql`insert into schema_migrations (version, name) values (9999, 'future')`;
    await assert.rejects(() => migrate(db.sql, migrations), SchemaTooNewError);
  } finally {
    await db.close();
  }
});

Deno.test("openDatabase() - embedded data persists across reopen and is locked while open", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = await openDatabase({ dataDir: dir });
    await migrate(a.sql, await loadMigrations());
    await a.sql`insert into picloud_meta (key, value) values ('probe', '1')`;
    await assert.rejects(() => openDatabase({ dataDir: dir }), /in use by another/);
    await a.close();
    const b = await openDatabase({ dataDir: dir });
    const [row] = await b.sql`select value from picloud_meta where key = 'probe'`;
    assert.equal(row.value, 1);
    await b.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
