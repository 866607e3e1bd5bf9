/**
 * @module Per-minute request statistics of an app, pure over log samples: count, errors and the
 * p50/p95 latency of each bucket (interpolated between ranks, as SQL's `percentile_cont`).
 */
import type { LogSample } from "./repo.ts";

/** One time bucket of an app's requests. */
export interface StatsBucket {
  /** Start of the bucket. */
  at: Date;
  requests: number;
  errors: number;
  /** Median and 95th percentile duration in ms; null for an empty bucket. */
  p50_ms: number | null;
  p95_ms: number | null;
}

/** An invocation counts as an error when it answered 5xx or ended other than normally. */
export function isErrorSample(s: Pick<LogSample, "status" | "outcome">): boolean {
  return s.status >= 500 || (s.outcome !== "ok" && s.outcome !== "client_closed");
}

/** The `p` quantile (0..1) of ascending `sorted`, interpolated linearly; null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/**
 * Splits `[since, since + buckets × bucketMs)` into buckets, oldest first, and counts the samples
 * in each (samples outside the span are ignored). Every bucket is present, empty ones included.
 */
export function bucketStats(
  samples: readonly LogSample[],
  o: { since: Date; bucketMs: number; buckets: number },
): StatsBucket[] {
  const start = o.since.getTime();
  const durations: number[][] = Array.from({ length: o.buckets }, () => []);
  const errors = new Array<number>(o.buckets).fill(0);
  for (const s of samples) {
    const i = Math.floor((s.at - start) / o.bucketMs);
    if (i < 0 || i >= o.buckets) continue;
    durations[i].push(s.duration_ms);
    if (isErrorSample(s)) errors[i]++;
  }
  return durations.map((d, i) => {
    d.sort((a, b) => a - b);
    return {
      at: new Date(start + i * o.bucketMs),
      requests: d.length,
      errors: errors[i],
      p50_ms: round(percentile(d, 0.5)),
      p95_ms: round(percentile(d, 0.95)),
    };
  });
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}
