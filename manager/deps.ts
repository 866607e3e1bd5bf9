/** @module The dependencies every manager endpoint receives from `main.ts`. */
import type { Config } from "../common/config.ts";
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { SecretKeys } from "../common/secret_key.ts";
import type { ExecutorPool } from "../executor/mod.ts";
import type { LogFeed, Routing } from "../orchestrator/mod.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { FailureLimiter } from "./rate_limit.ts";

/** Built once in `main.ts` and passed to every `bindXxxApi`. */
export interface ManagerDeps {
  config: Config;
  sql: Sql;
  routing: Routing;
  log: Logger;
  /** The key that seals script secrets (null from `box()` when secrets are disabled). */
  secrets: SecretKeys;
  /** Deploy-time check of a source in the real sandbox. */
  executor: Pick<ExecutorPool, "check">;
  /** New execution log rows, for live tails. */
  logFeed: LogFeed;
  /** Aborted when the platform shuts down: long-lived responses end so the server can drain. */
  closing: AbortSignal;
  /** The executor processes; deleting an app stops its executor. */
  pool: Pick<ExecutorPool, "stopApp">;
}

/** What identity endpoints need on top: the password hasher and the login failure limiters. */
export interface IdentityDeps extends ManagerDeps {
  passwords: PasswordHasher;
  loginLimits: { perAccount: FailureLimiter; perAddr: FailureLimiter };
}
