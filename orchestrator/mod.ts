/**
 * @module The orchestrator: the data plane's triggers (tenant HTTP requests and cron schedules),
 * the live routing snapshot they resolve against, and the execution log pipeline. Everything
 * outside this folder imports it from here.
 *
 * @example
 * ```ts
 * const routing = await createRouting(sql, { listen: true, log });
 * const tenant = createTenantHandler(routing, dispatchDeps);
 * const entries = createEntries({ consoleHosts, trustedProxies, consoleApi, tenant, routing, log });
 * ```
 */

// The front doors and the tenant trigger.
export { createEntries, type Entries, type EntryParts } from "./app.ts";
export { createTenantHandler, type TenantHandler } from "./tenant.ts";
export {
  dispatch,
  type DispatchDeps,
  type Dispatched,
  type DispatchInput,
  dispatchScheduled,
  dispatchTraced,
  effectiveLimits,
} from "./dispatch.ts";
export { createSourceCache, type SourceCache } from "./source_cache.ts";
export { createStackMaps, type StackMaps } from "./stack_maps.ts";

// The cron trigger.
export { CronError, nextRunAfter, parseCron, validateTimezone } from "./cron/cron.ts";
export {
  type RunScheduled,
  type Scheduler,
  type SchedulerOptions,
  startScheduler,
} from "./cron/scheduler.ts";

// Routing: hosts, routes and the live snapshot.
export { createRouting, type Routing, type RoutingSnapshot } from "./routing.ts";
export {
  type DomainPattern,
  DomainPatternError,
  normalizeHost,
  parseDomainPattern,
} from "./domain_pattern.ts";
export { matchDomainPattern } from "./host_table.ts";
export { ROUTE_METHODS, routeShapeKey } from "./route_table.ts";
export { type Reservation, reservationOf } from "./reserved_domains.ts";

// Execution logs: the writer, the live feed and the stored block format the log API reads.
export { createLogWriter, type LogWriter, type LogWriterOptions } from "./log_writer.ts";
export { createLogFeed, type LogFeed } from "./log_feed.ts";
export { decodeLogTuples, type StoredLogRow, type StoredLogTuple, tupleRow } from "./log_block.ts";
export {
  type ExecutionLogRow,
  insertLogBlocks,
  loadVersionMap,
  readExecutionLogs,
} from "./repo.ts";

// Operating the platform: liveness, readiness and metrics.
export { createHealth, type Health, type HealthOptions, type Readiness } from "./health.ts";
export { createMetrics, type Metrics, type MetricSources } from "./metrics.ts";
export { createOpsEndpoints, type OpsEndpoints, type OpsParts } from "./ops_api.ts";
