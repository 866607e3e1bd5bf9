/** @module Typed configuration parsed from the environment; the only module that reads it. */
import { z } from "zod";

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const hostList = z.string().transform((s) =>
  s.split(",").map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0)
);

/** The environment variables PiCloud reads, with their defaults. */
export const configSchema = z.object({
  PORT: intFrom(0, 65535).default(8000),
  HOSTNAME: z.string().min(1).default("0.0.0.0"),
  DATABASE_URL: z.string().url().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  PICLOUD_DATA_DIR: z.string().min(1).default("./.picloud/data"),
  PICLOUD_CONSOLE_HOSTS: hostList.default([]),
  PICLOUD_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  PICLOUD_TIMEOUT_MS: intFrom(10, 15 * 60_000).default(30_000),
  // Per executor process (RSS of all of an app's warm scripts, ~66 MB baseline included) and
  // the heap cap of each script isolate; below 128 MB an executor cannot hold a script.
  PICLOUD_MEMORY_LIMIT_MB: intFrom(128, 16_384).default(512),
  PICLOUD_MAX_BODY_BYTES: intFrom(1024, 1024 ** 3).default(10 * 1024 * 1024),
  PICLOUD_MAX_CONCURRENCY: intFrom(1, 100_000).default(64),
  PICLOUD_EXECUTOR_IDLE_MS: intFrom(100, 86_400_000).default(300_000),
  PICLOUD_MAX_EXECUTORS: intFrom(1, 4096).default(16),
  PICLOUD_LOG_FLUSH_MS: intFrom(10, 60_000).default(250),
  PICLOUD_LOG_BATCH_SIZE: intFrom(1, 10_000).default(200),
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
  PICLOUD_LOG_MAX_ROWS_PER_APP: intFrom(10, 10_000_000).default(10_000),
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

/** The typed configuration handed down from `main.ts`. */
export interface Config {
  port: number;
  hostname: string;
  databaseUrl: string | undefined;
  dataDir: string;
  consoleHosts: string[];
  logLevel: "debug" | "info" | "warn" | "error";
  limits: LimitDefaults;
  executorIdleMs: number;
  maxExecutors: number;
  logFlushMs: number;
  logBatchSize: number;
  /** Base64 of 32 bytes encrypting script secrets; unset: generated file (embedded) or none. */
  secretKey: string | undefined;
  /** Execution log retention: rows older than this many days, and beyond this many per app. */
  logRetentionDays: number;
  logMaxRowsPerApp: number;
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

/** Parses an environment map (e.g. `Deno.env.toObject()`) into a `Config`, or throws `ConfigError`. */
export function parseConfig(env: Record<string, string | undefined>): Config {
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
  return {
    port: e.PORT,
    hostname: e.HOSTNAME,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PICLOUD_DATA_DIR,
    consoleHosts: e.PICLOUD_CONSOLE_HOSTS,
    logLevel: e.PICLOUD_LOG_LEVEL,
    limits: {
      timeoutMs: e.PICLOUD_TIMEOUT_MS,
      memoryLimitMb: e.PICLOUD_MEMORY_LIMIT_MB,
      maxBodyBytes: e.PICLOUD_MAX_BODY_BYTES,
      maxConcurrency: e.PICLOUD_MAX_CONCURRENCY,
    },
    executorIdleMs: e.PICLOUD_EXECUTOR_IDLE_MS,
    maxExecutors: e.PICLOUD_MAX_EXECUTORS,
    logFlushMs: e.PICLOUD_LOG_FLUSH_MS,
    logBatchSize: e.PICLOUD_LOG_BATCH_SIZE,
    secretKey: e.PICLOUD_SECRET_KEY,
    logRetentionDays: e.PICLOUD_LOG_RETENTION_DAYS,
    logMaxRowsPerApp: e.PICLOUD_LOG_MAX_ROWS_PER_APP,
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
