/** @module Test helper: a fresh, migrated database — embedded PGlite, or PostgreSQL when DATABASE_URL is set. */
import postgres from "postgres";
import { type Database, openDatabase } from "./db.ts";
import { loadMigrations, migrate } from "./migrate.ts";

/**
 * Opens an empty, migrated database for one test. With `DATABASE_URL` set, a new database is
 * created on that server and dropped on close; otherwise an in-memory PGlite is used.
 */
export async function openTestDatabase(): Promise<Database> {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) {
    const db = await openDatabase({ dataDir: "memory://" });
    await migrate(db.sql, await loadMigrations());
    return db;
  }
  const name = `picloud_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const testUrl = new URL(url);
  testUrl.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: testUrl.href, dataDir: "unused" });
  await migrate(db.sql, await loadMigrations());
  return {
    ...db,
    close: async () => {
      await db.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
