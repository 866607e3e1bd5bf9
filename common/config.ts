/** @module Typed configuration parsed from the environment; the only module that reads it. */
import { z } from "zod";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

// Host names as requests carry them once normalised: lower case, no trailing dot, no port.
const hostList = z.string().transform((s) =>
  s.split(",").map((h) =>
    h.trim().toLowerCase().replace(/^(\[[^\]]*\]|[^:]*):\d+$/, "$1").replace(/\.$/, "")
  ).filter((h) => h.length > 0)
);

/** `loopback`, an IP address or a CIDR (`10.0.0.0/8`, `fd00::/8`), validated by the URL parser. */
function isProxySpec(spec: string): boolean {
  if (spec === "loopback") return true;
  const [ip, bits, extra] = spec.split("/");
  if (extra !== undefined || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))) return false;
  const v6 = ip.includes(":");
  if (bits !== undefined && Number(bits) > (v6 ? 128 : 32)) return false;
  try {
    if (v6) return new URL(`http://[${ip}]/`).hostname !== "";
    return /^[0-9.]+$/.test(ip) && new URL(`http://${ip}/`).hostname === ip;
  } catch {
    return false;
  }
}

/** The environment variables PiCloud reads, with their defaults. */
export const configSchema = z.object({
  PORT: intFrom(0, 65535).default(8000),
  HOSTNAME: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.string().url().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  PICLOUD_DATA_DIR: z.string().min(1).default("./.picloud/data"),
  // Where the embedded database runs: `small`, on the main thread; `large`, in a thread of its
  // own (parallel to request handling on another core, ~11–16 MB more). Not used with DATABASE_URL.
  PICLOUD_MEMORY_PROFILE: z.enum(["small", "large"]).default("small"),
  // What this process serves (`picloud serve --role` wins over it); see `Role`.
  PICLOUD_ROLE: z.enum(["all", "manager", "node"]).default("all"),
  PICLOUD_CONSOLE_HOSTS: hostList.default([]),
  // The console and admin API listen on their own port, so no tenant script ever answers on the
  // console's origin. The same value as PORT shares one port: then PICLOUD_CONSOLE_HOSTS is required.
  PICLOUD_CONSOLE_PORT: intFrom(0, 65535).default(8001),
  PICLOUD_CONSOLE_HOSTNAME: z.string().min(1).optional(),
  PICLOUD_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  PICLOUD_TIMEOUT_MS: intFrom(10, 15 * 60_000).default(30_000),
  // Per executor process (RSS of all of an app's warm scripts, ~66 MB baseline included) and
  // the heap cap of each script isolate; below 128 MB an executor cannot hold a script.
  PICLOUD_MEMORY_LIMIT_MB: intFrom(128, 16_384).default(512),
  PICLOUD_MAX_BODY_BYTES: intFrom(1024, 1024 ** 3).default(10 * 1024 * 1024),
  PICLOUD_MAX_CONCURRENCY: intFrom(1, 100_000).default(64),
  PICLOUD_EXECUTOR_IDLE_MS: intFrom(100, 86_400_000).default(300_000),
  // Unset: derived from the machine's memory (defaultMaxExecutors).
  PICLOUD_MAX_EXECUTORS: intFrom(1, 4096).optional(),
  // Requests waiting for an executor slot when all are busy; unset: 16 × the executor cap.
  PICLOUD_EXECUTOR_QUEUE: intFrom(0, 1_000_000).optional(),
  PICLOUD_EXECUTOR_QUEUE_MS: intFrom(0, 15 * 60_000).default(5_000),
  // One executor started ahead of need, paused, for the next new app's first request.
  PICLOUD_SPARE_EXECUTOR: z.enum(["true", "false", "1", "0"]).default("true"),
  PICLOUD_LOG_FLUSH_MS: intFrom(10, 60_000).default(250),
  // A write costs a fixed ~5 ms of CPU on embedded PGlite plus ~3 µs per row (bench/log_path.ts):
  // large batches keep a busy platform near that per-row cost; a quiet one flushes on the timer.
  PICLOUD_LOG_BATCH_SIZE: intFrom(1, 10_000).default(2_000),
  // Execution log rows held in memory while the database catches up (queued and being written);
  // beyond either bound new rows are dropped, counted per app and shown in the app's log listing.
  PICLOUD_LOG_BUFFER_ROWS: intFrom(100, 10_000_000).default(10_000),
  PICLOUD_LOG_BUFFER_MB: intFrom(1, 16_384).default(32),
  PICLOUD_BOOTSTRAP_EMAIL: z.string().email().max(320).optional(),
  PICLOUD_BOOTSTRAP_PASSWORD: z.string().min(8, "must be at least 8 characters").max(1024)
    .optional(),
  PICLOUD_ARGON2_MEMORY_KIB: intFrom(1024, 4 * 1024 * 1024).default(19_456),
  PICLOUD_ARGON2_ITERATIONS: intFrom(1, 100).default(2),
  PICLOUD_ARGON2_PARALLELISM: intFrom(1, 16).default(1),
  PICLOUD_SESSION_TTL_MS: intFrom(60_000, 365 * 86_400_000).default(86_400_000),
  PICLOUD_SETUP_TOKEN_TTL_MS: intFrom(60_000, 30 * 86_400_000).default(3_600_000),
  PICLOUD_LOGIN_MAX_FAILURES: intFrom(1, 10_000).default(5),
  PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR: intFrom(1, 1_000_000).default(100),
  PICLOUD_LOGIN_WINDOW_MS: intFrom(1000, 86_400_000).default(900_000),
  PICLOUD_SECRET_KEY: z.string().min(1).optional(),
  PICLOUD_LOG_RETENTION_DAYS: intFrom(1, 3650).default(7),
  PICLOUD_PACKAGE_CACHE_DIR: z.string().min(1).optional(),
  PICLOUD_BUNDLE_TIMEOUT_MS: intFrom(1_000, 600_000).default(60_000),
  PICLOUD_BUNDLE_MEMORY_MB: intFrom(64, 16_384).default(1024),
  PICLOUD_DENO_BIN: z.string().min(1).optional(),
  PICLOUD_PACKAGES_OFFLINE: z.enum(["0", "1", "true", "false"]).default("0"),
  PICLOUD_LOG_MAX_ROWS_PER_APP: intFrom(10, 10_000_000).default(10_000),
  // HTTP listener: whole request header from accept, keep-alive idle between requests, and open
  // client connections per listening socket (unset: derived from the open-files limit).
  PICLOUD_HEADER_TIMEOUT_MS: intFrom(100, 10 * 60_000).default(10_000),
  PICLOUD_IDLE_TIMEOUT_MS: intFrom(100, 60 * 60_000).default(60_000),
  PICLOUD_MAX_CONNECTIONS: intFrom(1, 1_000_000).optional(),
  // Peers whose X-Forwarded-For / Forwarded / X-Forwarded-Proto are believed: IPs, CIDRs or
  // `loopback`. Empty: no proxy is trusted and the TCP peer is the client.
  // A bearer token that opens /metrics to callers off this machine; unset: loopback only.
  PICLOUD_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  // SIGTERM: how long in-flight requests may take to finish before the process stops anyway.
  PICLOUD_SHUTDOWN_GRACE_MS: intFrom(0, 15 * 60_000).default(10_000),
  PICLOUD_TRUSTED_PROXIES: z.string().transform((s) =>
    s.split(",").map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0)
  ).pipe(z.array(z.string().refine(isProxySpec, "use IPs, CIDRs or `loopback`"))).default([]),
});

/** Identity settings: bootstrap owner, password hashing, sessions and login throttling. */
export interface AuthConfig {
  bootstrapEmail: string | undefined;
  bootstrapPassword: string | undefined;
  /** Argon2id parameters; stored hashes made with other values are rehashed on login. */
  argon2: { memoryKib: number; iterations: number; parallelism: number };
  /** Sliding session lifetime. */
  sessionTtlMs: number;
  /** Lifetime of the one-time first-run setup token. */
  setupTokenTtlMs: number;
  /** Failed logins allowed per account, then per client address, within `loginWindowMs`. */
  loginMaxFailures: number;
  loginMaxFailuresPerAddr: number;
  loginWindowMs: number;
}

/** Limits applied to every script unless its policy narrows them. */
export interface LimitDefaults {
  timeoutMs: number;
  memoryLimitMb: number;
  maxBodyBytes: number;
  maxConcurrency: number;
}

/**
 * What one process serves. `all`: everything (the default). `node`: tenant traffic, executors and
 * schedule firing, no console port. `manager`: the console port (admin API, console, tls-ask),
 * executing "try it" with its own executors; no tenant port and no schedule firing. Split roles
 * need PostgreSQL: the embedded database belongs to one process.
 */
export type Role = "all" | "manager" | "node";

/** The typed configuration handed down from `main.ts`. */
export interface Config {
  /** What this process serves. */
  role: Role;
  port: number;
  hostname: string;
  databaseUrl: string | undefined;
  dataDir: string;
  /** `small`: the embedded database on the main thread; `large`: in a thread of its own. */
  memoryProfile: "small" | "large";
  /** Hosts that alone may reach the console; empty: any host on the console port. */
  consoleHosts: string[];
  /** Where the console and admin API listen; `shared` when it is the tenant port. */
  console: { port: number; hostname: string; shared: boolean };
  logLevel: "debug" | "info" | "warn" | "error";
  limits: LimitDefaults;
  executorIdleMs: number;
  maxExecutors: number;
  /** Most requests waiting for an executor slot, and the longest wait. */
  executorQueue: number;
  executorQueueMs: number;
  /** Keep one paused executor ready for the next new app (off when maxExecutors is 1). */
  spareExecutor: boolean;
  logFlushMs: number;
  logBatchSize: number;
  /** Bound of the execution log buffer, in rows and in (estimated) megabytes. */
  logBufferRows: number;
  logBufferMb: number;
  /** Base64 of 32 bytes encrypting script secrets; unset: generated file (embedded) or none. */
  secretKey: string | undefined;
  /** Execution log retention: rows older than this many days, and beyond this many per app. */
  logRetentionDays: number;
  logMaxRowsPerApp: number;
  /** Deploy-time bundling: the package cache (default `<dataDir>/packages`) and the limits. */
  bundler: {
    cacheDir: string;
    timeoutMs: number;
    memoryMb: number;
    offline: boolean;
    /** The `deno` that bundles (PICLOUD_DENO_BIN); unset: see `bundlerDeno()`. */
    denoPath?: string;
  };
  /** Proxies (IPs, CIDRs, `loopback`) whose forwarding headers name the client and scheme. */
  trustedProxies: string[];
  /** Opens `/metrics` to non-loopback callers presenting it as a bearer token. */
  metricsToken: string | undefined;
  /** How long a graceful shutdown waits for in-flight requests. */
  shutdownGraceMs: number;
  /** HTTP listener limits; `maxConnections` undefined: derived from the open-files limit. */
  http: { headerTimeoutMs: number; idleTimeoutMs: number; maxConnections: number | undefined };
  auth: AuthConfig;
}

/** A configuration value that failed validation; names the variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      "Invalid configuration: " + issues.map((i) => `${i.variable}: ${i.message}`).join("; "),
    );
    this.name = "ConfigError";
  }
}

/** Planned RSS of one executor process: ~66 MB measured with one warm script, plus a few more. */
export const EXECUTOR_BUDGET_MB = 128;
/** Memory left to the main process (embedded PGlite alone is ~700 MB) and the OS. */
export const MAIN_RESERVE_MB = 1024;

/**
 * The executor cap when `PICLOUD_MAX_EXECUTORS` is unset: what the machine's memory holds after
 * the main process's reserve, one `EXECUTOR_BUDGET_MB` per executor, between 2 and 64.
 * `totalMemoryMb` null (unknown) gives 16.
 */
export function defaultMaxExecutors(totalMemoryMb: number | null): number {
  if (totalMemoryMb === null || !Number.isFinite(totalMemoryMb)) return 16;
  const fits = Math.floor((totalMemoryMb - MAIN_RESERVE_MB) / EXECUTOR_BUDGET_MB);
  return Math.min(64, Math.max(2, fits));
}

/** Total memory of this machine in MiB, or null when it cannot be read. */
function systemMemoryMb(): number | null {
  try {
    return Deno.systemMemoryInfo().total / (1024 * 1024);
  } catch {
    return null;
  }
}

/**
 * Parses an environment map (e.g. `Deno.env.toObject()`) into a `Config`, or throws `ConfigError`.
 * `totalMemoryMb` (default: this machine's) sizes the executor cap when it is not configured.
 */
export function parseConfig(
  env: Record<string, string | undefined>,
  machine: { totalMemoryMb?: number | null } = {},
): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k in configSchema.shape && v !== undefined && v !== ""),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0]), message: i.message })),
    );
  }
  const e = result.data;
  const maxExecutors = e.PICLOUD_MAX_EXECUTORS ??
    defaultMaxExecutors(
      machine.totalMemoryMb === undefined ? systemMemoryMb() : machine.totalMemoryMb,
    );
  const shared = e.PICLOUD_CONSOLE_PORT === e.PORT && e.PORT !== 0;
  if (shared && e.PICLOUD_CONSOLE_HOSTS.length === 0) {
    throw new ConfigError([{
      variable: "PICLOUD_CONSOLE_HOSTS",
      message:
        "required when PICLOUD_CONSOLE_PORT equals PORT (the console needs hosts of its own)",
    }]);
  }
  if (e.PICLOUD_ROLE !== "all" && !e.DATABASE_URL) {
    throw new ConfigError([{
      variable: "PICLOUD_ROLE",
      message: `role ${e.PICLOUD_ROLE} needs DATABASE_URL (PostgreSQL): the embedded database ` +
        "belongs to one process, so run the whole platform there (role all)",
    }]);
  }
  return {
    role: e.PICLOUD_ROLE,
    port: e.PORT,
    hostname: e.HOSTNAME,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PICLOUD_DATA_DIR,
    memoryProfile: e.PICLOUD_MEMORY_PROFILE,
    consoleHosts: e.PICLOUD_CONSOLE_HOSTS,
    console: {
      port: e.PICLOUD_CONSOLE_PORT,
      hostname: e.PICLOUD_CONSOLE_HOSTNAME ?? e.HOSTNAME,
      shared,
    },
    logLevel: e.PICLOUD_LOG_LEVEL,
    limits: {
      timeoutMs: e.PICLOUD_TIMEOUT_MS,
      memoryLimitMb: e.PICLOUD_MEMORY_LIMIT_MB,
      maxBodyBytes: e.PICLOUD_MAX_BODY_BYTES,
      maxConcurrency: e.PICLOUD_MAX_CONCURRENCY,
    },
    executorIdleMs: e.PICLOUD_EXECUTOR_IDLE_MS,
    maxExecutors,
    executorQueue: e.PICLOUD_EXECUTOR_QUEUE ?? 16 * maxExecutors,
    executorQueueMs: e.PICLOUD_EXECUTOR_QUEUE_MS,
    spareExecutor: e.PICLOUD_SPARE_EXECUTOR === "true" || e.PICLOUD_SPARE_EXECUTOR === "1",
    logFlushMs: e.PICLOUD_LOG_FLUSH_MS,
    logBatchSize: e.PICLOUD_LOG_BATCH_SIZE,
    logBufferRows: e.PICLOUD_LOG_BUFFER_ROWS,
    logBufferMb: e.PICLOUD_LOG_BUFFER_MB,
    secretKey: e.PICLOUD_SECRET_KEY,
    logRetentionDays: e.PICLOUD_LOG_RETENTION_DAYS,
    bundler: {
      cacheDir: e.PICLOUD_PACKAGE_CACHE_DIR ?? `${e.PICLOUD_DATA_DIR.replace(/\/+$/, "")}/packages`,
      timeoutMs: e.PICLOUD_BUNDLE_TIMEOUT_MS,
      memoryMb: e.PICLOUD_BUNDLE_MEMORY_MB,
      offline: e.PICLOUD_PACKAGES_OFFLINE === "1" || e.PICLOUD_PACKAGES_OFFLINE === "true",
      denoPath: e.PICLOUD_DENO_BIN,
    },
    logMaxRowsPerApp: e.PICLOUD_LOG_MAX_ROWS_PER_APP,
    trustedProxies: e.PICLOUD_TRUSTED_PROXIES,
    metricsToken: e.PICLOUD_METRICS_TOKEN,
    shutdownGraceMs: e.PICLOUD_SHUTDOWN_GRACE_MS,
    http: {
      headerTimeoutMs: e.PICLOUD_HEADER_TIMEOUT_MS,
      idleTimeoutMs: e.PICLOUD_IDLE_TIMEOUT_MS,
      maxConnections: e.PICLOUD_MAX_CONNECTIONS,
    },
    auth: {
      bootstrapEmail: e.PICLOUD_BOOTSTRAP_EMAIL,
      bootstrapPassword: e.PICLOUD_BOOTSTRAP_PASSWORD,
      argon2: {
        memoryKib: e.PICLOUD_ARGON2_MEMORY_KIB,
        iterations: e.PICLOUD_ARGON2_ITERATIONS,
        parallelism: e.PICLOUD_ARGON2_PARALLELISM,
      },
      sessionTtlMs: e.PICLOUD_SESSION_TTL_MS,
      setupTokenTtlMs: e.PICLOUD_SETUP_TOKEN_TTL_MS,
      loginMaxFailures: e.PICLOUD_LOGIN_MAX_FAILURES,
      loginMaxFailuresPerAddr: e.PICLOUD_LOGIN_MAX_FAILURES_PER_ADDR,
      loginWindowMs: e.PICLOUD_LOGIN_WINDOW_MS,
    },
  };
}
