/**
 * @module The platform's counters and their Prometheus text rendering. Counters are plain numbers
 * bumped where the events already happen (an execution log row, an executor's start or stop, a
 * tenant response); everything else is read from its owner at scrape time.
 */
import { Exposition } from "./_exposition.ts";
import type { QueueWaits } from "../executor/mod.ts";
import type { LogWriterStats } from "./log_writer.ts";
import type { ExecutionLogRow } from "./repo.ts";

/** Latency histogram bucket bounds, in seconds. */
export const LATENCY_BUCKETS_S = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
] as const;

const TRIGGERS = ["http", "cron", "execute"] as const;
const CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
/** Outcomes that mean a limit stopped the invocation, and the limit's name. */
const LIMIT_OF: Record<string, string> = {
  timeout: "timeout",
  memory: "memory",
  body_too_large: "max_body_bytes",
  response_too_large: "max_response_bytes",
  concurrency: "max_concurrency",
};

/** One app's counters: allocated on its first invocation, then only mutated. */
interface AppCounters {
  /** Invocations by trigger × status class. */
  byClass: Float64Array;
  /** Latency bucket counts (non-cumulative), the last one being +Inf. */
  buckets: Float64Array;
  sumS: number;
  count: number;
}

/** Figures read from their owners when `/metrics` is scraped. */
export interface MetricSources {
  /** App id → slug (the routing snapshot); ids of deleted apps are shown as they are. */
  appSlug(id: string): string | undefined;
  logWriter(): LogWriterStats;
  executors(): { job: string; rssMb: number; inFlight: number }[];
  /** Waits of requests admitted after queueing for an executor slot (`bucketsS` are the bounds). */
  queueWaits(): QueueWaits & { bucketsS: readonly number[] };
  database(): { kind: string; maxConnections: number };
  /** The last readiness probe's database answer (null before the first). */
  lastDatabaseCheck(): { up: boolean; seconds: number } | null;
  routingLoadedAt(): number;
  bundler(): { runs: number; failed: number; refused: number; running: number };
  startedAt: number;
}

/** The counters, and their rendering. */
export interface Metrics {
  /** Counts one finished invocation (the execution log row it produced). */
  observeInvocation(row: ExecutionLogRow): void;
  /** Counts one tenant-port response (unrouted ones included, which no app owns). */
  observeTenantResponse(status: number): void;
  /** Reads the executor pool's structured log: starts, stops and kills by reason. */
  observePoolLog(msg: string, fields?: Record<string, unknown>): void;
  /** The Prometheus text exposition of every counter and source. */
  render(sources: MetricSources): string;
}

/** Why an executor stopped, from the pool's log message. */
function stopReason(msg: string, fields?: Record<string, unknown>): string | null {
  if (msg === "Executor stopped") {
    const why = String(fields?.why ?? "");
    if (why === "Idle") return "idle";
    if (why === "Replaced") return "replaced";
    if (why.startsWith("Evicted")) return "evicted";
    if (why === "App stopped") return "app_stopped";
    if (why === "Pool closed") return "shutdown";
    return "other";
  }
  if (msg.startsWith("Executor over its memory limit")) return "memory";
  if (msg.startsWith("Executor over its background CPU")) return "background_cpu";
  if (msg.startsWith("Executor killed: a timed-out")) return "stuck_after_timeout";
  return null;
}

/** Creates an empty set of counters. */
export function createMetrics(): Metrics {
  const apps = new Map<string, AppCounters>();
  const outcomes = new Map<string, number>();
  const limitHits = new Map<string, number>();
  const queueRefusals = new Map<string, number>();
  let queueRefusedWaitS = 0;
  const tenantByClass = new Float64Array(CLASSES.length);
  const starts = { cold: 0, spare_adopted: 0, spare: 0 };
  const stops = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
  const classIndex = (status: number) => Math.min(4, Math.max(0, Math.floor(status / 100) - 1));

  return {
    observeInvocation(row) {
      let a = apps.get(row.app_id);
      if (a === undefined) {
        a = {
          byClass: new Float64Array(TRIGGERS.length * CLASSES.length),
          buckets: new Float64Array(LATENCY_BUCKETS_S.length + 1),
          sumS: 0,
          count: 0,
        };
        apps.set(row.app_id, a);
      }
      const t = row.trigger === "http" ? 0 : row.trigger === "cron" ? 1 : 2;
      a.byClass[t * CLASSES.length + classIndex(row.status)]++;
      const s = row.duration_ms / 1000;
      let b = 0;
      while (b < LATENCY_BUCKETS_S.length && s > LATENCY_BUCKETS_S[b]) b++;
      a.buckets[b]++;
      a.sumS += s;
      a.count++;
      bump(outcomes, row.outcome);
      const limit = LIMIT_OF[row.outcome];
      if (limit !== undefined) bump(limitHits, limit);
      else if (row.outcome === "capacity") {
        const err = row.error as { reason?: string; waitedMs?: number } | null;
        const reason = err?.reason ?? "unknown";
        bump(limitHits, reason === "queue_full" ? "executor_queue" : "executor_queue_wait");
        bump(queueRefusals, reason);
        queueRefusedWaitS += (err?.waitedMs ?? 0) / 1000;
      }
    },
    observeTenantResponse(status) {
      tenantByClass[classIndex(status)]++;
    },
    observePoolLog(msg, fields) {
      if (msg === "Executor started") {
        if (fields?.spare) starts.spare_adopted++;
        else starts.cold++;
        return;
      }
      if (msg === "Spare executor started") {
        starts.spare++;
        return;
      }
      const why = stopReason(msg, fields);
      if (why !== null) bump(stops, why);
    },
    render(src) {
      const out = new Exposition();
      const slug = (id: string) => src.appSlug(id) ?? id;

      out.family(
        "picloud_invocations_total",
        "counter",
        "Finished invocations by app, trigger and status class",
      );
      for (const [id, a] of apps) {
        for (let t = 0; t < TRIGGERS.length; t++) {
          for (let c = 0; c < CLASSES.length; c++) {
            const n = a.byClass[t * CLASSES.length + c];
            if (n > 0) {
              out.sample("picloud_invocations_total", {
                app: slug(id),
                trigger: TRIGGERS[t],
                class: CLASSES[c],
              }, n);
            }
          }
        }
      }
      out.family(
        "picloud_invocation_duration_seconds",
        "histogram",
        "Invocation latency by app, from admission to the end of the response",
      );
      for (const [id, a] of apps) {
        let cum = 0;
        const app = slug(id);
        for (let b = 0; b < LATENCY_BUCKETS_S.length; b++) {
          cum += a.buckets[b];
          out.sample("picloud_invocation_duration_seconds_bucket", {
            app,
            le: String(LATENCY_BUCKETS_S[b]),
          }, cum);
        }
        out.sample("picloud_invocation_duration_seconds_bucket", { app, le: "+Inf" }, a.count);
        out.sample("picloud_invocation_duration_seconds_sum", { app }, a.sumS);
        out.sample("picloud_invocation_duration_seconds_count", { app }, a.count);
      }
      out.counterMap(
        "picloud_invocation_outcomes_total",
        "Finished invocations by outcome",
        "outcome",
        outcomes,
      );
      out.counterMap(
        "picloud_limit_hits_total",
        "Invocations stopped by a limit, by the limit's name",
        "limit",
        limitHits,
      );
      out.counterMap(
        "picloud_executor_queue_refusals_total",
        "Requests refused an executor slot, by reason (queue full, or waited too long)",
        "reason",
        queueRefusals,
      );
      out.family(
        "picloud_executor_queue_refused_wait_seconds_total",
        "counter",
        "Time refused requests spent waiting in the executor queue",
      );
      out.sample("picloud_executor_queue_refused_wait_seconds_total", {}, queueRefusedWaitS);

      const qw = src.queueWaits();
      out.family(
        "picloud_executor_queue_wait_seconds",
        "histogram",
        "Time admitted requests waited in the executor queue for a slot (only those that queued)",
      );
      let cumWaits = 0;
      for (let b = 0; b < qw.bucketsS.length; b++) {
        cumWaits += qw.counts[b] ?? 0;
        out.sample("picloud_executor_queue_wait_seconds_bucket", {
          le: String(qw.bucketsS[b]),
        }, cumWaits);
      }
      out.sample("picloud_executor_queue_wait_seconds_bucket", { le: "+Inf" }, qw.count);
      out.sample("picloud_executor_queue_wait_seconds_sum", {}, qw.sumS);
      out.sample("picloud_executor_queue_wait_seconds_count", {}, qw.count);
      out.gauge(
        "picloud_executor_queue_waiting",
        "Requests waiting in the executor queue for a slot now",
        qw.waiting,
      );

      out.family(
        "picloud_tenant_responses_total",
        "counter",
        "Tenant-port responses by status class, unrouted requests included",
      );
      for (let c = 0; c < CLASSES.length; c++) {
        out.sample("picloud_tenant_responses_total", { class: CLASSES[c] }, tenantByClass[c]);
      }

      out.family(
        "picloud_executor_starts_total",
        "counter",
        "Executor processes started: cold (a request waited for it), spare_adopted (a pre-started spare took the app), spare (a spare pre-started)",
      );
      for (const [kind, n] of Object.entries(starts)) {
        out.sample("picloud_executor_starts_total", { kind }, n);
      }
      out.family(
        "picloud_cold_starts_total",
        "counter",
        "Executor starts a request had to wait for (no warm or spare executor)",
      );
      out.sample("picloud_cold_starts_total", {}, starts.cold);
      out.counterMap(
        "picloud_executor_stops_total",
        "Executor processes stopped or killed, by reason",
        "reason",
        stops,
      );

      const execs = src.executors();
      out.family("picloud_executors", "gauge", "Live executor processes by job kind");
      const byJob = new Map<string, number>([["app", 0], ["check", 0]]);
      for (const e of execs) byJob.set(e.job, (byJob.get(e.job) ?? 0) + 1);
      for (const [job, n] of byJob) out.sample("picloud_executors", { job }, n);
      out.gauge(
        "picloud_executor_resident_memory_bytes",
        "Resident memory of all executor processes",
        execs.reduce((s, e) => s + e.rssMb, 0) * 1024 * 1024,
      );
      out.gauge(
        "picloud_executor_in_flight",
        "Invocations running in executors now",
        execs.reduce((s, e) => s + e.inFlight, 0),
      );

      const lw = src.logWriter();
      out.gauge(
        "picloud_log_writer_pending_rows",
        "Execution log rows held in memory, not yet written",
        lw.pending,
      );
      out.gauge(
        "picloud_log_writer_pending_bytes",
        "Estimated bytes of the rows held in memory",
        lw.pendingBytes,
      );
      out.counter(
        "picloud_log_writer_rows_pushed_total",
        "Execution log rows handed to the writer",
        lw.pushed,
      );
      out.counter(
        "picloud_log_writer_rows_written_total",
        "Execution log rows the database accepted",
        lw.written,
      );
      out.counter(
        "picloud_log_writer_rows_dropped_total",
        "Execution log rows lost (buffer full or failed write), each in a gap",
        lw.dropped,
      );
      out.counter(
        "picloud_log_writer_rows_discarded_total",
        "Execution log rows of deleted apps, discarded on purpose",
        lw.discarded,
      );
      out.counter("picloud_log_writer_batches_total", "Insert statements run", lw.batches);
      out.counter(
        "picloud_log_writer_failed_batches_total",
        "Insert statements that failed",
        lw.failedBatches,
      );

      const db = src.database();
      out.family("picloud_database_info", "gauge", "The database in use");
      out.sample("picloud_database_info", { kind: db.kind }, 1);
      out.gauge(
        "picloud_database_pool_max_connections",
        "Connections the database pool may open",
        db.maxConnections,
      );
      const last = src.lastDatabaseCheck();
      if (last) {
        out.gauge(
          "picloud_database_up",
          "1 when the last readiness probe reached the database",
          last.up ? 1 : 0,
        );
        out.gauge(
          "picloud_database_probe_seconds",
          "How long the last readiness probe's query took",
          last.seconds,
        );
      }
      out.gauge(
        "picloud_routing_snapshot_age_seconds",
        "Age of the routing snapshot in use",
        (Date.now() - src.routingLoadedAt()) / 1000,
      );

      const bu = src.bundler();
      out.counter("picloud_bundler_runs_total", "Deploys bundled (successful or not)", bu.runs);
      out.counter("picloud_bundler_failures_total", "Bundler runs that failed", bu.failed);
      out.counter(
        "picloud_bundler_refused_total",
        "Bundles refused because others were running",
        bu.refused,
      );
      out.gauge("picloud_bundler_running", "Bundles running now", bu.running);

      out.gauge(
        "process_resident_memory_bytes",
        "Resident memory of the PiCloud process",
        Deno.memoryUsage().rss,
      );
      out.gauge(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch",
        src.startedAt / 1000,
      );
      return out.text();
    },
  };
}
