/**
 * @module Takes a backup of an open embedded database: the schema version, PGlite's dump (taken
 * between two queries, so it is a consistent snapshot even while the server serves), then the
 * secret key — read after the dump, so every secret in the dump has its key in the backup.
 */
import type { Config } from "../common/config.ts";
import type { Database } from "../common/db.ts";
import { SECRET_KEY_FILE } from "../common/secret_key.ts";
import { type BackupManifest, packBackup, type SecretKeySource } from "./backup_format.ts";
import { BackupError } from "./errors.ts";
import { schemaVersionOf } from "./repo.ts";

/** A backup file's bytes and its manifest. */
export interface TakenBackup {
  bytes: Uint8Array;
  manifest: BackupManifest;
}

/** Backs up `db` (embedded only; PostgreSQL is refused with `backup_unsupported`). */
export async function takeBackup(
  db: Pick<Database, "sql" | "kind" | "dumpDataDir">,
  config: Pick<Config, "secretKey" | "dataDir">,
): Promise<TakenBackup> {
  if (db.kind !== "embedded" || !db.dumpDataDir) throw postgresRefusal();
  const schemaVersion = await schemaVersionOf(db.sql);
  const database = await db.dumpDataDir();
  const secretKey = await secretKeyOf(config);
  return await packBackup({ database, schemaVersion, secretKey });
}

/** The refusal for PostgreSQL, pointing at its own tools. */
export function postgresRefusal(): BackupError {
  return new BackupError(
    "backup_unsupported",
    "The database is PostgreSQL (DATABASE_URL): back it up with pg_dump and restore it with " +
      "pg_restore; keep PICLOUD_SECRET_KEY with it, or secrets cannot be read after a restore",
  );
}

/** The key that seals secrets: from the environment (not copied), the data directory's file, or none. */
async function secretKeyOf(
  config: Pick<Config, "secretKey" | "dataDir">,
): Promise<{ source: SecretKeySource; text?: string }> {
  if (config.secretKey !== undefined) return { source: "env" };
  try {
    return {
      source: "file",
      text: await Deno.readTextFile(`${config.dataDir}/${SECRET_KEY_FILE}`),
    };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { source: "none" };
    throw err;
  }
}
