/** @module Warm hello-world throughput: raw Deno.serve, PiCloud's full path, workerd and Node, one run. */

import { waitReady } from "./_http.ts";
import { freePort, sampleTree, serveArgs, spawn, type Started, type TreeSample } from "./_proc.ts";
import { SERVER_V8_FLAGS } from "../deploy/compile.ts";
import { median, type Round, type WrkParams, wrkRound } from "./_wrk.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** The contender that is PiCloud without the server's V8 flags (`SERVER_V8_FLAGS`). */
export const PICLOUD_UNTUNED = "PiCloud full path, no server V8 flags";
const SERVERS = new URL("./servers/", import.meta.url).pathname;

/** How to start one contender. */
export interface Contender {
  name: string;
  host: string;
  start(port: number): Promise<Started>;
}

/** Median results of one contender. */
export interface ThroughputResult {
  name: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  mainCpuUsPerReq: number;
  /** Whole tree after start-up and one request, MiB. */
  rssIdleMb: number;
  /** The server's main process alone, MiB (PiCloud: embedded database included). */
  mainRssIdleMb: number;
  rssLoadMb: number;
  readyMs: number;
  rounds: Round[];
  noisyRounds: number;
}

/** The contenders; PiCloud runs on a fresh embedded database in `tmpDir`. */
export function contenders(opts: { tmpDir: string; workerd: string | null }): Contender[] {
  const deno = Deno.execPath();
  const list: Contender[] = [
    {
      name: "raw Deno.serve",
      host: "localhost",
      start: (port) =>
        Promise.resolve(spawn("raw Deno.serve", deno, {
          args: ["run", "--allow-net", "--allow-env=PORT", `${SERVERS}deno_hello.ts`],
          env: { PORT: String(port) },
          cwd: ROOT,
        })),
    },
    // PiCloud as `deno task start` runs it, and without the server's V8 flags (issue 14:
    // throughput within 10 % of the untuned process), each on a fresh embedded database.
    ...[["PiCloud full path", SERVER_V8_FLAGS], [PICLOUD_UNTUNED, ""]].map(([name, flags]) => ({
      name,
      host: "localhost",
      start: (port: number) =>
        Promise.resolve(spawn(name, deno, {
          args: serveArgs(flags),
          env: {
            PORT: String(port),
            PICLOUD_CONSOLE_PORT: String(freePort()),
            HOSTNAME: "127.0.0.1",
            PICLOUD_DATA_DIR: `${opts.tmpDir}/picloud-throughput${flags ? "" : "-untuned"}`,
          },
          cwd: ROOT,
        })),
    })),
  ];
  if (opts.workerd) {
    const bin = opts.workerd;
    list.push({
      name: "workerd",
      host: "localhost",
      start: (port) =>
        Promise.resolve(spawn("workerd", bin, {
          args: ["serve", "workerd.capnp", "--socket-addr", `http=127.0.0.1:${port}`],
          cwd: SERVERS,
        })),
    });
  }
  list.push({
    name: "Node http",
    host: "localhost",
    start: (port) =>
      Promise.resolve(spawn("Node http", "node", {
        args: [`${SERVERS}node_hello.mjs`],
        env: { PORT: String(port) },
      })),
  });
  return list;
}

/** A started, warmed-up contender. */
interface Live {
  c: Contender;
  server: Started;
  url: string;
  readyMs: number;
  idle: TreeSample;
  rounds: Round[];
}

/** Round options shared by all contenders. */
export interface ThroughputOptions extends WrkParams {
  rounds: number;
  warmupS: number;
  quietWaitMs: number;
  onStart(s: Started): void;
  onError(msg: string): void;
}

async function startOne(wrk: string, c: Contender, opts: ThroughputOptions): Promise<Live> {
  const port = freePort();
  const server = await c.start(port);
  opts.onStart(server);
  const readyMs = await waitReady(server, port, { host: c.host, timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = sampleTree(server.pid);
  const url = `http://127.0.0.1:${port}/`;
  await wrkRound(wrk, server, {
    ...opts,
    durationS: opts.warmupS,
    url,
    host: c.host,
    quietWaitMs: 0,
  });
  return { c, server, url, readyMs, idle, rounds: [] };
}

/**
 * Starts every contender (idle servers cost ~0 CPU), warms each up, then runs the rounds
 * interleaved — round 1 of each, round 2 of each, … — so a burst of load from other tenants
 * hits all contenders alike instead of skewing one. Medians use the quiet rounds when there are
 * any. Everything is stopped before returning.
 */
export async function measureThroughput(
  wrk: string,
  list: Contender[],
  opts: ThroughputOptions,
): Promise<ThroughputResult[]> {
  const live: Live[] = [];
  try {
    for (const c of list) {
      console.error(`  starting ${c.name} …`);
      try {
        live.push(await startOne(wrk, c, opts));
      } catch (err) {
        opts.onError(`throughput: ${c.name}: ${err instanceof Error ? err.message : err}`);
      }
    }
    for (let i = 0; i < opts.rounds; i++) {
      for (const l of live) {
        const r = await wrkRound(wrk, l.server, { ...opts, url: l.url, host: l.c.host });
        l.rounds.push(r);
        console.error(
          `  ${l.c.name} round ${i + 1}: ${r.rps.toFixed(0)} req/s, p99 ${
            r.p99Ms.toFixed(2)
          } ms, ` +
            `steal ${r.stealPct.toFixed(1)}%, other ${r.otherPct.toFixed(1)}%, ` +
            `waited ${r.quietWaitS.toFixed(1)} s for quiet${r.noisy ? "  NOISY" : ""}`,
        );
      }
    }
    return live.map(summarize);
  } finally {
    await Promise.all(live.map((l) => l.server.stop()));
  }
}

function summarize(l: Live): ThroughputResult {
  const quiet = l.rounds.filter((r) => !r.noisy);
  const use = quiet.length > 0 ? quiet : l.rounds;
  const pick = (k: "rps" | "p50Ms" | "p99Ms" | "cpuUsPerReq" | "mainCpuUsPerReq" | "rssLoadMb") =>
    median(use.map((r) => r[k]));
  return {
    name: l.c.name,
    rps: pick("rps"),
    p50Ms: pick("p50Ms"),
    p99Ms: pick("p99Ms"),
    cpuUsPerReq: pick("cpuUsPerReq"),
    mainCpuUsPerReq: pick("mainCpuUsPerReq"),
    rssIdleMb: l.idle.rssKb / 1024,
    mainRssIdleMb: l.idle.rootRssKb / 1024,
    rssLoadMb: pick("rssLoadMb"),
    readyMs: l.readyMs,
    rounds: l.rounds,
    noisyRounds: l.rounds.length - quiet.length,
  };
}
