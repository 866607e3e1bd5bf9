/**
 * @module `backupToFile`: a backup of the embedded database and its secret key into one file
 * (mode 0600, written atomically). With no server running it opens the data directory itself;
 * while a server holds it, that server takes the backup (`GET /api/v1/admin/backup`), so the
 * snapshot is consistent while serving. PostgreSQL is refused: pg_dump is its backup.
 */
import type { Config } from "../common/config.ts";
import { DataDirLockedError, openDatabase } from "../common/db.ts";
import { ApiError, ERROR_CODES, type ErrorCode } from "../common/errors.ts";
import { type BackupManifest, unpackBackup } from "./backup_format.ts";
import { BackupError } from "./errors.ts";
import { exists, writeFileAtomic } from "./_files.ts";
import { postgresRefusal, takeBackup } from "./take_backup.ts";

/** How to reach a running server when it holds the data directory (the CLI's login). */
export interface BackupOptions {
  /** The console's base URL, e.g. `http://127.0.0.1:8001`. */
  url?: string;
  /** An instance owner's API key (or session token). */
  apiKey?: string;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** What was written. */
export interface BackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
  /** `offline`: this process opened the data directory; `server`: the running server took it. */
  via: "offline" | "server";
}

/** Backs up the configured embedded database into `file`; see the module comment. */
export async function backupToFile(
  config: Config,
  file: string,
  opts: BackupOptions = {},
): Promise<BackupResult> {
  if (config.databaseUrl) throw postgresRefusal();
  if (!await exists(`${config.dataDir}/pgdata/PG_VERSION`)) {
    throw new BackupError(
      "no_database",
      `The data directory ${config.dataDir} holds no database to back up (check PICLOUD_DATA_DIR)`,
    );
  }
  let db;
  try {
    db = await openDatabase({ dataDir: config.dataDir });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    return await fromServer(config, file, opts);
  }
  try {
    const taken = await takeBackup(db, config);
    await writeFileAtomic(file, taken.bytes);
    return { file, bytes: taken.bytes.byteLength, manifest: taken.manifest, via: "offline" };
  } finally {
    await db.close();
  }
}

/** Asks the running server for the backup over its console port and checks what came back. */
async function fromServer(
  config: Config,
  file: string,
  opts: BackupOptions,
): Promise<BackupResult> {
  if (!opts.url || !opts.apiKey) {
    throw new BackupError(
      "data_dir_locked",
      `The data directory ${config.dataDir} is in use by a running PiCloud server: the server ` +
        "must take the backup. Run `picloud login` with an instance owner's API key and try " +
        "again (the backup is then fetched from the server), or stop the server first",
    );
  }
  const url = new URL("/api/v1/admin/backup", opts.url);
  const res = await (opts.fetch ?? fetch)(url, {
    headers: { authorization: `Bearer ${opts.apiKey}` },
  });
  if (!res.ok || !res.body) {
    const body = await res.json().catch(() => null) as
      | { error?: { code?: string; message?: string } }
      | null;
    const code = body?.error?.code;
    const known: ErrorCode = code && code in ERROR_CODES ? code as ErrorCode : "internal";
    throw new ApiError(
      known,
      `The server at ${url.origin} refused the backup (${res.status}` +
        `${code ? " " + code : ""}): ${body?.error?.message ?? res.statusText}`,
    );
  }
  // Read back before it replaces `file`: a truncated download must not pass for a backup.
  let manifest: BackupManifest | undefined;
  await writeFileAtomic(file, res.body, async (tmp) => {
    manifest = (await unpackBackup(await Deno.readFile(tmp))).manifest;
  });
  if (!manifest) throw new Error("unreachable: the backup was not checked");
  const { size } = await Deno.stat(file);
  return { file, bytes: size, manifest, via: "server" };
}
