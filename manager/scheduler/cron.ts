/**
 * @module Forwarding shim: the cron runtime moved to `orchestrator/cron/`. Kept only so
 * `manager/schedules/api.ts` (rewritten elsewhere at the same time) still compiles; delete it once
 * that file imports the cron parser from `orchestrator/mod.ts`.
 */
export { CronError, nextRunAfter, parseCron, validateTimezone } from "../../orchestrator/mod.ts";
