/** @module The `picloud` command line's exit codes: one list, shown by `picloud --help` and the README. */

/** What a `picloud` command's exit status means. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** It ran and failed: a refused deploy, a server error, a failed backup. */
  failed: 1,
  /** The command line or the configuration is wrong (unknown command or option, bad value). */
  usage: 2,
  /** What it needs is not reachable: the server, the database, or a data directory in use. */
  unavailable: 3,
  /** Not logged in, or the server refused the credentials (401/403). */
  auth: 4,
  /** The app, script, version or user named does not exist. */
  notFound: 5,
} as const;

/** One of the exit codes above. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** The exit codes as help text. */
export const exitCodesHelp = `Exit codes:
  0  done
  1  failed (a refused deploy, a server error)
  2  bad command line or configuration
  3  server, database or data directory not available
  4  not logged in, or credentials refused
  5  app, script, version or user not found`;

/** Error codes whose exit status does not depend on how they arrived (API answer or local refusal). */
const EXIT_BY_CODE: Readonly<Record<string, ExitCodeValue>> = {
  backup_unsupported: ExitCode.usage,
  data_dir_locked: ExitCode.unavailable,
  no_database: ExitCode.notFound,
  unauthorized: ExitCode.auth,
  forbidden: ExitCode.auth,
};

/**
 * The exit status for an error with a stable `code`, and the HTTP status it came with when it was
 * the server's answer: the code decides where it is listed above, then the status.
 */
export function exitCodeFor(code: string, status?: number): ExitCodeValue {
  const byCode = EXIT_BY_CODE[code];
  if (byCode !== undefined) return byCode;
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 404) return ExitCode.notFound;
  if (status === 400 && (code === "invalid_request" || code === "bad_request")) {
    return ExitCode.usage;
  }
  if (status === 503 && code !== "capacity") return ExitCode.unavailable;
  return ExitCode.failed;
}
