/**
 * @module Operations on a PiCloud installation from the command line: `backupToFile` and
 * `restoreFromFile` of the embedded database (the CLI's `picloud backup` / `picloud restore`).
 */
export { type BackupOptions, type BackupResult, backupToFile } from "./backup.ts";
export { restoreFromFile, type RestoreOptions, type RestoreResult } from "./restore.ts";
export { BACKUP_FORMAT_VERSION, type BackupManifest } from "./backup_format.ts";
export { BackupError, type BackupErrorCode } from "./errors.ts";
