/**
 * @module The backup file: a gzipped tar holding `manifest.json` (format version, schema version,
 * time, checksums), `database.tar` (the embedded database's data directory as PGlite dumps it)
 * and `secret.key` (the key that seals script secrets, when it is a file of the data directory).
 */
import { createTarGzip, parseTarGzip } from "nanotar";
import { BackupError } from "./errors.ts";

/** The one format this code writes; readers refuse any other. */
export const BACKUP_FORMAT = "picloud-backup";
/** Bumped when the layout changes in a way older readers cannot follow. */
export const BACKUP_FORMAT_VERSION = 1;

/** Where the key that seals script secrets came from when the backup was taken. */
export type SecretKeySource = "file" | "env" | "none";

/** `manifest.json`: what a restore checks before it writes anything. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  /** The newest applied migration of the backed-up database (0 before any). */
  schema_version: number;
  /** ISO 8601 time the database was dumped. */
  created_at: string;
  /** Deno version of the process that took it (informational). */
  deno: string;
  database: { kind: "pglite"; file: "database.tar"; bytes: number; sha256: string };
  /**
   * `file`: `secret.key` is in the backup. `env`: the key came from `PICLOUD_SECRET_KEY` and is
   * NOT in the backup (restore needs the same variable). `none`: no key existed yet.
   */
  secret_key: { source: SecretKeySource };
}

/** A backup's parts in memory. */
export interface BackupParts {
  manifest: BackupManifest;
  /** PGlite's uncompressed data directory tar. */
  database: Uint8Array;
  /** The key file's text, when `manifest.secret_key.source` is `file`. */
  secretKey: string | null;
}

/** What `packBackup` needs: the dump, the schema version and the key (when it is a file). */
export interface PackInput {
  database: Uint8Array;
  schemaVersion: number;
  secretKey: { source: SecretKeySource; text?: string };
  /** Defaults to now. */
  createdAt?: Date;
}

/** Builds the backup file's bytes, with the manifest written into it. */
export async function packBackup(
  input: PackInput,
): Promise<{ bytes: Uint8Array; manifest: BackupManifest }> {
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    schema_version: input.schemaVersion,
    created_at: (input.createdAt ?? new Date()).toISOString(),
    deno: Deno.version.deno,
    database: {
      kind: "pglite",
      file: "database.tar",
      bytes: input.database.byteLength,
      sha256: await sha256(input.database),
    },
    secret_key: { source: input.secretKey.source },
  };
  const attrs = { mode: "600", uid: 0, gid: 0 };
  const files = [
    { name: "manifest.json", data: JSON.stringify(manifest, null, 2) + "\n", attrs },
    { name: "database.tar", data: input.database, attrs },
  ];
  if (input.secretKey.source === "file") {
    if (!input.secretKey.text) throw new Error("A file secret key needs its text");
    files.push({ name: "secret.key", data: input.secretKey.text, attrs });
  }
  return { bytes: await createTarGzip(files), manifest };
}

/**
 * Reads and checks a backup file's bytes: the format, its version, the database's size and
 * checksum, the key's presence. Throws `BackupError` `backup_invalid` on anything else.
 */
export async function unpackBackup(bytes: Uint8Array): Promise<BackupParts> {
  let entries: Awaited<ReturnType<typeof parseTarGzip>>;
  try {
    entries = await parseTarGzip(bytes);
  } catch (err) {
    throw invalid(`it is not a gzipped tar (${err instanceof Error ? err.message : err})`);
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const raw = byName.get("manifest.json");
  if (!raw?.data) throw invalid("it has no manifest.json");
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(raw.data));
  } catch {
    throw invalid("its manifest.json is not JSON");
  }
  if (manifest?.format !== BACKUP_FORMAT) throw invalid("it is not a PiCloud backup");
  if (manifest.format_version !== BACKUP_FORMAT_VERSION) {
    throw new BackupError(
      "backup_invalid",
      `The backup's format version ${manifest.format_version} is not the one this PiCloud ` +
        `reads (${BACKUP_FORMAT_VERSION})`,
    );
  }
  if (!Number.isInteger(manifest.schema_version) || manifest.database?.kind !== "pglite") {
    throw invalid("its manifest is incomplete");
  }
  const database = byName.get(manifest.database.file)?.data;
  if (!database) throw invalid(`it has no ${manifest.database.file}`);
  if (
    database.byteLength !== manifest.database.bytes ||
    await sha256(database) !== manifest.database.sha256
  ) {
    throw invalid("its database does not match the manifest's checksum (truncated or altered)");
  }
  let secretKey: string | null = null;
  if (manifest.secret_key?.source === "file") {
    const key = byName.get("secret.key")?.data;
    if (!key) throw invalid("its manifest names a secret key file the backup does not hold");
    secretKey = new TextDecoder().decode(key);
  }
  return { manifest, database, secretKey };
}

function invalid(why: string): BackupError {
  return new BackupError("backup_invalid", `The file is not a usable PiCloud backup: ${why}`);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
