/** @module The counters and their text: labels escaped, histograms cumulative, pool events read. */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createMetrics, type MetricSources } from "./metrics.ts";
import type { ExecutionLogRow } from "./repo.ts";
import { testLogRow } from "../testing/db.ts";

const sources: MetricSources = {
  appSlug: (id) => id === "a1" ? 'we"ird\\slug' : undefined,
  logWriter: () => ({
    pushed: 5,
    written: 4,
    dropped: 1,
    discarded: 0,
    pending: 0,
    pendingBytes: 0,
    batches: 2,
    failedBatches: 1,
    unrecordedDrops: 0,
    lastError: null,
  }),
  executors: () => [{ job: "app", rssMb: 70, inFlight: 1 }],
  queueWaits: () => ({
    bucketsS: [0.01, 0.1, 1],
    counts: [2, 0, 1, 1],
    sumS: 3.5,
    count: 4,
    waiting: 3,
  }),
  database: () => ({ kind: "embedded", maxConnections: 1 }),
  lastDatabaseCheck: () => ({ up: true, seconds: 0.002 }),
  routingLoadedAt: () => Date.now(),
  bundler: () => ({ runs: 1, failed: 0, refused: 0, running: 0 }),
  startedAt: Date.now(),
};

/** A finished 200 of app `a1` taking 3 ms; `over` changes any field. */
const row = (over: Partial<ExecutionLogRow>): ExecutionLogRow => testLogRow("a1", 3, over);

type Family = {
  name: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
};

Deno.test("createMetrics() - invocations, limits and executor events render as valid text", () => {
  const m = createMetrics();
  m.observeInvocation(row({}));
  m.observeInvocation(row({ duration_ms: 700 }));
  m.observeInvocation(row({ status: 504, outcome: "timeout", duration_ms: 40_000 }));
  m.observeInvocation(row({
    status: 503,
    outcome: "capacity",
    error: { kind: "capacity", reason: "queue_timeout", waitedMs: 500 },
  }));
  m.observeInvocation(row({ app_id: "a2", trigger: "cron" }));
  m.observePoolLog("Executor started", { spare: false });
  m.observePoolLog("Executor started", { spare: true });
  m.observePoolLog("Executor stopped", { why: "Idle" });
  m.observePoolLog("Executor over its memory limit; killed", {});
  m.observeTenantResponse(404);
  const text = m.render(sources);
  const fams = new Map(
    (parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]),
  );
  const inv = fams.get("picloud_invocations_total")!.metrics;
  assert.deepEqual(
    inv.map((s) => [s.labels?.app, s.labels?.trigger, s.labels?.class, s.value]),
    [
      ['we"ird\\slug', "http", "2xx", "2"],
      ['we"ird\\slug', "http", "5xx", "2"],
      ["a2", "cron", "2xx", "1"],
    ],
  );
  // The parser merges a histogram's label sets, so its series are read from the text itself.
  const bucket = (le: string) => {
    const head = `picloud_invocation_duration_seconds_bucket{app="we\\"ird\\\\slug",le="${le}"} `;
    return text.split("\n").find((l) => l.startsWith(head))?.slice(head.length);
  };
  assert.equal(bucket("0.005"), "2");
  assert.equal(bucket("1"), "3");
  assert.equal(bucket("30"), "3");
  assert.equal(bucket("+Inf"), "4");
  const limits = Object.fromEntries(
    fams.get("picloud_limit_hits_total")!.metrics.map((s) => [s.labels?.limit, s.value]),
  );
  assert.deepEqual(limits, { timeout: "1", executor_queue_wait: "1" });
  assert.equal(fams.get("picloud_cold_starts_total")!.metrics[0].value, "1");
  const stops = Object.fromEntries(
    fams.get("picloud_executor_stops_total")!.metrics.map((s) => [s.labels?.reason, s.value]),
  );
  assert.deepEqual(stops, { idle: "1", memory: "1" });
  assert.equal(
    fams.get("picloud_executor_queue_refused_wait_seconds_total")!.metrics[0].value,
    "0.5",
  );
  assert.equal(fams.get("picloud_log_writer_rows_dropped_total")!.metrics[0].value, "1");
  // Queue waits of admitted requests: cumulative buckets, +Inf = count; the queue's length now.
  const waits = (le: string) => {
    const head = `picloud_executor_queue_wait_seconds_bucket{le="${le}"} `;
    return text.split("\n").find((l) => l.startsWith(head))?.slice(head.length);
  };
  assert.deepEqual(["0.01", "0.1", "1", "+Inf"].map(waits), ["2", "2", "3", "4"]);
  assert.match(text, /^picloud_executor_queue_wait_seconds_sum 3\.5$/m);
  assert.equal(fams.get("picloud_executor_queue_waiting")!.metrics[0].value, "3");
});
