/** @module Test helpers for the database: a fresh, migrated database — embedded PGlite, or PostgreSQL when DATABASE_URL is set. */
import postgres from "postgres";
import { type Database, openDatabase } from "../common/db.ts";
import { loadMigrations, migrate } from "../common/migrate.ts";
import type { ExecutionLogRow } from "../orchestrator/mod.ts";

let template: Promise<Uint8Array> | undefined;

/**
 * A freshly migrated embedded database, dumped once per test process: each test's database starts
 * from it (~0.5 s) instead of running initdb and the migrations again (~3.5 s).
 */
function migratedTemplate(): Promise<Uint8Array> {
  return template ??= (async () => {
    const db = await openDatabase({ dataDir: "memory://" });
    try {
      await migrate(db.sql, await loadMigrations());
      return await db.dumpDataDir!();
    } finally {
      await db.close();
    }
  })();
}

/**
 * Opens an embedded database in the data directory `dataDir` (files on disk, locked like a
 * server's), loaded from the migrated template: ~1 s instead of initdb and migrations on disk.
 */
export async function openEmbeddedTestDatabase(dataDir: string): Promise<Database> {
  return await openDatabase({ dataDir, template: await migratedTemplate() });
}

/**
 * Opens an empty, migrated database for one test. With `DATABASE_URL` set, a new database is
 * created on that server and dropped on close; otherwise an in-memory PGlite is used (`thread`:
 * in a Worker of its own, as the large memory profile runs it).
 */
export async function openTestDatabase(opts: { thread?: boolean } = {}): Promise<Database> {
  const url = Deno.env.get("DATABASE_URL");
  if (!url) {
    const template = await migratedTemplate();
    return await openDatabase({ dataDir: "memory://", template, thread: opts.thread });
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

/** The app the tests use as a fresh install's `default` one: `localhost`, `GET /` routed. */
export const DEFAULT_TEST_APP = {
  slug: "default",
  host: "localhost",
  source: "export default { fetch: () => new Response('Hello World\\n') };",
  routes: [["GET", "/"]] as [string, string][],
};

/** Inserts an app claiming `host`, one script with `source` as its live version, and its routes. */
export async function insertTestApp(
  sql: Database["sql"],
  opts: { slug: string; host: string; source: string; routes?: [method: string, path: string][] },
): Promise<{ appId: string; scriptId: string }> {
  return await sql.begin(async (tx) => {
    const [app] = await tx<{ id: string }[]>`
      insert into apps (slug, name) values (${opts.slug}, ${opts.slug}) returning id`;
    await tx`
      insert into app_domains (app_id, pattern, kind, shape_key)
      values (${app.id}, ${opts.host}, 'exact', ${opts.host})`;
    const [script] = await tx<{ id: string }[]>`
      insert into scripts (app_id, name) values (${app.id}, 'main') returning id`;
    const [version] = await tx<{ id: string }[]>`
      insert into script_versions (script_id, version, source, hash)
      values (${script.id}, 1, ${opts.source}, 'test') returning id`;
    await tx`update scripts set active_version_id = ${version.id} where id = ${script.id}`;
    for (const [method, path] of opts.routes ?? [["ANY", "/*"]]) {
      await tx`
        insert into routes (app_id, script_id, method, path, shape_key)
        values (${app.id}, ${script.id}, ${method}, ${path}, ${`${method} ${path}`})`;
    }
    return { appId: app.id, scriptId: script.id };
  });
}

/** Inserts an enabled schedule of `cron` for the script, due `dueAgo` (an SQL interval) ago. */
export async function insertTestSchedule(
  sql: Database["sql"],
  script: { appId: string; scriptId: string },
  cron: string,
  dueAgo = "0 seconds",
): Promise<void> {
  await sql`
    insert into schedules (app_id, script_id, cron, next_run_at)
    values (${script.appId}, ${script.scriptId}, ${cron}, now() - ${dueAgo}::interval)`;
}

/**
 * Execution log row `i` of `appId` for tests: a 200 for `GET /p/<i>` with request id `r<i>`,
 * taking `i` ms, no usage, no logs, written now; `over` changes any field.
 */
export function testLogRow(
  appId: string,
  i: number,
  over: Partial<ExecutionLogRow> = {},
): ExecutionLogRow {
  return {
    app_id: appId,
    script_id: null,
    script_version_id: null,
    trigger: "http",
    request_id: `r${i}`,
    method: "GET",
    path: `/p/${i}`,
    host: "localhost",
    status: 200,
    outcome: "ok",
    duration_ms: i,
    cpu_ms: null,
    memory_mb: null,
    logs: [],
    error: null,
    at: new Date(),
    ...over,
  };
}
