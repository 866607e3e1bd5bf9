/** @module The dependencies every manager endpoint receives from `main.ts`. */
import type { Config } from "../common/config.ts";
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { Routing } from "../orchestrator/routing.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { FailureLimiter } from "./rate_limit.ts";

/** Built once in `main.ts` and passed to every `bindXxxApi`. */
export interface ManagerDeps {
  config: Config;
  sql: Sql;
  routing: Routing;
  log: Logger;
}

/** What identity endpoints need on top: the password hasher and the login failure limiters. */
export interface IdentityDeps extends ManagerDeps {
  passwords: PasswordHasher;
  loginLimits: { perAccount: FailureLimiter; perAddr: FailureLimiter };
}
