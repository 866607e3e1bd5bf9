/**
 * @module `restoreFromFile`: puts a backup's database and secret key into the configured data
 * directory, offline only. Everything is checked before anything is replaced: the file (format,
 * checksum), its schema (a newer one than this PiCloud knows is refused), the lock (no server may
 * run) and the directory (an existing database is replaced only with `force`). The database is
 * first loaded into a staging directory beside it, then moved into place.
 */
import type { Config } from "../common/config.ts";
import { DataDirLockedError, lockDataDir, openDatabase } from "../common/db.ts";
import { loadMigrations } from "../common/migrate.ts";
import { SECRET_KEY_FILE } from "../common/secret_key.ts";
import { type BackupManifest, unpackBackup } from "./backup_format.ts";
import { BackupError } from "./errors.ts";
import { exists, writeFileAtomic } from "./_files.ts";
import { schemaVersionOf } from "./repo.ts";

/** Restore options. */
export interface RestoreOptions {
  /** Replace a database the data directory already holds (default false: refused). */
  force?: boolean;
}

/** What was restored. */
export interface RestoreResult {
  dataDir: string;
  manifest: BackupManifest;
  /** True when an existing database was replaced (`force`). */
  replaced: boolean;
  /** Things the operator must do before starting, e.g. set `PICLOUD_SECRET_KEY`. */
  warnings: string[];
}

/** Restores `file` into `config.dataDir`; see the module comment. */
export async function restoreFromFile(
  config: Config,
  file: string,
  opts: RestoreOptions = {},
): Promise<RestoreResult> {
  if (config.databaseUrl) {
    throw new BackupError(
      "backup_unsupported",
      "The database is PostgreSQL (DATABASE_URL): restore it with pg_restore from a pg_dump " +
        "file; `picloud restore` is for the embedded database",
    );
  }
  const { manifest, database, secretKey } = await unpackBackup(await Deno.readFile(file));
  const migrations = await loadMigrations();
  const known = migrations.at(-1)?.version ?? 0;
  if (manifest.schema_version > known) {
    throw new BackupError(
      "backup_too_new",
      `The backup's schema is at version ${manifest.schema_version} but this PiCloud only ` +
        `knows up to ${known}: restore it with a PiCloud at least as new as the one that took it`,
      { backup_schema_version: manifest.schema_version, known_schema_version: known },
    );
  }
  const dataDir = config.dataDir;
  await Deno.mkdir(dataDir, { recursive: true });
  let lock: Deno.FsFile;
  try {
    lock = await lockDataDir(dataDir);
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    throw new BackupError(
      "data_dir_locked",
      `The data directory ${dataDir} is in use by a running PiCloud server: stop it before ` +
        "restoring (a restore never replaces a live database)",
    );
  }
  try {
    const replaced = await exists(`${dataDir}/pgdata/PG_VERSION`);
    if (replaced && !opts.force) {
      throw new BackupError(
        "data_dir_not_empty",
        `The data directory ${dataDir} already holds a database: restore into an empty ` +
          "directory, or pass force to replace it (it is deleted)",
      );
    }
    await putInPlace(dataDir, database, manifest.schema_version);
    if (secretKey !== null) {
      await writeFileAtomic(`${dataDir}/${SECRET_KEY_FILE}`, encode(secretKey));
    }
    return { dataDir, manifest, replaced, warnings: warningsFor(config, manifest) };
  } finally {
    lock.close();
  }
}

/**
 * Loads the dump in a staging directory (PGlite checks it opens and reads its schema version),
 * then swaps it in for `pgdata`; the old database and the staging directory are removed.
 */
async function putInPlace(dataDir: string, database: Uint8Array, schemaVersion: number) {
  const staging = `${dataDir}/.restore-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const db = await openDatabase({ dataDir: staging, template: database });
    try {
      const got = await schemaVersionOf(db.sql);
      if (got !== schemaVersion) {
        throw new BackupError(
          "backup_invalid",
          `The backup's database is at schema version ${got}, its manifest says ${schemaVersion}`,
        );
      }
    } finally {
      await db.close();
    }
    if (await exists(`${dataDir}/pgdata`)) await Deno.rename(`${dataDir}/pgdata`, `${staging}/old`);
    await Deno.rename(`${staging}/pgdata`, `${dataDir}/pgdata`);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

function warningsFor(config: Config, manifest: BackupManifest): string[] {
  const source = manifest.secret_key.source;
  if (source === "env" && config.secretKey === undefined) {
    return [
      "The backup's secrets were sealed with PICLOUD_SECRET_KEY, which a backup never holds: " +
      "set the same PICLOUD_SECRET_KEY before starting, or the secrets cannot be read",
    ];
  }
  if (source === "file" && config.secretKey !== undefined) {
    return [
      `PICLOUD_SECRET_KEY is set and overrides the restored ${SECRET_KEY_FILE}: unset it, or ` +
      "the restored secrets cannot be read",
    ];
  }
  return [];
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
