/** @module Idle cost in PostgreSQL mode: CPU ticks of a quiet platform with 100 scripts, and memory per executor and warm script. */

import postgres from "postgres";
import { routeShapeKey } from "../orchestrator/mod.ts";
import { request, waitReady } from "./_http.ts";
import {
  freePort,
  rssKb,
  runText,
  sampleTree,
  serveArgs,
  spawn,
  startBenchPostgres,
  type Started,
  threadTicks,
  treePids,
  type TreeSample,
} from "./_proc.ts";
import { median } from "./_wrk.ts";
import { SERVER_V8_FLAGS } from "../deploy/compile.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const APPS = 10;
const SCRIPTS_PER_APP = 10;
const SLICES = 6;

/** Idle and memory figures. */
export interface IdleResult {
  windowS: number;
  /** CPU ticks of the whole platform tree (main + executors) over the window. */
  platformTicks: number;
  /** Quiet time between the last request and the window, s. */
  settleS: number;
  /** Platform ticks in each sixth of the window: front-loaded means settling, even means a timer. */
  sliceTicks: number[];
  /** Platform ticks in the second half of the window (steady state). */
  lastHalfTicks: number;
  /** Of which the main process. */
  mainTicks: number;
  /** Threads that used CPU in the window, "main:<thread> ticks" / "child <pid>:<thread> ticks". */
  busyThreads: string[];
  /** CPU ticks of the PostgreSQL server tree over the same window (not the platform's own). */
  postgresTicks: number;
  mainIdleRssMb: number;
  mainRssAfterMb: number;
  /** RSS of the whole tree once every script was hit, MiB. */
  treeRssAfterMb: number;
  /** Live executor processes at the end. */
  executors: number;
  /** Median RSS of an app's executor serving its first script (spare loader included), MiB. */
  perExecutorRssMb: number;
  /** Per app: consecutive scripts served by one executor process before any failure. */
  warmScriptsPerApp: number[];
  /** Median slope of executor RSS per further warm script, MiB. */
  perWarmScriptRssMb: number;
  /** Scripts that did not answer 200 when warmed (e.g. `memory_limit`): a finding, not a crash. */
  failedHits: string[];
  schedules: number;
  schedulerNote: string;
}

const mb = (kb: number) => kb / 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Inserts 10 apps × 10 scripts, each routed at `GET /s<j>` of host `a<i>.bench.test`, and 10 schedules. */
async function seedData(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      for (let i = 0; i < APPS; i++) {
        const [app] = await tx<{ id: string }[]>`
          insert into apps (slug, name) values (${`bench-a${i}`}, ${`Bench ${i}`}) returning id`;
        const host = `a${i}.bench.test`;
        await tx`insert into app_domains (app_id, pattern, kind, shape_key)
                 values (${app.id}, ${host}, 'exact', ${host})`;
        for (let j = 0; j < SCRIPTS_PER_APP; j++) {
          const src = `export default { fetch: () => new Response("a${i} s${j}\\n") };`;
          const [s] = await tx<{ id: string }[]>`
            insert into scripts (app_id, name) values (${app.id}, ${`s${j}`}) returning id`;
          const [v] = await tx<{ id: string }[]>`
            insert into script_versions (script_id, version, source, hash)
            values (${s.id}, 1, ${src}, ${`bench-${i}-${j}`}) returning id`;
          await tx`update scripts set active_version_id = ${v.id} where id = ${s.id}`;
          await tx`insert into routes (app_id, script_id, method, path, host, shape_key)
                   values (${app.id}, ${s.id}, 'GET', ${`/s${j}`}, null,
                           ${routeShapeKey("GET", `/s${j}`, null)})`;
          if (j === 0) {
            await tx`insert into schedules (app_id, script_id, cron, next_run_at)
                     values (${app.id}, ${s.id}, '0 0 1 1 *', now() + interval '300 days')`;
          }
        }
      }
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Requests one script; failures are recorded, not thrown: they are findings. */
async function hit(port: number, i: number, j: number, failures: string[]): Promise<void> {
  const r = await request(port, { host: `a${i}.bench.test`, path: `/s${j}`, timeoutMs: 15_000 });
  if (r.status !== 200 || r.body !== `a${i} s${j}\n`) {
    const code = /"code":"([a-z_]+)"/.exec(r.body)?.[1] ?? r.body.slice(0, 60);
    failures.push(`a${i}/s${j}: ${r.status} ${code}`);
  }
}

/** One app's warm-up: its executor's RSS after the first script and after the last in a row. */
interface AppWarm {
  firstKb: number;
  lastKb: number;
  warmScripts: number;
}

/** Hits an app's scripts in order, following its executor's RSS while that process lives. */
async function warmApp(
  port: number,
  root: number,
  i: number,
  failures: string[],
): Promise<AppWarm> {
  const known = new Set(treePids(root));
  const out: AppWarm = { firstKb: 0, lastKb: 0, warmScripts: 0 };
  let pid = 0;
  for (let j = 0; j < SCRIPTS_PER_APP; j++) {
    const failed = failures.length;
    await hit(port, i, j, failures);
    await pause(100); // the executor refills its spare loader 25 ms after a load
    if (j === 0) pid = treePids(root).find((p) => !known.has(p)) ?? 0;
    const kb = pid ? rssKb(pid) : 0;
    if (failures.length > failed || kb === 0 || out.warmScripts < j) continue;
    if (j === 0) out.firstKb = kb;
    out.lastKb = kb;
    out.warmScripts = j + 1;
  }
  return out;
}

/** Whether server.ts wires a scheduler in, so the report says what the 10 schedules exercised. */
async function schedulerNote(): Promise<string> {
  const serverTs = await Deno.readTextFile(`${ROOT}server.ts`);
  return /scheduler/i.test(serverTs)
    ? "due in 300 days; server.ts starts a scheduler"
    : "due in 300 days; stored only: no scheduler is implemented yet";
}

function postmasterPid(dir: string): number {
  return Number(Deno.readTextFileSync(`${dir}/data/postmaster.pid`).split("\n")[0]);
}

/** Starts a throwaway PostgreSQL (.ci/pg.sh), seeds it, serves PiCloud on it and measures. */
export async function measureIdle(
  opts: {
    windowS: number;
    settleS: number;
    onStart(s: Started): void;
    onCleanup(fn: () => Promise<void>): void;
  },
): Promise<IdleResult> {
  const pg = await startBenchPostgres("pg", "picloud_bench", opts.onCleanup);
  const { dir, url } = pg;
  try {
    const env = { DATABASE_URL: url, PORT: "0", PICLOUD_CONSOLE_PORT: "0", HOSTNAME: "127.0.0.1" };
    await runText(Deno.execPath(), ["run", "-A", "main.ts", "migrate"], {
      cwd: ROOT,
      env,
      timeoutMs: 120_000,
    });
    await seedData(url);

    const port = freePort();
    const consolePort = freePort();
    const server = spawn("PiCloud (PostgreSQL)", Deno.execPath(), {
      args: serveArgs(SERVER_V8_FLAGS),
      env: { ...env, PORT: String(port), PICLOUD_CONSOLE_PORT: String(consolePort) },
      cwd: ROOT,
    });
    opts.onStart(server);
    try {
      await waitReady(server, consolePort, { host: "localhost", path: "/api/v1/health" });
      await pause(3_000);
      const mainIdleRssMb = mb(sampleTree(server.pid).rootRssKb);
      const failures: string[] = [];
      const apps: AppWarm[] = [];
      for (let i = 0; i < APPS; i++) apps.push(await warmApp(port, server.pid, i, failures));
      await pause(opts.settleS * 1000); // let post-warm-up GC and log flushes finish
      const all: TreeSample = sampleTree(server.pid);
      const pg = postmasterPid(dir);
      const before = {
        platform: sampleTree(server.pid),
        pg: sampleTree(pg).ticks,
        threads: threadTicks(server.pid),
      };
      console.error(`  idle window: ${opts.windowS} s …`);
      const sliceTicks: number[] = [];
      let last = before.platform.ticks;
      for (let k = 0; k < SLICES; k++) {
        await pause(opts.windowS * 1000 / SLICES);
        const now = sampleTree(server.pid).ticks;
        sliceTicks.push(now - last);
        last = now;
      }
      const after = {
        platform: sampleTree(server.pid),
        pg: sampleTree(pg).ticks,
        threads: threadTicks(server.pid),
      };
      const busyThreads = [...after.threads].map(([k, v]) => [k, v - (before.threads.get(k) ?? 0)])
        .filter(([, v]) => Number(v) > 0).sort((a, b) => Number(b[1]) - Number(a[1])).slice(0, 8)
        .map(([k, v]) => `${k} ${v}`);
      const slopes = apps.filter((a) => a.warmScripts > 1).map((a) =>
        (a.lastKb - a.firstKb) / (a.warmScripts - 1)
      );
      return {
        windowS: opts.windowS,
        platformTicks: after.platform.ticks - before.platform.ticks,
        mainTicks: after.platform.rootTicks - before.platform.rootTicks,
        sliceTicks,
        lastHalfTicks: sliceTicks.slice(SLICES / 2).reduce((a, b) => a + b, 0),
        settleS: opts.settleS,
        busyThreads,
        postgresTicks: after.pg - before.pg,
        mainIdleRssMb,
        mainRssAfterMb: mb(after.platform.rootRssKb),
        treeRssAfterMb: mb(all.rssKb),
        executors: all.processes - 1,
        perExecutorRssMb: mb(median(apps.map((a) => a.firstKb))),
        warmScriptsPerApp: apps.map((a) => a.warmScripts),
        perWarmScriptRssMb: mb(median(slopes)),
        failedHits: failures,
        schedules: APPS,
        schedulerNote: await schedulerNote(),
      };
    } finally {
      await server.stop();
    }
  } finally {
    await pg.stop();
  }
}
