/**
 * @module The orchestrator: the data plane's triggers (tenant HTTP requests and cron schedules),
 * the live routing snapshot they resolve against, and the execution log pipeline. Everything
 * outside this folder imports it from here.
 */

export { CronError, nextRunAfter, parseCron, validateTimezone } from "./cron/cron.ts";
