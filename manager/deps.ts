/** @module The dependencies every manager endpoint receives from `main.ts`. */
import type { Config } from "../common/config.ts";
import type { Sql } from "../common/db.ts";
import type { Logger } from "../common/logging.ts";
import type { Routing } from "../orchestrator/routing.ts";

/** Built once in `main.ts` and passed to every `bindXxxApi`. */
export interface ManagerDeps {
  config: Config;
  sql: Sql;
  routing: Routing;
  log: Logger;
}
