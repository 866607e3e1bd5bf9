/**
 * @module The small cluster's scale figures: a throwaway PostgreSQL (`.ci/pg.sh`), one manager
 * and three nodes (`main.ts serve --role …`), Debian's Caddy in front with
 * `caddy/Caddyfile.cluster` (TLS from its internal CA). Requests per second through Caddy with 1, 2
 * and 3 nodes (wrk over HTTPS, kept-alive connections), one node without Caddy for comparison, and
 * how long a deploy on the manager takes to be live on every node. Also runs alone:
 * `deno run -A --unstable-worker-options bench/cluster.ts`.
 */

import { startCaddy } from "../testing/caddy.ts";
import { request, waitReady } from "./_http.ts";
import {
  type BenchPostgres,
  freePort,
  runText,
  serveArgs,
  spawn,
  startBenchPostgres,
  type Started,
} from "./_proc.ts";
import { parseWrk } from "./_wrk.ts";
import { SERVER_V8_FLAGS } from "../deploy/compile.ts";
import { benchCredentials, deployVersion, loginDeployer } from "./deploy.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const NODES = 3;
const DEPLOY_SAMPLES = 5;

/** One wrk run through Caddy (or straight to one node). */
export interface ClusterRound {
  /** How many nodes Caddy balanced over (0: one node, no Caddy). */
  nodes: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
}

/** The cluster's figures. */
export interface ClusterResult {
  connections: number;
  durationS: number;
  rounds: ClusterRound[];
  /** Per deploy: ms from the manager's 201 until every node serves the new version. */
  deployLiveMs: number[];
  /** Per deploy: the same, counted from sending the deploy. */
  deployTotalMs: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function wrk(
  bin: string,
  url: string,
  connections: number,
  durationS: number,
): Promise<ClusterRound> {
  const out = await runText(bin, [
    "-t1",
    `-c${connections}`,
    `-d${durationS}s`,
    "--latency",
    "--timeout",
    "5s",
    url,
  ], { timeoutMs: (durationS + 30) * 1000 });
  const r = parseWrk(out);
  return {
    nodes: 0,
    rps: r.rps,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    errors: r.non2xx + r.socketErrors,
  };
}

/** Measures the cluster; everything it starts is stopped before it returns. */
export async function measureCluster(opts: {
  durationS: number;
  connections?: number;
  /** The wrk executable (default: `wrk` on PATH). */
  wrk?: string;
  onStart?(s: Started): void;
}): Promise<ClusterResult> {
  const bin = opts.wrk ?? "wrk";
  const connections = opts.connections ?? 32;
  const dir = await runText("mktemp", ["-d", "/tmp/picloud-bench-cluster.XXXXXX"]);
  await Deno.chmod(dir, 0o755);
  const started: Started[] = [];
  let pg: BenchPostgres | undefined;
  const track = (s: Started) => {
    started.push(s);
    opts.onStart?.(s);
    return s;
  };
  try {
    pg = await startBenchPostgres("cluster-pg", null);
    const url = pg.url;
    const { creds, env: credsEnv } = benchCredentials();
    const common = {
      DATABASE_URL: url,
      HOSTNAME: "127.0.0.1",
      PICLOUD_SECRET_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
      PICLOUD_TRUSTED_PROXIES: "127.0.0.1",
      PICLOUD_LOG_LEVEL: "warn",
    };
    const serve = (name: string, role: string, env: Record<string, string>) =>
      track(spawn(name, Deno.execPath(), {
        // The server as shipped: with its V8 flags (what the systemd unit and launcher set).
        args: [...serveArgs(SERVER_V8_FLAGS), "--role", role],
        env: { ...common, PICLOUD_DATA_DIR: `${dir}/${name}`, ...env },
        cwd: ROOT,
      }));
    const managerPort = freePort();
    const manager = serve("manager", "manager", {
      ...credsEnv,
      PICLOUD_CONSOLE_PORT: String(managerPort),
      PORT: "0",
    });
    await waitReady(manager, managerPort, { host: "localhost", path: "/healthz" });
    const nodePorts = Array.from({ length: NODES }, () => freePort());
    await Promise.all(nodePorts.map((port, i) => {
      const node = serve(`node-${i + 1}`, "node", {
        PORT: String(port),
        PICLOUD_CONSOLE_PORT: "0",
      });
      return waitReady(node, port, { host: "localhost", path: "/healthz" });
    }));

    const source = (v: string) => `export default { fetch: () => new Response("${v}") };`;
    const { scriptId } = await loginDeployer(managerPort, creds).deploy({
      name: "cluster",
      source: source("v0"),
      method: "GET",
      path: "/b",
    });
    const serves = async (port: number, v: string) =>
      (await request(port, { host: "localhost", path: "/b", timeoutMs: 5_000 })).body === v;
    for (let i = 0; i < 500 && !(await serves(nodePorts[NODES - 1], "v0")); i++) await sleep(10);

    // Deploy → live on every node.
    const deployLiveMs: number[] = [];
    const deployTotalMs: number[] = [];
    for (let s = 1; s <= DEPLOY_SAMPLES; s++) {
      const v = `v${s}`;
      const sent = performance.now();
      await deployVersion(managerPort, creds, scriptId, source(v));
      const acked = performance.now();
      await Promise.all(nodePorts.map(async (port) => {
        for (let i = 0; i < 1_000 && !(await serves(port, v)); i++) await sleep(2);
      }));
      deployLiveMs.push(performance.now() - acked);
      deployTotalMs.push(performance.now() - sent);
      await sleep(300);
    }

    // One node, no Caddy; then 1, 2, 3 nodes through Caddy.
    const rounds: ClusterRound[] = [];
    const direct = `http://127.0.0.1:${nodePorts[0]}/b`;
    await wrk(bin, direct, connections, 1);
    rounds.push(await wrk(bin, direct, connections, opts.durationS));
    for (let n = 1; n <= NODES; n++) {
      const caddyDir = `${dir}/caddy-${n}`;
      await Deno.mkdir(caddyDir);
      const caddy = await startCaddy(
        await Deno.readTextFile(new URL("../caddy/Caddyfile.cluster", import.meta.url)),
        {
          dir: caddyDir,
          env: {
            PICLOUD_CONSOLE_HOST: "console.bench.test",
            PICLOUD_NODES: nodePorts.slice(0, n).map((p) => `127.0.0.1:${p}`).join(" "),
            PICLOUD_MANAGERS: `127.0.0.1:${managerPort}`,
            PICLOUD_ASK_PORT: String(freePort()),
          },
        },
      );
      try {
        const through = `https://localhost:${caddy.httpsPort}/b`;
        // Warm-up: the on-demand certificate, Caddy's health checks, every node's Worker.
        await wrk(bin, through, connections, 2);
        rounds.push({ ...await wrk(bin, through, connections, opts.durationS), nodes: n });
      } finally {
        await caddy.stop();
      }
    }
    return { connections, durationS: opts.durationS, rounds, deployLiveMs, deployTotalMs };
  } finally {
    await Promise.all(started.map((s) => s.stop(3_000)));
    await pg?.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The report's lines for the cluster. */
export function formatCluster(r: ClusterResult): string[] {
  const f = (n: number, d = 0) => Number.isFinite(n) ? n.toFixed(d) : "n/a";
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
  const row = (x: ClusterRound) =>
    `- ${x.nodes === 0 ? "1 node, no Caddy" : `${x.nodes} node(s) via Caddy`}: ${
      f(x.rps)
    } req/s, ` +
    `p50 ${f(x.p50Ms, 2)} ms, p99 ${f(x.p99Ms, 2)} ms${x.errors ? `, ${x.errors} errors` : ""}`;
  return [
    `Cluster (bench/cluster.ts): PostgreSQL, 1 manager, ${NODES} nodes, Caddy 2.6 over TLS; ` +
    `wrk -t1 -c${r.connections} -d${r.durationS}s on one machine`,
    ...r.rounds.map(row),
    `- deploy live on every node: median ${f(median(r.deployLiveMs))} ms, max ` +
    `${f(Math.max(...r.deployLiveMs))} ms after the 201 (${f(median(r.deployTotalMs))} ms ` +
    `from sending it; each: ${r.deployLiveMs.map((x) => f(x)).join(", ")} ms)`,
  ];
}

if (import.meta.main) {
  const durationS = Number(Deno.args[0] ?? 5);
  console.log(formatCluster(await measureCluster({ durationS })).join("\n"));
}
