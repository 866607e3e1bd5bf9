/** @module Cold start: first response of a newly deployed script, of a new app, and the bare Worker spawn floor. */

import {
  createExecutorPool,
  type ExecutorPool,
  type InvokeOptions,
  type ScriptRef,
} from "../executor/mod.ts";
import { waitReady } from "./_http.ts";
import { freePort, sampleTree, serveArgs, spawn, type Started } from "./_proc.ts";
import { SERVER_V8_FLAGS } from "../deploy/compile.ts";
import { median } from "./_wrk.ts";
import {
  adminTokenDeployer,
  benchCredentials,
  firstResponse,
  firstWorking,
  loginDeployer,
} from "./deploy.ts";

const ROOT = new URL("..", import.meta.url).pathname;
/**
 * 256 MB, not the default 128: with the default, an executor holding ~8 warm Workers (the pool's
 * default version cap) crosses its memory limit and is killed mid-measurement (see the idle
 * figures), which would turn a "new script" sample into a "new executor" one.
 */
const MEMORY_LIMIT_MB = 256;
const LIMITS = {
  timeoutMs: 30_000,
  memoryLimitMb: MEMORY_LIMIT_MB,
  maxBodyBytes: 10 << 20,
  maxConcurrency: 64,
};

/** Medians (ms) and raw samples of the three cold paths. */
export interface ColdStartResult {
  /** New script in an app whose executor runs, through HTTP (deploy → first request). */
  newScriptHttpMs: number;
  newScriptVia: string;
  /** Same, straight through the executor pool (new versionId, warm executor). */
  newScriptPoolMs: number;
  /** New app: new executor process, through the executor pool. */
  newAppPoolMs: number;
  /** Bare `new Worker` (permissions "none") to first message, in this process. */
  workerSpawnMs: number;
  /** Warm request after the first, through HTTP, for reference. */
  warmHttpMs: number;
  samples: Record<string, number[]>;
}

const source = (n: string) =>
  `export default { fetch: () => new Response("cold ${n}\\n") };\n// ${crypto.randomUUID()}`;

function ref(appId: string, n: string): ScriptRef {
  return {
    appId,
    appSlug: appId,
    scriptId: `${appId}-s${n}`,
    versionId: crypto.randomUUID(),
    source: source(n),
    env: {},
    limits: LIMITS,
    netAllow: [],
  };
}

/** Invoke options of a plain HTTP request from loopback, for benches that drive the pool. */
export function invokeOpts(): InvokeOptions {
  return {
    params: {},
    requestId: crypto.randomUUID(),
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    trigger: "http",
  };
}

async function timedFetch(pool: ExecutorPool, s: ScriptRef): Promise<number> {
  const t0 = performance.now();
  const inv = await pool.fetch(s, new Request("http://bench.test/"), invokeOpts());
  await inv.response.arrayBuffer();
  const ms = performance.now() - t0;
  if (inv.response.status !== 200) throw new Error(`pool.fetch: ${JSON.stringify(inv.outcome)}`);
  return ms;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Between two new apps: long enough for the pool to start and warm its next spare executor. */
const NEW_APP_GAP_MS = 1_000;

/** Bare Worker spawn to first message, serialised. */
async function workerSpawn(samples: number): Promise<number[]> {
  const url = URL.createObjectURL(new Blob(["postMessage('up');"], { type: "text/javascript" }));
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const w = new Worker(url, { type: "module", deno: { permissions: "none" } } as WorkerOptions);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Worker spawn timed out")), 10_000);
      w.onmessage = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    out.push(performance.now() - t0);
    w.terminate();
    await pause(100);
  }
  URL.revokeObjectURL(url);
  return out;
}

/** New versions in a warm app, and new apps, straight through the executor pool. */
async function poolPaths(tmpDir: string, samples: number): Promise<Record<string, number[]>> {
  const pool = createExecutorPool({ socketDir: `${tmpDir}/cold-sockets`, maxExecutors: 64 });
  try {
    await timedFetch(pool, ref("warm-app", "warmup"));
    const newScript: number[] = [];
    for (let i = 0; i < samples; i++) {
      await pause(150); // let the executor refill its spare loader, as between real deploys
      newScript.push(await timedFetch(pool, ref("warm-app", `v${i}`)));
    }
    const newApp: number[] = [];
    for (let i = 0; i < samples; i++) {
      // New apps arrive far apart (someone creates one): time for the pool to re-arm its spare.
      await pause(NEW_APP_GAP_MS);
      const appId = `cold-app-${i}`;
      newApp.push(await timedFetch(pool, ref(appId, "1")));
      await pool.stopApp(appId);
    }
    return { newScriptPool: newScript, newAppPool: newApp };
  } finally {
    await pool.close();
  }
}

/**
 * Waits (at most `maxMs`) until the server's process tree used no CPU tick over 250 ms: what a
 * deploy's first request costs is then measured on a settled server, not on the tail of its
 * start (the spare executor, the first check executor, start-up collection) or of the previous
 * sample's background work. Returns the ms waited.
 */
async function settled(pid: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < maxMs) {
    const before = sampleTree(pid).ticks;
    await pause(250);
    if (sampleTree(pid).ticks === before) break;
  }
  return performance.now() - t0;
}

/** Deploys through the admin API of a real server and times each new script's first response. */
async function httpPath(
  tmpDir: string,
  samples: number,
  onStart: (s: Started) => void,
): Promise<{ first: number[]; warm: number[]; via: string }> {
  const port = freePort();
  const consolePort = freePort();
  const { creds, env } = benchCredentials();
  const server = spawn("PiCloud (cold start)", Deno.execPath(), {
    args: serveArgs(SERVER_V8_FLAGS),
    env: {
      PORT: String(port),
      PICLOUD_CONSOLE_PORT: String(consolePort),
      HOSTNAME: "127.0.0.1",
      PICLOUD_DATA_DIR: `${tmpDir}/picloud-cold`,
      PICLOUD_MEMORY_LIMIT_MB: String(MEMORY_LIMIT_MB),
      ...env,
    },
    cwd: ROOT,
  });
  onStart(server);
  try {
    await waitReady(server, port, { host: "localhost", timeoutMs: 60_000 });
    const deployer = await firstWorking(
      [loginDeployer(consolePort, creds), adminTokenDeployer(consolePort, creds)],
      { name: "probe", source: source("probe"), method: "GET", path: "/probe" },
    );
    const first: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < samples; i++) {
      await pause(150);
      await settled(server.pid, 5_000);
      const path = `/cold-${i}`;
      await deployer.deploy({ name: `cold-${i}`, source: source(String(i)), method: "GET", path });
      const r = await firstResponse(port, { host: "localhost", path });
      if (r.status !== 200) throw new Error(`${path} answered ${r.status} after deploy`);
      first.push(r.ms);
      warm.push((await firstResponse(port, { host: "localhost", path })).ms);
    }
    return { first, warm, via: deployer.via };
  } finally {
    await server.stop();
  }
}

/** Runs all cold-start measurements with `samples` samples each. */
export async function measureColdStart(
  tmpDir: string,
  opts: { samples: number; onStart(s: Started): void },
): Promise<ColdStartResult> {
  const spawnMs = await workerSpawn(opts.samples + 2);
  const pool = await poolPaths(tmpDir, opts.samples);
  let http: { first: number[]; warm: number[]; via: string };
  try {
    http = await httpPath(tmpDir, opts.samples, opts.onStart);
  } catch (err) {
    console.error(`bench: deploy through the admin API failed, using the pool figure: ${err}`);
    http = { first: pool.newScriptPool, warm: [], via: "executor pool (admin API failed)" };
  }
  return {
    newScriptHttpMs: median(http.first),
    newScriptVia: http.via,
    newScriptPoolMs: median(pool.newScriptPool),
    newAppPoolMs: median(pool.newAppPool),
    workerSpawnMs: median(spawnMs),
    warmHttpMs: median(http.warm),
    samples: { ...pool, newScriptHttp: http.first, warmHttp: http.warm, workerSpawn: spawnMs },
  };
}
