/**
 * @module The composition root: builds the database, routing, executor pool, control plane and
 * HTTP entry, and serves them. `main.ts` loads it lazily so the executor role never loads it.
 */
import {
  collectGarbage,
  mmapLargeAllocations,
  trimFields,
  trimFreedMemory,
  trimWhenQuiet,
} from "./common/c_heap.ts";
import type { Hono } from "hono";
import { resolve } from "node:path";
import { type Config, ConfigError } from "./common/config.ts";
import { type Database, openDatabase } from "./common/db.ts";
import { createLogger, type Logger } from "./common/logging.ts";
import { loadMigrations, migrate } from "./common/migrate.ts";
import { createSecretKeys } from "./common/secret_key.ts";
import {
  defaultMaxConnections,
  type HttpListener,
  listen,
  readOpenFilesSoftLimit,
} from "./common/http_listener.ts";
import { createExecutorPool, type ExecutorPool, QUEUE_WAIT_BUCKETS_S } from "./executor/mod.ts";
import { bootstrapIdentity, createConsoleApi, createIdentityParts } from "./manager/mod.ts";
import type { ManagerDeps } from "./manager/deps.ts";
import type { EndpointDoc } from "./manager/openapi_types.ts";
import {
  createEntries,
  createHealth,
  createLogFeed,
  createLogWriter,
  createMetrics,
  createOpsEndpoints,
  createRouting,
  createSourceCache,
  createStackMaps,
  createTenantHandler,
  type DispatchDeps,
  dispatchScheduled,
  type Entries,
  type Health,
  loadVersionMap,
  type LogWriter,
  type Metrics,
  type Routing,
  type Scheduler,
  startScheduler,
} from "./orchestrator/mod.ts";
import { seed } from "./manager/seed.ts";
import { bundlerStats } from "./manager/mod.ts";
import { createConsoleUi } from "./ui/mod.ts";

/** A running platform without its listeners: what tests drive with `tenant.request()` / `console.request()`. */
export interface Platform {
  /** Tenant traffic (the `PORT` listener). */
  tenant: Hono;
  /** The admin API and dashboard (the `PICLOUD_CONSOLE_PORT` listener). */
  console: Hono;
  /** Both on one port, split by host (when the console port is the tenant port). */
  shared: Hono;
  /** `tenant` without Hono in between: what the tenant listener serves. */
  tenantFetch: (req: Request, info?: unknown) => Promise<Response>;
  /** Every declared console endpoint (the OpenAPI document and the access matrix read them). */
  endpoints: () => EndpointDoc[];
  /** What the manager's services are called with (by both front doors, and by tests). */
  managerDeps: ManagerDeps;
  /** What the orchestrator dispatches with (the execute service's second half, and tests). */
  dispatchDeps: DispatchDeps;
  db: Database;
  pool: ExecutorPool;
  routing: Routing;
  logs: LogWriter;
  scheduler: Scheduler;
  log: Logger;
  health: Health;
  metrics: Metrics;
  /** Ends long-lived responses (live log tails) so a graceful server shutdown can finish. */
  endStreams(): void;
  /**
   * Stops the scheduler (waiting for its running schedules until `deadline`, epoch ms, then
   * ending them with the executors, so each claim is recorded as finished), stops executors,
   * flushes the execution log and closes the database.
   */
  close(opts?: { deadline?: number }): Promise<void>;
}

/** Opens (or is given) the database, migrates, seeds, and wires every part together. */
export async function createPlatform(
  config: Config,
  opts: {
    db?: Database;
    log?: Logger;
    /** Trims the C heap once tenant traffic stopped this long (`trimWhenQuiet`; the server's). */
    trimWhenQuietMs?: number;
  } = {},
): Promise<Platform> {
  const startedAt = Date.now();
  const log = opts.log ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const db = opts.db ??
    await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      thread: config.memoryProfile === "large",
    });
  const migrations = await loadMigrations();
  const applied = await migrate(db.sql, migrations);
  if (applied.length > 0) log.info("migrations applied", { versions: applied });
  const seeded = await seed(db.sql);
  if (seeded.helloWorldSeeded) log.info("fresh install: seeded Hello World at GET / of localhost");

  const secrets = createSecretKeys({
    key: config.secretKey,
    dataDir: db.kind === "embedded" ? config.dataDir : undefined,
  });
  const routing = await createRouting(db.sql, { listen: db.kind === "postgres", log, secrets });
  const socketDir = await Deno.makeTempDir({ prefix: "picloud-" });
  const pool = createExecutorPool({
    idleMs: config.executorIdleMs,
    maxExecutors: config.maxExecutors,
    maxQueue: config.executorQueue,
    queueTimeoutMs: config.executorQueueMs,
    spareExecutor: config.spareExecutor,
    spareMemoryLimitMb: config.limits.memoryLimitMb,
    socketDir,
    // Each executor's private Deno cache lives here, removed with the executor.
    stateDir: resolve(config.dataDir, "executors"),
    log: (level, msg, fields) => {
      metrics.observePoolLog(msg, fields);
      log[level](msg, fields);
    },
  });
  const logFeed = createLogFeed(db.sql, { listen: db.kind === "postgres" });
  const writer = createLogWriter(db.sql, {
    flushMs: config.logFlushMs,
    batchSize: config.logBatchSize,
    maxPendingRows: config.logBufferRows,
    maxPendingBytes: config.logBufferMb * 1024 * 1024,
    log,
    feed: logFeed,
    retention: {
      maxAgeMs: config.logRetentionDays * 86_400_000,
      maxRowsPerApp: config.logMaxRowsPerApp,
      everyMs: 60_000,
    },
  });
  // Every invocation's row passes here: the metrics count it on its way to the writer.
  const logs: LogWriter = {
    push(row) {
      metrics.observeInvocation(row);
      writer.push(row);
    },
    pushLater(row) {
      writer.pushLater(row.then((r) => {
        metrics.observeInvocation(r);
        return r;
      }));
    },
    flush: () => writer.flush(),
    close: () => writer.close(),
    get dropped() {
      return writer.dropped;
    },
    stats: () => writer.stats(),
  };
  const dispatchDeps: DispatchDeps = {
    pool,
    sources: createSourceCache(db.sql),
    logs,
    limits: config.limits,
    maps: createStackMaps((id) => loadVersionMap(db.sql, id)),
  };
  // A manager fires no schedules: the nodes do (each run is claimed once across them).
  const scheduler = config.role === "manager" ? idleScheduler() : startScheduler({
    sql: db.sql,
    routing,
    log,
    node: `${Deno.hostname()}:${Deno.pid}`,
    staleMs: config.limits.timeoutMs * 2 + 60_000,
    // Several processes on one PostgreSQL: a node killed mid-run frees its schedule at once.
    liveness: db.kind === "postgres" && config.databaseUrl
      ? { databaseUrl: config.databaseUrl }
      : undefined,
    run: async (run) => {
      const snap = routing.current();
      const script = snap.scripts.get(run.scriptId);
      const app = snap.apps.get(run.appId);
      if (!script || !app) return null;
      return await dispatchScheduled(dispatchDeps, {
        script,
        app,
        cron: run.cron,
        scheduledTime: run.scheduledFor.getTime(),
      });
    },
  });
  const closing = new AbortController();
  const managerDeps: ManagerDeps = {
    config,
    sql: db.sql,
    routing,
    log,
    secrets,
    logFeed,
    closing: closing.signal,
    pool,
    logWriter: logs,
    database: db,
    ...createIdentityParts(config.auth),
  };
  // The first owner (or the setup URL) is the console's business: a node has no console port.
  if (config.role !== "node") await bootstrapIdentity(managerDeps);
  const consoleApi = createConsoleApi(managerDeps, dispatchDeps);
  const health = createHealth({
    sql: db.sql,
    routing,
    expectedSchemaVersion: migrations.length === 0 ? 0 : migrations[migrations.length - 1].version,
    // A node keeps serving its last routing snapshot when PostgreSQL is gone: a load balancer
    // must keep it in rotation (`/readyz` says `degraded`, 200).
    readyWithoutDatabase: config.role === "node",
  });
  const ops = createOpsEndpoints({
    health,
    metrics,
    metricsToken: config.metricsToken,
    sources: {
      appSlug: (id) => routing.current().apps.get(id)?.slug,
      logWriter: () => writer.stats(),
      executors: () => pool.stats(),
      queueWaits: () => ({ bucketsS: QUEUE_WAIT_BUCKETS_S, ...pool.queueWaits() }),
      database: () => ({ kind: db.kind, maxConnections: db.maxConnections ?? 0 }),
      lastDatabaseCheck: () => health.lastDatabaseCheck(),
      routingLoadedAt: () => routing.current().loadedAt,
      bundler: bundlerStats,
      startedAt,
    },
  });
  const afterTraffic = opts.trimWhenQuietMs === undefined ? null : trimWhenQuiet(
    opts.trimWhenQuietMs,
    (r) => log.debug("returned freed memory after traffic", trimFields(r)),
  );
  const entries: Entries = createEntries({
    consoleHosts: config.consoleHosts,
    trustedProxies: config.trustedProxies,
    consoleApi: consoleApi.api,
    consoleUi: createConsoleUi(managerDeps, dispatchDeps),
    tenant: createTenantHandler(routing, dispatchDeps),
    routing,
    log,
    ops,
    onTenantResponse: afterTraffic
      ? (status) => {
        metrics.observeTenantResponse(status);
        afterTraffic.touch();
      }
      : metrics.observeTenantResponse,
  });
  return {
    ...entries,
    endpoints: consoleApi.endpoints,
    managerDeps,
    dispatchDeps,
    db,
    pool,
    routing,
    logs,
    scheduler,
    log,
    health,
    metrics,
    endStreams: () => closing.abort(),
    async close(closeOpts = {}) {
      closing.abort();
      afterTraffic?.stop();
      const schedulerClosed = scheduler.close();
      if (closeOpts.deadline !== undefined) {
        await untilDeadline(schedulerClosed, closeOpts.deadline);
      } else await schedulerClosed;
      // Stopping the executors ends any schedule still running; the scheduler then records it.
      await pool.close();
      await schedulerClosed;
      await logs.close();
      await logFeed.close();
      await routing.close();
      if (!opts.db) await db.close();
      await Deno.remove(socketDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Serves the platform until SIGINT/SIGTERM, then shuts down cleanly. */
export async function serve(config: Config): Promise<void> {
  const started = performance.now();
  const log = createLogger(config.logLevel);
  // Before the embedded database's large buffers come and go (see common/c_heap.ts).
  mmapLargeAllocations();
  // Busy spells leave freed blocks in the C heap: given back 10 s after the traffic stops.
  const platform = await createPlatform(config, { log, trimWhenQuietMs: 10_000 });
  const where = platform.db.kind === "embedded"
    ? `embedded database in ${config.dataDir}`
    : "PostgreSQL";
  // Signal listeners first: Deno aborts if its first signal registration meets EMFILE.
  const stop = new Promise<string>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  let listeners: HttpListener[];
  try {
    ({ listeners } = await startListeners(config, platform, log, { where, started }));
  } catch (err) {
    await platform.close();
    throw err;
  }
  // Start-up's garbage (database open, template, migrations) collected, and the C heap's freed
  // pages back to the system.
  collectGarbage();
  const trimmed = trimFreedMemory();
  if (trimmed) log.debug("returned start-up's freed memory", trimFields(trimmed));

  const signal = await stop;
  const deadline = Date.now() + config.shutdownGraceMs;
  log.info("shutting down", { signal, graceMs: config.shutdownGraceMs });
  // From here /readyz answers 503, so a balancer's next probe takes this node out.
  platform.health.startDraining();
  platform.endStreams();
  // Stop accepting; requests in flight finish (up to the deadline) and get their log rows.
  const drained = Promise.all(listeners.map((l) => l.shutdown()));
  const inTime = await untilDeadline(drained, deadline);
  if (!inTime) {
    log.warn("shutdown grace period over: ending the requests still running", {
      open: listeners.reduce((n, l) => n + l.stats().open, 0),
    });
  }
  // Past the deadline, stopping the executors ends what is still running; then connections close.
  await platform.close({ deadline });
  await untilDeadline(drained, Date.now() + 2_000);
  log.info("shut down", { signal, ms: config.shutdownGraceMs - (deadline - Date.now()) });
}

/** Where `serve` listens, by role; the ports actually bound (0 in the config: any free one). */
export interface Listening {
  listeners: HttpListener[];
  /** The tenant port (also the console's when they share it); absent for a manager. */
  tenantPort?: number;
  /** The console port; absent for a node. */
  consolePort?: number;
}

/**
 * Starts the HTTP listeners of `config.role`: `all` the tenant and console ports (or the one
 * shared port), `node` the tenant port only, `manager` the console port only. Logs the start-up
 * line. On failure, whatever was started is shut down again and the error thrown.
 */
export async function startListeners(
  config: Config,
  platform: Platform,
  log: Logger,
  info: { where: string; started: number },
): Promise<Listening> {
  const role = config.role;
  const total = config.http.maxConnections ?? defaultMaxConnections(readOpenFilesSoftLimit());
  // The console keeps its own share of connections, so a tenant flood never locks the owner out.
  const consoleCap = config.console.shared ? 0 : Math.max(8, Math.floor(total / 8));
  const listeners: HttpListener[] = [];
  const serveOn = (
    port: number,
    hostname: string,
    entry: { fetch: (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response> },
    maxConnections: number,
  ) => {
    const server = listenOrExplain(port, hostname, () =>
      listen({
        port,
        hostname,
        headerTimeoutMs: config.http.headerTimeoutMs,
        idleTimeoutMs: config.http.idleTimeoutMs,
        maxConnections,
        log,
      }, (req, info) => entry.fetch(req, info)));
    listeners.push(server);
    return server.addr.port;
  };
  try {
    const ms = () => Math.round(performance.now() - info.started);
    const where = info.where;
    if (role === "node") {
      const port = serveOn(config.port, config.hostname, { fetch: platform.tenantFetch }, total);
      log.info(
        `PiCloud node listening on http://localhost:${port}/ (${where}, ready in ${ms()} ms); ` +
          `no console here (role node)`,
      );
      return { listeners, tenantPort: port };
    }
    if (role === "manager") {
      const consolePort = serveOn(
        config.console.port,
        config.console.hostname,
        platform.console,
        total,
      );
      log.info(
        `PiCloud manager: console and admin API on http://localhost:${consolePort}/api/v1/ ` +
          `(${where}, ready in ${ms()} ms); no tenant port and no schedules here (role manager)`,
      );
      return { listeners, consolePort };
    }
    if (config.console.shared) {
      const port = serveOn(config.port, config.hostname, platform.shared, total);
      log.info(
        `PiCloud listening on http://localhost:${port}/ (${where}, ready in ${ms()} ms); ` +
          `console and admin API on the hosts ${config.consoleHosts.join(", ")} only (role all)`,
      );
      return { listeners, tenantPort: port, consolePort: port };
    }
    const consolePort = serveOn(
      config.console.port,
      config.console.hostname,
      platform.console,
      consoleCap,
    );
    const tenant = { fetch: platform.tenantFetch };
    const port = serveOn(config.port, config.hostname, tenant, total - consoleCap);
    log.info(
      `PiCloud listening on http://localhost:${port}/ (${where}, ready in ${ms()} ms); ` +
        `console and admin API on http://localhost:${consolePort}/api/v1/ (role all)`,
    );
    return { listeners, tenantPort: port, consolePort };
  } catch (err) {
    await Promise.all(listeners.map((l) => l.shutdown()));
    throw err;
  }
}

/** The scheduler of a process that fires no schedules (a manager). */
function idleScheduler(): Scheduler {
  const done = () => Promise.resolve();
  return { rearm: done, idle: done, close: done };
}

/** Waits for `p` until `deadline` (epoch ms); true when it settled in time. */
async function untilDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), deadline - Date.now()));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A port already taken is a configuration problem: say which variable to change. */
function listenOrExplain<T>(port: number, hostname: string, start: () => T): T {
  try {
    return start();
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse || err instanceof Deno.errors.AddrNotAvailable)) {
      throw err;
    }
    throw new ConfigError([{
      variable: "PORT / PICLOUD_CONSOLE_PORT",
      message: `cannot listen on ${hostname}:${port}: ${err.message}`,
    }]);
  }
}

/** What `migrateOnly` did: the migrations it applied (`0006_bundle_maps`) and the schema version. */
export interface MigrateResult {
  applied: string[];
  version: number;
}

/** Applies pending migrations and closes the database. */
export async function migrateOnly(config: Config): Promise<MigrateResult> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const migrations = await loadMigrations();
    const versions = await migrate(db.sql, migrations);
    const names = new Map(migrations.map((m) => [m.version, m.name]));
    return {
      applied: versions.map((v) => `${String(v).padStart(4, "0")}_${names.get(v)}`),
      version: migrations.length === 0 ? 0 : migrations[migrations.length - 1].version,
    };
  } finally {
    await db.close();
  }
}
