/**
 * @module Liveness and readiness: what `/healthz` and `/readyz` answer. Liveness touches nothing;
 * readiness asks the database (bounded by a short timeout), compares the applied schema with the
 * code's, and looks at the routing snapshot.
 */
import type { Sql } from "../common/db.ts";
import { appliedSchemaVersion } from "./repo.ts";
import type { Routing } from "./routing.ts";

/** One check's state, as `/readyz` names it. */
export interface CheckResult {
  state: string;
  [detail: string]: unknown;
}

/** The readiness answer: `ready` decides 200 or 503. */
export interface Readiness {
  ready: boolean;
  status: "ready" | "degraded" | "not_ready" | "draining";
  checks: { database: CheckResult; migrations: CheckResult; routing: CheckResult };
}

/** What readiness needs. */
export interface HealthOptions {
  sql: Sql;
  routing: Routing;
  /** The newest migration this code ships. */
  expectedSchemaVersion: number;
  /** How long the database may take to answer before it counts as down (default 1000). */
  databaseTimeoutMs?: number;
  /**
   * Stay ready while the database is down, serving from the last routing snapshot (a tenant-only
   * node of a cluster); `/readyz` then says `degraded`. Default false: no database, not ready.
   */
  readyWithoutDatabase?: boolean;
}

/** Readiness checks, coalesced so a burst of probes costs one database round trip. */
export interface Health {
  readiness(): Promise<Readiness>;
  /** From now on `/readyz` answers 503 `draining` (a graceful shutdown has begun). */
  startDraining(): void;
  /** The last database probe (null before the first): for `/metrics`. */
  lastDatabaseCheck(): { up: boolean; seconds: number } | null;
}

/** Creates the readiness checker. */
export function createHealth(opts: HealthOptions): Health {
  const timeoutMs = opts.databaseTimeoutMs ?? 1000;
  let draining = false;
  let inFlight: Promise<Readiness> | null = null;
  let last: { up: boolean; seconds: number } | null = null;

  async function probe(): Promise<Readiness> {
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let database: CheckResult;
    let migrations: CheckResult;
    try {
      const applied = await Promise.race([appliedSchemaVersion(opts.sql), timeout]);
      const ms = Math.round(performance.now() - started);
      database = { state: "up", latency_ms: ms };
      const expected = opts.expectedSchemaVersion;
      migrations = {
        state: applied === expected ? "current" : applied < expected ? "behind" : "ahead",
        applied,
        expected,
      };
    } catch (err) {
      database = { state: "down", error: err instanceof Error ? err.message : String(err) };
      migrations = { state: "unknown", expected: opts.expectedSchemaVersion };
    } finally {
      clearTimeout(timer);
    }
    last = {
      up: database.state === "up",
      seconds: (performance.now() - started) / 1000,
    };
    const snap = opts.routing.current();
    const routing: CheckResult = {
      state: snap ? "loaded" : "missing",
      loaded_at: snap ? new Date(snap.loadedAt).toISOString() : null,
      apps: snap ? snap.apps.size : 0,
    };
    const checks = { database, migrations, routing };
    if (draining) return { ready: false, status: "draining", checks };
    if (routing.state !== "loaded") return { ready: false, status: "not_ready", checks };
    if (database.state !== "up") {
      return opts.readyWithoutDatabase
        ? { ready: true, status: "degraded", checks }
        : { ready: false, status: "not_ready", checks };
    }
    const ok = migrations.state === "current";
    return { ready: ok, status: ok ? "ready" : "not_ready", checks };
  }

  return {
    readiness() {
      inFlight ??= probe().finally(() => inFlight = null);
      return inFlight;
    },
    startDraining() {
      draining = true;
    },
    lastDatabaseCheck: () => last,
  };
}
