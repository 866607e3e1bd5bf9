/** @module The dependencies every manager service and endpoint receives from the composition root (`server.ts`). */
import type { Config } from "../common/config.ts";
import type { Database, Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { SecretKeys } from "../common/secret_key.ts";
import type { ExecutorPool } from "../executor/mod.ts";
import type { LogFeed, LogWriter, Routing } from "../orchestrator/mod.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { FailureLimiter } from "./rate_limit.ts";

/** Built once in `server.ts` and passed to every service and `bindXxxApi`. */
export interface ManagerDeps {
  config: Config;
  sql: Sql;
  routing: Routing;
  log: Logger;
  /** The key that seals script secrets (null from `box()` when secrets are disabled). */
  secrets: SecretKeys;
  /** New execution log rows, for live tails. */
  logFeed: LogFeed;
  /** Aborted when the platform shuts down: long-lived responses end so the server can drain. */
  closing: AbortSignal;
  /** The executor processes: deploy-time checks in the real sandbox; deleting an app stops its executor. */
  pool: Pick<ExecutorPool, "check" | "stopApp" | "stats">;
  /** The execution-log writer, for its counters on the system page (absent in some tests). */
  logWriter?: Pick<LogWriter, "stats">;
  /** The database's kind and, when embedded, its dump (backups; absent in some tests). */
  database?: Pick<Database, "kind" | "dumpDataDir">;
  /** The password hasher (Argon2id). */
  passwords: PasswordHasher;
  /**
   * The credential failure limiters: sign-ins per account, per client address and per known
   * device, and wrong current passwords per user.
   */
  loginLimits: {
    perAccount: FailureLimiter;
    perAddr: FailureLimiter;
    perDevice: FailureLimiter;
    currentPassword: FailureLimiter;
  };
}
