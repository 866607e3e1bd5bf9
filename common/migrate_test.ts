import assert from "node:assert/strict";
import { type Database, openDatabase } from "./db.ts";
import { loadMigrations, migrate, SchemaTooNewError } from "./migrate.ts";
import { openTestDatabase } from "../testing/db.ts";
import { insertLogBlocks, readExecutionLogs } from "../orchestrator/mod.ts";

/** Drops everything the test database was migrated to; returns the migrations to apply. */
async function emptySchema(db: Database) {
  await db.sql`drop table schema_migrations`;
  await db.sql`drop schema public cascade`;
  await db.sql`create schema public`;
  return await loadMigrations();
}

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
    const migrations = await emptySchema(db);
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

Deno.test("migration 0004 - moves execution log rows into blocks and keeps their ids", async () => {
  const db = await openTestDatabase();
  try {
    const migrations = await emptySchema(db);
    await migrate(db.sql, migrations.filter((m) => m.version < 4));
    const [a, b] = await db.sql<{ id: string }[]>`
      insert into apps (slug, name) values ('a', 'a'), ('b', 'b') returning id`;
    // a, a, b, a, a, b, … : runs of consecutive ids per app become blocks.
    for (let i = 0; i < 9; i++) {
      await db.sql`
        insert into execution_logs (app_id, trigger, request_id, status, outcome, duration_ms,
          logs, error, at)
        values (${i % 3 === 2 ? b.id : a.id}, 'http', ${`r${i}`}, 200, 'ok', ${i},
          ${JSON.stringify([{ level: "log", message: `m${i}`, at: i }])}::text::jsonb,
          ${i === 4 ? JSON.stringify({ kind: "x" }) : null}::text::jsonb,
          ${new Date(Date.UTC(2026, 0, 1, 0, 0, i))})`;
    }
    const old = await db.sql<{ id: string; request_id: string }[]>`
      select id::text, request_id from execution_logs order by id`;
    await migrate(db.sql, migrations);
    const rows = await readExecutionLogs(db.sql);
    assert.deepEqual(
      rows.map((r) => [r.id, r.request_id]),
      old.map((r) => [r.id, r.request_id]),
    );
    const r4 = rows[4];
    assert.deepEqual([r4.app_id, r4.error, r4.duration_ms, r4.at.toISOString()], [
      a.id,
      { kind: "x" },
      4,
      "2026-01-01T00:00:04.000Z",
    ]);
    assert.deepEqual(r4.logs, [{ level: "log", message: "m4", at: 4 }]);
    const [{ n }] = await db.sql`select count(*)::int as n from execution_log_blocks`;
    assert.equal(n, 6);
    // New rows continue after the migrated ids.
    await insertLogBlocks(db.sql, [{ ...rows[0], app_id: b.id, request_id: "new" }]);
    const after = await readExecutionLogs(db.sql, { appId: b.id });
    assert.equal(after[after.length - 1].id, "10");
  } finally {
    await db.close();
  }
});
