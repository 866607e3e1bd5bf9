/** @module Applies the numbered SQL files in migrations/ in order, each in its own transaction. */
import type { Sql } from "./db.ts";

/** One migration file: `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The database holds migrations this code does not know: it is newer than the code. */
export class SchemaTooNewError extends Error {
  constructor(readonly dbVersion: number, readonly codeVersion: number) {
    super(
      `The database schema is at version ${dbVersion} but this PiCloud only knows up to ` +
        `${codeVersion}; upgrade PiCloud before starting it on this database`,
    );
    this.name = "SchemaTooNewError";
  }
}

/** Any 64-bit number unique to PiCloud's migrations, shared by every process. */
const LOCK_KEY = 7_321_004_211;

const defaultDir = new URL("../migrations/", import.meta.url);

/** Reads the migration files, sorted by version; rejects gaps and duplicates. */
export async function loadMigrations(dir: URL = defaultDir): Promise<Migration[]> {
  const out: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !m) continue;
    out.push({
      version: Number(m[1]),
      name: m[2],
      sql: await Deno.readTextFile(new URL(entry.name, dir)),
    });
  }
  out.sort((a, b) => a.version - b.version);
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration ${m.version}_${m.name} is out of sequence`);
  });
  return out;
}

/**
 * Brings the schema up to date. Each migration runs in its own transaction that first takes
 * a transaction-scoped advisory lock and re-reads the applied set, so processes starting at
 * once apply each migration exactly once. Returns the versions this call applied.
 */
export async function migrate(sql: Sql, migrations: Migration[]): Promise<number[]> {
  await sql`
    create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`.catch(ignoreConcurrentCreate);
  const codeVersion = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const applied: number[] = [];
  for (;;) {
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
      const [{ v }] = await tx<{ v: number }[]>`
        select coalesce(max(version), 0)::int as v from schema_migrations`;
      if (v > codeVersion) throw new SchemaTooNewError(v, codeVersion);
      const next = migrations.find((m) => m.version === v + 1);
      if (!next) return true;
      await tx.unsafe(next.sql);
      await tx`insert into schema_migrations (version, name) values (${next.version}, ${next.name})`;
      applied.push(next.version);
      return false;
    });
    if (done) return applied;
  }
}

/** Two processes racing on `create table if not exists` can hit a unique violation on the catalog. */
function ignoreConcurrentCreate(err: unknown) {
  const code = (err as { code?: string }).code;
  if (code !== "23505" && code !== "42P07") throw err;
}
