/**
 * @module Overcommit: more active apps than the executor cap. A bounded closed-loop load generator
 * in this process drives an executor pool (cap C) over C, 2C and 4C apps, each with one Hello World
 * script, and reports req/s, errors by status, p99 and executor starts per phase.
 */

import { createExecutorPool, type ScriptRef } from "../executor/mod.ts";
import { invokeOpts } from "./cold_start.ts";

/** One phase: `activeApps` apps share the load. */
export interface OvercommitPhase {
  activeApps: number;
  requests: number;
  rps: number;
  /** Non-200 answers by status and error code, e.g. `{ "503 capacity": 12 }`. */
  errors: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  executorStarts: number;
}

/** The scenario's parameters and one result per phase. */
export interface OvercommitResult {
  maxExecutors: number;
  connections: number;
  durationS: number;
  phases: OvercommitPhase[];
}

const HELLO = `export default { fetch: () => new Response("Hello World\\n") };`;
const LIMITS = { timeoutMs: 30_000, memoryLimitMb: 256, maxBodyBytes: 1 << 20, maxConcurrency: 64 };

/** The `pct` percentile of ascending `sorted` (nearest rank). */
function percentile(sorted: number[], pct: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((pct / 100) * sorted.length) - 1)];
}

function ref(i: number): ScriptRef {
  return {
    appId: `oc-${i}`,
    appSlug: `oc-${i}`,
    scriptId: `oc-${i}-hello`,
    versionId: `oc-${i}-v1`,
    source: HELLO,
    env: {},
    limits: LIMITS,
    netAllow: [],
  };
}

async function phase(
  socketDir: string,
  activeApps: number,
  opts: { maxExecutors: number; connections: number; durationS: number },
): Promise<OvercommitPhase> {
  let starts = 0;
  const pool = createExecutorPool({
    socketDir,
    maxExecutors: opts.maxExecutors,
    log: (_level, msg) => {
      if (msg === "Executor started") starts++;
    },
  });
  const apps = Array.from({ length: activeApps }, (_, i) => ref(i));
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let stop = false;
  const t0 = performance.now();
  const deadline = t0 + opts.durationS * 1000;
  // Connection k always talks to app k mod N, so every active app gets the same share of load.
  const client = async (k: number) => {
    const s = apps[k % apps.length];
    for (let n = 0; n < 1_000_000 && !stop && performance.now() < deadline; n++) {
      const t = performance.now();
      const inv = await pool.fetch(s, new Request("http://bench.test/"), invokeOpts());
      const body = await inv.response.text();
      latencies.push(performance.now() - t);
      if (inv.response.status !== 200) {
        let code = "";
        try {
          code = JSON.parse(body).error?.code ?? "";
        } catch { /* not JSON */ }
        const key = `${inv.response.status} ${code}`.trim();
        errors[key] = (errors[key] ?? 0) + 1;
        // A refused client backs off as Retry-After asks (capped so the phase stays bounded).
        if (inv.response.status === 503) await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const guard = setTimeout(() => stop = true, (opts.durationS + 30) * 1000);
  try {
    await Promise.all(Array.from({ length: opts.connections }, (_, k) => client(k)));
  } finally {
    clearTimeout(guard);
    await pool.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    activeApps,
    requests: latencies.length,
    rps: latencies.length / elapsedS,
    errors,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    executorStarts: starts,
  };
}

/** Runs the 1×, 2× and 4× cap phases, each with a fresh pool. */
export async function measureOvercommit(
  tmpDir: string,
  opts: { maxExecutors?: number; connections?: number; durationS: number },
): Promise<OvercommitResult> {
  const maxExecutors = opts.maxExecutors ?? 4;
  const connections = opts.connections ?? 32;
  const socketDir = `${tmpDir}/oc-sockets`;
  const phases: OvercommitPhase[] = [];
  for (const factor of [1, 2, 4]) {
    phases.push(
      await phase(socketDir, factor * maxExecutors, {
        maxExecutors,
        connections,
        durationS: opts.durationS,
      }),
    );
  }
  return { maxExecutors, connections, durationS: opts.durationS, phases };
}

/** The report lines of the scenario. */
export function formatOvercommit(r: OvercommitResult): string[] {
  const lines = [
    `Overcommit: executor pool, cap ${r.maxExecutors}, ${r.connections} closed-loop connections ` +
    `spread over the active apps, ${r.durationS} s per phase (in-process load generator)`,
    "",
    "| active apps | req/s | errors | p50 ms | p99 ms | executor starts |",
    "| ---: | ---: | --- | ---: | ---: | ---: |",
  ];
  for (const p of r.phases) {
    const errs = Object.entries(p.errors).map(([k, v]) => `${k}: ${v}`).join(", ") || "0";
    lines.push(
      `| ${p.activeApps} (${p.activeApps / r.maxExecutors}× cap) | ${
        p.rps.toFixed(0)
      } | ${errs} | ` +
        `${p.p50Ms.toFixed(2)} | ${p.p99Ms.toFixed(2)} | ${p.executorStarts} |`,
    );
  }
  return lines;
}
