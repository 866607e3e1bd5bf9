/** @module Runs wrk against a server while sampling the server's process tree and the machine's CPU. */

import { CLK_TCK, cpuTotals, sampleTree, selfTicks, type Started } from "./_proc.ts";

/** wrk parameters, stated in the results. */
export interface WrkParams {
  threads: number;
  connections: number;
  durationS: number;
}

/** One wrk round's numbers. */
export interface Round {
  rps: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
  /** Server tree CPU per request, microseconds (user + system). */
  cpuUsPerReq: number;
  /** Of which the server's main process (PiCloud: without its executor child). */
  mainCpuUsPerReq: number;
  /** Peak RSS of the server tree during the round, MiB. */
  rssLoadMb: number;
  /** Machine CPU stolen by the hypervisor, % of capacity. */
  stealPct: number;
  /** Task CPU of anything but the server, wrk and the harness (other tenants), % of capacity. */
  otherPct: number;
  /** Seconds spent waiting for the machine to quieten before the round. */
  quietWaitS: number;
  noisy: boolean;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/** Parses wrk's `--latency` report. */
export function parseWrk(
  out: string,
): Omit<Round, `${string}UsPerReq` | "rssLoadMb" | "quietWaitS" | `${string}Pct`> {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/) || 0,
    socketErrors: errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    p50Ms: toMs(/50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99Ms: toMs(/99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    noisy: false,
  };
}

/** Runs one wrk round of `durationS` against `url` with a `Host` header, sampling the server. */
export async function wrkRound(
  wrk: string,
  server: Started,
  opts: WrkParams & { url: string; host: string; quietWaitMs?: number },
): Promise<Round> {
  const quietWaitS = await waitQuiet(server.pid, opts.quietWaitMs ?? 0);
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    "--latency",
    "--timeout",
    "5s",
    "-H",
    `Host: ${opts.host}`,
    opts.url,
  ];
  const ac = new AbortController();
  const killer = setTimeout(() => ac.abort(), (opts.durationS + 30) * 1000);
  const before = { tree: sampleTree(server.pid), cpu: cpuTotals(), self: selfTicks() };
  const t0 = performance.now();
  let peakKb = before.tree.rssKb;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, sampleTree(server.pid).rssKb);
  }, 500);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(wrk, { args, stdin: "null", signal: ac.signal }).output();
  } finally {
    clearInterval(sampler);
    clearTimeout(killer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = { tree: sampleTree(server.pid), cpu: cpuTotals(), self: selfTicks() };
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success || !/Requests\/sec/.test(text)) {
    throw new Error(`wrk failed against ${server.name}: ${new TextDecoder().decode(out.stderr)}`);
  }
  const parsed = parseWrk(text);
  const serverTicks = after.tree.ticks - before.tree.ticks;
  // The harness's own ticks include wrk's: wrk is its child and has been reaped by now.
  const selfAndWrk = after.self - before.self;
  const capacity = seconds * CLK_TCK * navigator.hardwareConcurrency;
  const busy = after.cpu.task - before.cpu.task;
  const stealPct = 100 * (after.cpu.steal - before.cpu.steal) / capacity;
  const otherPct = Math.max(0, 100 * (busy - serverTicks - selfAndWrk) / capacity);
  return {
    ...parsed,
    cpuUsPerReq: perReqUs(serverTicks, parsed.requests),
    mainCpuUsPerReq: perReqUs(after.tree.rootTicks - before.tree.rootTicks, parsed.requests),
    rssLoadMb: Math.max(peakKb, after.tree.rssKb) / 1024,
    stealPct,
    otherPct,
    quietWaitS,
    noisy: stealPct > 2 || otherPct > 5 || parsed.non2xx > 0 || parsed.socketErrors > 0,
  };
}

function perReqUs(ticks: number, requests: number): number {
  return requests > 0 ? (ticks / CLK_TCK) * 1e6 / requests : NaN;
}

/**
 * Waits (at most `maxWaitMs`) until, over a 500 ms window, processes other than the server and
 * the harness use under 10% of the machine: other tenants' test runs skew every number.
 */
export async function waitQuiet(serverPid: number, maxWaitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxWaitMs) {
    const before = { cpu: cpuTotals(), tree: sampleTree(serverPid).ticks, self: selfTicks() };
    await new Promise((r) => setTimeout(r, 500));
    const after = { cpu: cpuTotals(), tree: sampleTree(serverPid).ticks, self: selfTicks() };
    const other = after.cpu.task - before.cpu.task - (after.tree - before.tree) -
      (after.self - before.self);
    if (other < 0.1 * 0.5 * CLK_TCK * navigator.hardwareConcurrency) break;
  }
  return (performance.now() - t0) / 1000;
}

/** Median of a list (NaN when empty). */
export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
