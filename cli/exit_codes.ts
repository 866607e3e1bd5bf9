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
