/**
 * @module `deno task bench [--quick]`: starts every server itself on a free loopback port, drives it
 * with wrk, measures cold starts, idle cost and match scale, prints one table with the DESIGN.md
 * target checks and writes bench/results/latest.json. Everything it starts, it stops.
 */

import { measureCluster } from "./cluster.ts";
import { measureColdStart } from "./cold_start.ts";
import { benchLogPath } from "./log_path.ts";
import { measureNeighbours } from "./neighbours.ts";
import { measureIdle } from "./idle.ts";
import { measureMemory } from "./memory.ts";
import { measureOvercommit } from "./overcommit.ts";
import { checkTargets, formatReport, type Results } from "./report.ts";
import { measureScale } from "./scale.ts";
import { contenders, measureThroughput } from "./throughput.ts";
import type { Started } from "./_proc.ts";
import { describeMachine, ensureWorkerd, ensureWrk } from "./_tools.ts";

/** Run shape: full (`deno task bench`) or quick (`deno task bench:quick`). */
const PROFILES = {
  full: {
    rounds: 3,
    durationS: 5,
    warmupS: 3,
    quietWaitMs: 8_000,
    coldSamples: 7,
    idleWindowS: 60,
    idleSettleS: 10,
    scaleRuns: 3,
  },
  quick: {
    rounds: 2,
    durationS: 3,
    warmupS: 1,
    quietWaitMs: 1_000,
    coldSamples: 3,
    idleWindowS: 10,
    idleSettleS: 3,
    scaleRuns: 2,
  },
};
/** Hard ceiling on the whole run; the harness stops everything and exits non-zero past it. */
const RUN_LIMIT_S = { full: 570, quick: 170 };

/** Replaces everything after the `<!-- latest -->` marker of bench/README.md with the report. */
/** The last full run (the committed latest.json), to show its ratios beside this run's. */
async function previousRun(dir: URL): Promise<Results | null> {
  try {
    return JSON.parse(await Deno.readTextFile(new URL("latest.json", dir))) as Results;
  } catch {
    return null;
  }
}

async function pasteIntoReadme(report: string): Promise<void> {
  const url = new URL("./README.md", import.meta.url);
  const text = await Deno.readTextFile(url);
  const at = text.indexOf("<!-- latest -->");
  if (at < 0) return;
  const head = text.slice(0, at + "<!-- latest -->".length);
  await Deno.writeTextFile(url, `${head}\n\n\`\`\`text\n${report}\n\`\`\`\n`);
}

async function main(args: string[]): Promise<number> {
  const mode = args.includes("--quick") ? "quick" : "full";
  const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const want = (part: string) => !only || only.includes(part);
  const p = PROFILES[mode];
  const t0 = performance.now();
  const started = new Set<Started>();
  const cleanups: (() => Promise<void>)[] = [];
  const tmpDir = await Deno.makeTempDir({ prefix: "picloud-bench-" });
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    cleaning ??= (async () => {
      await Promise.all([...started].map((s) => s.stop(3_000)));
      for (const fn of cleanups.reverse()) await fn().catch(() => {});
      await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
    })();
  const onSignal = () => cleanup().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const watchdog = setTimeout(() => {
    console.error(`bench: over ${RUN_LIMIT_S[mode]} s, stopping everything`);
    cleanup().finally(() => Deno.exit(3));
  }, RUN_LIMIT_S[mode] * 1000);
  const onStart = (s: Started) => started.add(s);
  const errors: string[] = [];
  /** Runs one part unless its estimated duration would overrun the run's time limit. */
  const step = async <T>(
    name: string,
    estimateS: number,
    fn: () => Promise<T>,
  ): Promise<T | null> => {
    const elapsedS = (performance.now() - t0) / 1000;
    console.error(`bench: ${name} (${elapsedS.toFixed(0)} s)`);
    if (elapsedS + estimateS > RUN_LIMIT_S[mode] - 10) {
      const msg = `${name}: skipped, ~${estimateS} s more would overrun the ${
        RUN_LIMIT_S[mode]
      } s limit (slow or busy machine)`;
      console.error(`bench: ${msg}`);
      errors.push(msg);
      return null;
    }
    try {
      return await fn();
    } catch (err) {
      const msg = `${name}: ${err instanceof Error ? err.message : err}`;
      console.error(`bench: FAILED ${msg}`);
      errors.push(msg);
      return null;
    }
  };
  try {
    const wrk = await ensureWrk();
    const workerd = want("http") ? await ensureWorkerd() : null;
    const machine = await describeMachine(wrk, workerd);
    const wrkParams = { threads: 1, connections: 32, durationS: p.durationS };
    const perServerS = 8 + p.warmupS + p.rounds * (p.durationS + p.quietWaitMs / 1000);
    const list = want("http") ? contenders({ tmpDir, workerd }) : [];
    const throughput = list.length === 0 ? [] : await step(
      "throughput (rounds interleaved)",
      list.length * perServerS,
      () =>
        measureThroughput(wrk, list, {
          ...wrkParams,
          rounds: p.rounds,
          warmupS: p.warmupS,
          quietWaitMs: p.quietWaitMs,
          onStart,
          onError: (msg) => {
            console.error(`bench: FAILED ${msg}`);
            errors.push(msg);
          },
        }),
    ) ?? [];
    const coldStart = want("cold")
      ? await step(
        "cold start",
        15 + p.coldSamples * 2,
        () => measureColdStart(tmpDir, { samples: p.coldSamples, onStart }),
      )
      : null;
    const idle = want("idle")
      ? await step(
        "idle (PostgreSQL mode)",
        30 + p.idleSettleS + p.idleWindowS,
        () =>
          measureIdle({
            windowS: p.idleWindowS,
            settleS: p.idleSettleS,
            onStart,
            onCleanup: (fn) => cleanups.push(fn),
          }),
      )
      : null;
    const memory = want("memory")
      ? await step(
        "memory (embedded and PostgreSQL mode)",
        60 + p.idleWindowS,
        () =>
          measureMemory(tmpDir, {
            requests: 10_000,
            windowS: p.idleWindowS,
            onStart,
            onCleanup: (fn) => cleanups.push(fn),
          }),
      )
      : null;
    const scale = want("scale")
      ? await step("match scale", 8 * p.scaleRuns, () => measureScale(p.scaleRuns))
      : null;
    const overcommit = want("overcommit")
      ? await step(
        "overcommit (2× and 4× the executor cap)",
        3 * (p.durationS + 5),
        () => measureOvercommit(tmpDir, { durationS: p.durationS }),
      )
      : null;
    const neighbours = want("neighbours")
      ? await step("neighbours in one app", 20, () => measureNeighbours(tmpDir))
      : null;
    const logPath = want("logs")
      ? await step(
        "execution log path",
        60,
        () => benchLogPath({ rows: 10_000, batchRows: [200, 2000], repeats: 1 }),
      )
      : null;
    const cluster = want("cluster")
      ? await step(
        "cluster (1–3 nodes behind Caddy, deploy propagation)",
        40 + 5 * (p.durationS + 2),
        () => measureCluster({ durationS: p.durationS, wrk, onStart }),
      )
      : null;
    const results: Results = {
      mode,
      machine,
      wrk: { ...wrkParams, rounds: p.rounds, warmupS: p.warmupS },
      throughput,
      coldStart,
      idle,
      memory,
      scale,
      overcommit,
      neighbours,
      logPath,
      cluster,
      errors,
      elapsedS: (performance.now() - t0) / 1000,
    };
    const targets = checkTargets(results);
    const dir = new URL("./results/", import.meta.url);
    const report = formatReport(results, targets, await previousRun(dir));
    await Deno.mkdir(dir, { recursive: true });
    const name = mode === "full" && !only ? "latest.json" : `latest-${mode}.json`;
    await Deno.writeTextFile(
      new URL(name, dir),
      JSON.stringify({ ...results, targets, report }, null, 2) + "\n",
    );
    if (name === "latest.json") await pasteIntoReadme(report);
    console.log(report);
    console.error(`bench: wrote bench/results/${name}`);
    return errors.length > 0 ? 1 : 0;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
