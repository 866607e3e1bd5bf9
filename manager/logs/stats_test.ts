/** @module Tests of the per-minute statistics: buckets, errors and interpolated percentiles. */
import assert from "node:assert/strict";
import { bucketStats, isErrorSample, percentile } from "./stats.ts";

Deno.test("percentile() interpolates between ranks like percentile_cont", () => {
  assert.equal(percentile([], 0.5), null);
  assert.equal(percentile([7], 0.95), 7);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
  const p95 = percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.95)!;
  assert.ok(Math.abs(p95 - 95.5) < 1e-9, String(p95));
});

Deno.test("isErrorSample() counts 5xx and abnormal ends, not 4xx or a closed client", () => {
  assert.equal(isErrorSample({ status: 500, outcome: "ok" }), true);
  assert.equal(isErrorSample({ status: 504, outcome: "timeout" }), true);
  assert.equal(isErrorSample({ status: 404, outcome: "ok" }), false);
  assert.equal(isErrorSample({ status: 200, outcome: "client_closed" }), false);
});

Deno.test("bucketStats() fills every bucket and ignores samples outside the span", () => {
  const since = new Date("2026-01-01T00:00:00Z");
  const t = (min: number, s = 0) => since.getTime() + min * 60_000 + s * 1000;
  const out = bucketStats([
    { at: t(0, 1), status: 200, outcome: "ok", duration_ms: 10 },
    { at: t(0, 59), status: 500, outcome: "ok", duration_ms: 30 },
    { at: t(2), status: 200, outcome: "ok", duration_ms: 5 },
    { at: t(3), status: 200, outcome: "ok", duration_ms: 1 },
    { at: t(-1), status: 200, outcome: "ok", duration_ms: 1 },
  ], { since, bucketMs: 60_000, buckets: 3 });
  assert.deepEqual(out.map((b) => [b.requests, b.errors, b.p50_ms, b.p95_ms]), [
    [2, 1, 20, 29],
    [0, 0, null, null],
    [1, 0, 5, 5],
  ]);
  assert.equal(out[1].at.toISOString(), "2026-01-01T00:01:00.000Z");
});
