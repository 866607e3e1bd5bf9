/** @module Turns one run's results into the printed table, the DESIGN.md target checks and latest.json. */

import type { ColdStartResult } from "./cold_start.ts";
import type { IdleResult } from "./idle.ts";
import { formatMemory, memoryChecks, type MemoryResult } from "./memory.ts";
import { formatOvercommit, type OvercommitResult } from "./overcommit.ts";
import type { ScaleResult } from "./scale.ts";
import { PICLOUD_UNTUNED, type ThroughputResult } from "./throughput.ts";
import { type ClusterResult, formatCluster } from "./cluster.ts";
import { formatNeighbours, type NeighboursResult } from "./neighbours.ts";
import type { LogPathResult } from "./log_path.ts";
import type { Machine } from "./_tools.ts";
import type { WrkParams } from "./_wrk.ts";

/** Everything one run measured. */
export interface Results {
  mode: "full" | "quick";
  machine: Machine;
  wrk: WrkParams & { rounds: number; warmupS: number };
  throughput: ThroughputResult[];
  coldStart: ColdStartResult | null;
  idle: IdleResult | null;
  /** Main-process memory, embedded and PostgreSQL mode (absent in older results). */
  memory?: MemoryResult | null;
  scale: ScaleResult | null;
  /** More active apps than the executor cap (absent in results written before it existed). */
  overcommit?: OvercommitResult | null;
  /** Head-of-line blocking between scripts of one app (absent in older results). */
  neighbours?: NeighboursResult | null;
  /** The execution log path: rows/s and CPU per row (absent in older results). */
  logPath?: LogPathResult[] | null;
  /** Req/s through Caddy with 1–3 nodes and deploy propagation (absent in older results). */
  cluster?: ClusterResult | null;
  errors: string[];
  elapsedS: number;
}

/** One DESIGN.md target: pass, fail, or not measured (`null`). */
export interface TargetCheck {
  target: string;
  pass: boolean | null;
  measured: string;
}

const f = (n: number, digits = 1) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";

function find(r: Results, name: string): ThroughputResult | undefined {
  return r.throughput.find((t) => t.name === name);
}

/** The target checks of DESIGN.md "Targets", computed from this run only. */
export function checkTargets(r: Results): TargetCheck[] {
  const raw = find(r, "raw Deno.serve");
  const full = find(r, "PiCloud full path");
  const wd = find(r, "workerd");
  const cs = r.coldStart;
  const out: TargetCheck[] = [];
  const add = (target: string, ok: boolean | null, measured: string) =>
    out.push({ target, pass: ok, measured });
  const both = raw && full;
  add(
    "full path req/s ≥ 0.25× raw Deno.serve",
    both ? full.rps / raw.rps >= 0.25 : null,
    both ? `${f(full.rps / raw.rps, 2)}× (${f(full.rps, 0)} vs ${f(raw.rps, 0)} req/s)` : "n/a",
  );
  add(
    "full path req/s ≥ 2× workerd",
    full && wd ? full.rps / wd.rps >= 2 : null,
    full && wd ? `${f(full.rps / wd.rps, 2)}× (${f(wd.rps, 0)} req/s workerd)` : "n/a",
  );
  add(
    "full path p99 ≤ 8× raw p99",
    both ? full.p99Ms <= 8 * raw.p99Ms : null,
    both
      ? `${f(full.p99Ms / raw.p99Ms, 1)}× (${f(full.p99Ms, 2)} vs ${f(raw.p99Ms, 2)} ms)`
      : "n/a",
  );
  const untuned = find(r, PICLOUD_UNTUNED);
  add(
    "server V8 flags: full path req/s ≥ 0.9× without them",
    full && untuned ? full.rps >= 0.9 * untuned.rps : null,
    full && untuned
      ? `${f(full.rps / untuned.rps, 2)}× (${f(full.rps, 0)} vs ${f(untuned.rps, 0)} req/s; ` +
        `main process CPU ${f(full.mainCpuUsPerReq, 0)} vs ${f(untuned.mainCpuUsPerReq, 0)} µs/req)`
      : "n/a",
  );
  add(
    "new script first request ≤ 0.5× Worker spawn",
    cs ? cs.newScriptHttpMs <= 0.5 * cs.workerSpawnMs : null,
    cs
      ? `${f(cs.newScriptHttpMs / cs.workerSpawnMs, 2)}× (${f(cs.newScriptHttpMs)} vs ${
        f(cs.workerSpawnMs)
      } ms)`
      : "n/a",
  );
  add(
    "new app first request ≤ 1× Worker spawn",
    cs ? cs.newAppPoolMs <= cs.workerSpawnMs : null,
    cs ? `${f(cs.newAppPoolMs / cs.workerSpawnMs, 2)}× (${f(cs.newAppPoolMs)} ms)` : "n/a",
  );
  const idle = r.idle;
  add(
    `idle: 0 CPU ticks over ${idle?.windowS ?? 60} s (100 scripts, 10 schedules)`,
    idle ? idle.platformTicks === 0 : null,
    idle
      ? `${idle.platformTicks} ticks, ${idle.lastHalfTicks} in the last ${idle.windowS / 2} s ` +
        `(${idle.settleS} s after the last request)`
      : "n/a",
  );
  add(
    "main process idle RSS ≤ 80 MB (PostgreSQL mode)",
    idle ? idle.mainIdleRssMb <= 80 : null,
    idle ? `${f(idle.mainIdleRssMb)} MB` : "n/a",
  );
  add(
    "≤ 10 MB per warm script",
    idle && Number.isFinite(idle.perWarmScriptRssMb) ? idle.perWarmScriptRssMb <= 10 : null,
    idle ? `${f(idle.perWarmScriptRssMb)} MB` : "n/a",
  );
  for (const [target, ok, measured] of memoryChecks(r.memory ?? null)) add(target, ok, measured);
  for (const [label, ratio] of Object.entries(r.scale?.ratios ?? {})) {
    add(`match cost ${label} ≤ 1.2×`, ratio <= 1.2, `${f(ratio, 2)}×`);
  }
  if (!r.scale) add("match cost ratios ≤ 1.2×", null, "n/a");
  return out;
}

/**
 * The human-readable report (Markdown tables and PASS/FAIL lines). With `before` (the previous
 * full run, from the committed latest.json), its ratios are shown beside this run's.
 */
export function formatReport(r: Results, targets: TargetCheck[], before?: Results | null): string {
  const m = r.machine;
  const lines: string[] = [];
  lines.push(
    `PiCloud bench (${r.mode}) — ${m.date}, ${m.cpuModel}, ${m.cores} cores, ${m.memoryMb} MB, ` +
      `Linux ${m.kernel}; deno ${m.deno}, node ${m.node}, ${m.wrk}, ${m.workerd}; ` +
      `${f(r.elapsedS, 0)} s`,
    "",
    `HTTP hello world: wrk -t${r.wrk.threads} -c${r.wrk.connections}, warm-up ${r.wrk.warmupS} s, ` +
      `${r.wrk.rounds} × ${r.wrk.durationS} s rounds, median; Host: localhost`,
    "",
    "| server | req/s | × raw | × raw before | p50 ms | p99 ms | CPU µs/req tree (main) | RSS idle MB tree (main) | RSS load MB | noisy |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  const raw = find(r, "raw Deno.serve");
  const rawBefore = before ? find(before, "raw Deno.serve") : undefined;
  for (const t of r.throughput) {
    const old = before ? find(before, t.name) : undefined;
    const ratioBefore = old && rawBefore ? f(old.rps / rawBefore.rps, 2) : "n/a";
    lines.push(
      `| ${t.name} | ${f(t.rps, 0)} | ${raw ? f(t.rps / raw.rps, 2) : "n/a"} | ${ratioBefore} | ${
        f(t.p50Ms, 2)
      } | ` +
        `${f(t.p99Ms, 2)} | ${f(t.cpuUsPerReq, 0)} (${f(t.mainCpuUsPerReq, 0)}) | ${
          f(t.rssIdleMb)
        } (${f(t.mainRssIdleMb, 0)}) | ` +
        `${f(t.rssLoadMb)} | ` +
        `${t.noisyRounds}/${t.rounds.length} |`,
    );
  }
  const cs = r.coldStart;
  if (cs) {
    lines.push(
      "",
      `Cold start, median of ${cs.samples.newAppPool.length} (ms): ` +
        `new script, warm app, HTTP ${f(cs.newScriptHttpMs)} (deploy via ${cs.newScriptVia}; ` +
        `next request ${f(cs.warmHttpMs)}) · new script via pool ${f(cs.newScriptPoolMs)} · ` +
        `new app via pool ${f(cs.newAppPoolMs)} · bare Worker spawn ${f(cs.workerSpawnMs)}` +
        (before?.coldStart
          ? ` (before: new app ${f(before.coldStart.newAppPoolMs)}, new script HTTP ${
            f(before.coldStart.newScriptHttpMs)
          }, Worker spawn ${f(before.coldStart.workerSpawnMs)})`
          : ""),
    );
  }
  const idle = r.idle;
  if (idle) {
    lines.push(
      "",
      `Idle, PostgreSQL mode, 10 apps × 10 scripts, ${idle.schedules} schedules ` +
        `(${idle.schedulerNote}): ${idle.platformTicks} platform ticks in ${idle.windowS} s ` +
        `after ${idle.settleS} s quiet (per sixth: ${
          idle.sliceTicks.join("/")
        }; main ${idle.mainTicks}; busiest threads: ${idle.busyThreads.join(", ") || "none"}; ` +
        `PostgreSQL server: ${idle.postgresTicks}) · main RSS idle ${f(idle.mainIdleRssMb)} MB, ` +
        `after warm-up ${f(idle.mainRssAfterMb)} MB · per executor ${
          f(idle.perExecutorRssMb)
        } MB · ` +
        `per further warm script ${f(idle.perWarmScriptRssMb)} MB · tree ` +
        `${f(idle.treeRssAfterMb, 0)} MB with ${idle.executors} executors` +
        (idle.failedHits.length ? ` · FAILED HITS: ${idle.failedHits.join(", ")}` : ""),
    );
  }
  if (r.memory) lines.push("", ...formatMemory(r.memory));
  if (r.scale) {
    const parts = Object.entries(r.scale.ratios).map(([k, v]) => `${k} ${f(v, 2)}×`);
    lines.push(
      "",
      `Match scale (orchestrator/match_bench.ts, ${r.scale.runs} run(s)): ${parts.join(" · ")}`,
    );
  }
  if (r.overcommit) lines.push("", ...formatOvercommit(r.overcommit));
  if (r.neighbours) lines.push("", formatNeighbours(r.neighbours));
  if (r.cluster) lines.push("", ...formatCluster(r.cluster));
  if (r.logPath?.length) {
    lines.push(
      "",
      "Execution log path (bench/log_path.ts): form, rows per statement → rows/s, CPU µs/row " +
        "(main thread / database thread)",
      ...r.logPath.filter((l) => !l.form.startsWith("list") && !l.form.startsWith("retain")).map(
        (l) =>
          `- ${l.db} ${l.form} ${l.batchRows} → ${f(l.rowsPerSec, 0)} rows/s, ${
            f(l.cpuUsPerRow)
          } µs (${f(l.mainUsPerRow)} / ${f(l.dbThreadUsPerRow)})`,
      ),
    );
  }
  if (before) {
    lines.push(
      "",
      `"before": the previous full run (${before.machine.date}), read from bench/results/latest.json.`,
    );
  }
  lines.push("", "DESIGN.md targets:");
  for (const t of targets) {
    const tag = t.pass === null ? "SKIP" : t.pass ? "PASS" : "FAIL";
    lines.push(`${tag}  ${t.target}: ${t.measured}`);
  }
  for (const e of r.errors) lines.push(`ERROR ${e}`);
  return lines.join("\n");
}
