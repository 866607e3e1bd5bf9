/** @module Runs orchestrator/match_bench.ts (Deno.bench) and turns it into large-vs-small cost ratios. */

import { runText } from "./_proc.ts";
import { median } from "./_wrk.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Fastest-sample ns per iteration of each bench, and ratios against each group's baseline. The
 * fastest sample, not the mean: on a shared machine the mean mostly measures other tenants.
 */
export interface ScaleResult {
  runs: number;
  /** Bench name → median over runs of the fastest sample's time per iteration, ns. */
  minNs: Record<string, number>;
  /** "host 10k/10", "route 100k over 1000 apps/10", "route 100k in one app/10" → median ratio. */
  ratios: Record<string, number>;
}

interface BenchJson {
  benches: {
    group: string;
    name: string;
    baseline: boolean;
    results: { ok?: { min: number } }[];
  }[];
}

const LABELS: Record<string, string> = {
  "host match, 10k claims": "host: 10k claims / 10",
  "route match, 100k routes over 1000 apps": "route: 100k over 1000 apps / 10",
  "route match, 100k routes in one app": "route: 100k in one app / 10",
};

/** Runs the match micro-benchmark `runs` times; ratios are medians over runs. */
export async function measureScale(runs: number): Promise<ScaleResult> {
  const perRun: Record<string, number>[] = [];
  const fastest: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    const out = await runText(
      Deno.execPath(),
      ["bench", "--json", "--no-check", "orchestrator/match_bench.ts"],
      { cwd: ROOT, timeoutMs: 120_000 },
    );
    const json: BenchJson = JSON.parse(out);
    const base = new Map<string, number>();
    const ratios: Record<string, number> = {};
    for (const b of json.benches) {
      const ns = b.results[0]?.ok?.min;
      if (ns === undefined) throw new Error(`bench "${b.name}" failed`);
      (fastest[b.name] ??= []).push(ns);
      if (b.baseline) base.set(b.group, ns);
    }
    for (const b of json.benches) {
      const label = LABELS[b.name];
      const baseNs = base.get(b.group);
      if (label && baseNs) ratios[label] = b.results[0].ok!.min / baseNs;
    }
    perRun.push(ratios);
  }
  const ratios: Record<string, number> = {};
  for (const label of Object.keys(perRun[0] ?? {})) {
    ratios[label] = median(perRun.map((r) => r[label]));
  }
  return {
    runs,
    minNs: Object.fromEntries(Object.entries(fastest).map(([k, v]) => [k, median(v)])),
    ratios,
  };
}
