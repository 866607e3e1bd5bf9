/** @module Head-of-line blocking between the scripts of one app: a small request's latency alone, during another script's big slow upload, and during another script's CPU-bound request. */

import {
  createExecutorPool,
  type ExecutorPool,
  type InvokeOptions,
  type ScriptRef,
} from "../executor/mod.ts";

/** The scripts the head-of-line tests run too (`/ping`, `/upload`, `/spin?ms=`). */
const SOURCE = Deno.readTextFileSync(
  new URL("../executor/testdata/neighbours.js", import.meta.url),
);

const LIMITS = {
  timeoutMs: 60_000,
  memoryLimitMb: 256,
  maxBodyBytes: 256 << 20,
  maxConcurrency: 64,
};

/** Ping latencies (ms) alone and next to each kind of neighbour. */
export interface NeighboursResult {
  /** Each: median and largest ping latency, and how many pings were sent. */
  alone: Latency;
  /** While another script of the app receives a 32 MiB upload in 256 KiB chunks. */
  bigUpload: Latency & { uploadMs: number };
  /** While another script of the app runs a 1 s CPU-bound request. */
  cpuBound: Latency & { spinMs: number };
}

/** Latency summary of one series of pings. */
export interface Latency {
  p50Ms: number;
  maxMs: number;
  pings: number;
}

function ref(scriptId: string): ScriptRef {
  return {
    appId: "hol-app",
    appSlug: "hol-app",
    scriptId,
    versionId: `hol-${scriptId}`,
    source: SOURCE,
    env: {},
    limits: LIMITS,
    netAllow: [],
  };
}

let n = 0;
const opts = (): InvokeOptions => ({
  params: {},
  requestId: `hol-${++n}`,
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
  trigger: "http",
});

async function ping(pool: ExecutorPool): Promise<number> {
  const t0 = performance.now();
  const inv = await pool.fetch(ref("ping"), new Request("http://hol.test/ping"), opts());
  await inv.response.text();
  return performance.now() - t0;
}

/** Pings every 10 ms until `until` settles (at most 2 000 pings). */
async function pingsDuring(pool: ExecutorPool, until: Promise<unknown>): Promise<Latency> {
  let done = false;
  until.finally(() => done = true);
  const samples: number[] = [];
  while (!done && samples.length < 2_000) {
    samples.push(await ping(pool));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return summary(samples);
}

function summary(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50Ms: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    pings: sorted.length,
  };
}

/** Measures one app's ping script next to its upload and CPU-bound neighbours. */
export async function measureNeighbours(tmpDir: string): Promise<NeighboursResult> {
  const pool = createExecutorPool({ socketDir: `${tmpDir}/hol-sockets`, spareExecutor: false });
  try {
    for (const id of ["ping", "upload", "spin"]) {
      const inv = await pool.fetch(ref(id), new Request("http://hol.test/ping"), opts());
      await inv.response.text();
    }
    const aloneSamples: number[] = [];
    for (let i = 0; i < 100; i++) aloneSamples.push(await ping(pool));

    const total = 32 << 20;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= total) return c.close();
        sent += 256 * 1024;
        c.enqueue(new Uint8Array(256 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
    });
    const t0 = performance.now();
    const upload = pool.fetch(
      ref("upload"),
      new Request("http://hol.test/upload", { method: "POST", body }),
      opts(),
    ).then((inv) => inv.response.text());
    const bigUpload = await pingsDuring(pool, upload);
    const uploadMs = performance.now() - t0;

    const t1 = performance.now();
    const spin = pool.fetch(ref("spin"), new Request("http://hol.test/spin?ms=1000"), opts())
      .then((inv) => inv.response.text());
    const cpuBound = await pingsDuring(pool, spin);
    const spinMs = performance.now() - t1;
    return {
      alone: summary(aloneSamples),
      bigUpload: { ...bigUpload, uploadMs },
      cpuBound: { ...cpuBound, spinMs },
    };
  } finally {
    await pool.close();
  }
}

/** One line for the report. */
export function formatNeighbours(r: NeighboursResult): string {
  const f = (l: Latency) => `p50 ${l.p50Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(1)} ms`;
  return `Neighbours in one app (ping script): alone ${f(r.alone)} · during a 32 MiB upload ` +
    `to another script (${r.bigUpload.uploadMs.toFixed(0)} ms) ${f(r.bigUpload)} · during a ` +
    `1 s CPU-bound request of another script ${f(r.cpuBound)}`;
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "picloud-hol-" });
  try {
    console.log(formatNeighbours(await measureNeighbours(dir)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
