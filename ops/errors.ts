/** @module The typed error of backups and restores: a stable `code` from the error catalogue. */
import { ApiError, type ErrorCode } from "../common/errors.ts";

/** Codes a backup or a restore fails with. */
export type BackupErrorCode = Extract<
  ErrorCode,
  | "backup_unsupported"
  | "backup_invalid"
  | "backup_too_new"
  | "data_dir_locked"
  | "data_dir_not_empty"
  | "no_database"
>;

/** A backup or restore refused, with a message that says what to do. */
export class BackupError extends ApiError {
  constructor(code: BackupErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = "BackupError";
  }
}
