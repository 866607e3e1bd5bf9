/**
 * @module Memory of the main process, embedded mode against PostgreSQL mode: the first start's
 * peak (whole process tree, sampled every 25 ms), idle after start, after 10k requests to the
 * seeded Hello World, after an idle window, and a second start; plus a breakdown of where the
 * embedded main process's memory goes, from bare processes measured in the same run.
 */

import { request, waitReady } from "./_http.ts";
import { SERVER_V8_FLAGS } from "../deploy/compile.ts";
import {
  freePort,
  rssKb,
  sampleTree,
  serveArgs,
  spawn,
  startBenchPostgres,
  type Started,
} from "./_proc.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const mb = (kb: number) => kb / 1024;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One mode's figures, MiB of the main process unless named tree. */
export interface ModeMemory {
  /** Peak RSS of the whole tree from spawn to ready (first start on an empty database). */
  firstStartPeakTreeMb: number;
  /** Peak RSS of the main process alone over the same time. */
  firstStartPeakMainMb: number;
  readyMs: number;
  idleMb: number;
  afterLoadMb: number;
  /** Requests answered 200 out of those sent, and how long they took. */
  requests: { ok: number; sent: number; seconds: number };
  afterIdleWindowMb: number;
  /** A second start on the same database: main process idle. */
  secondStartIdleMb: number;
  /** /proc/<pid>/smaps_rollup of the main process after the idle window, MiB. */
  anonMb: number;
  fileMb: number;
}

/** The part's result. */
export interface MemoryResult {
  requests: number;
  windowS: number;
  embedded: ModeMemory;
  /** Embedded with `PICLOUD_MEMORY_PROFILE=large`: the database in a thread of its own. */
  embeddedLarge: ModeMemory;
  /** Embedded, without the server's V8 flags (`SERVER_V8_FLAGS`): the untuned process. */
  embeddedUntuned: ModeMemory;
  postgres: ModeMemory;
  /** Bare processes, idle RSS MiB: `deno` alone; PGlite opened like the embedded database. */
  bareDenoMb: number;
  barePgliteMb: number;
}

function smapsRollup(pid: number): { anonMb: number; fileMb: number } {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
    return { anonMb: mb(kb("Anonymous")), fileMb: mb(kb("Rss") - kb("Anonymous")) };
  } catch {
    return { anonMb: NaN, fileMb: NaN };
  }
}

/** Sends `total` requests to `GET /` (Host: localhost), 16 at a time, within `limitMs`. */
async function load(port: number, total: number, limitMs: number) {
  const t0 = performance.now();
  let sent = 0, ok = 0;
  const lane = async () => {
    while (sent < total && performance.now() - t0 < limitMs) {
      sent++;
      try {
        const r = await request(port, { host: "localhost", path: "/", timeoutMs: 10_000 });
        if (r.status === 200) ok++;
      } catch { /* counted as not ok */ }
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return { ok, sent, seconds: (performance.now() - t0) / 1000 };
}

/** Starts `main.ts serve`, sampling RSS every 25 ms until it is ready; the server keeps running. */
async function startServer(
  name: string,
  mode: { env: Record<string, string>; v8Flags: string },
  onStart: (s: Started) => void,
) {
  const port = freePort(), consolePort = freePort();
  const server = spawn(name, Deno.execPath(), {
    args: serveArgs(mode.v8Flags),
    cwd: ROOT,
    env: {
      ...mode.env,
      PORT: String(port),
      PICLOUD_CONSOLE_PORT: String(consolePort),
      HOSTNAME: "127.0.0.1",
    },
  });
  onStart(server);
  let peakTree = 0, peakMain = 0;
  const sampler = setInterval(() => {
    const s = sampleTree(server.pid);
    peakTree = Math.max(peakTree, s.rssKb);
    peakMain = Math.max(peakMain, s.rootRssKb);
  }, 25);
  try {
    const readyMs = await waitReady(server, consolePort, {
      host: "localhost",
      path: "/api/v1/health",
      timeoutMs: 120_000,
    });
    return { server, port, readyMs, peakTreeMb: mb(peakTree), peakMainMb: mb(peakMain) };
  } finally {
    clearInterval(sampler);
  }
}

/** Idle RSS of a bare process (`bench/_memory_probe.ts`) once it printed `ready`. */
async function bareRss(mode: "deno" | "pglite", dir: string): Promise<number> {
  const p = spawn(`bare ${mode}`, Deno.execPath(), {
    args: ["run", "-A", `--v8-flags=${SERVER_V8_FLAGS}`, "bench/_memory_probe.ts", mode, dir],
    cwd: ROOT,
  });
  try {
    for (let i = 0; i < 600 && !p.tail().includes("ready"); i++) await pause(50);
    if (!p.tail().includes("ready")) throw new Error(`bare ${mode} not ready:\n${p.tail()}`);
    await pause(1_000);
    return mb(rssKb(p.pid));
  } finally {
    await p.stop(2_000);
  }
}

/** Runs both modes' servers (embedded on a fresh temp data dir, PostgreSQL via .ci/pg.sh). */
export async function measureMemory(
  tmpDir: string,
  opts: {
    requests: number;
    windowS: number;
    onStart(s: Started): void;
    onCleanup(fn: () => Promise<void>): void;
  },
): Promise<MemoryResult> {
  const dataDir = await Deno.makeTempDir({ dir: tmpDir, prefix: "memory-embedded-" });
  const pg = await startBenchPostgres("pg", "picloud_memory", opts.onCleanup);
  const running: Started[] = [];
  try {
    // As `deno task start` runs the server (SERVER_V8_FLAGS), and the embedded one without.
    const modes = {
      embedded: { env: { PICLOUD_DATA_DIR: dataDir }, v8Flags: SERVER_V8_FLAGS },
      embeddedLarge: {
        env: {
          PICLOUD_DATA_DIR: await Deno.makeTempDir({ dir: tmpDir, prefix: "memory-large-" }),
          PICLOUD_MEMORY_PROFILE: "large",
        },
        v8Flags: SERVER_V8_FLAGS,
      },
      embeddedUntuned: {
        env: {
          PICLOUD_DATA_DIR: await Deno.makeTempDir({ dir: tmpDir, prefix: "memory-untuned-" }),
        },
        v8Flags: "",
      },
      postgres: {
        env: {
          DATABASE_URL: pg.url,
          PICLOUD_DATA_DIR: await Deno.makeTempDir({ dir: tmpDir, prefix: "memory-pg-" }),
        },
        v8Flags: SERVER_V8_FLAGS,
      },
    };
    const out: Partial<Record<keyof typeof modes, ModeMemory>> = {};
    const live: { mode: keyof typeof modes; server: Started; m: Partial<ModeMemory> }[] = [];
    // Starts one after the other (clean peaks), loaded one after the other, then one shared window.
    for (const mode of ["embedded", "embeddedLarge", "embeddedUntuned", "postgres"] as const) {
      console.error(`  memory: ${mode} first start …`);
      const s = await startServer(`PiCloud (${mode})`, modes[mode], opts.onStart);
      running.push(s.server);
      await pause(3_000);
      const m: Partial<ModeMemory> = {
        firstStartPeakTreeMb: s.peakTreeMb,
        firstStartPeakMainMb: s.peakMainMb,
        readyMs: s.readyMs,
        idleMb: mb(rssKb(s.server.pid)),
      };
      console.error(`  memory: ${mode} ${opts.requests} requests …`);
      m.requests = await load(s.port, opts.requests, 120_000);
      await pause(1_000);
      m.afterLoadMb = mb(rssKb(s.server.pid));
      live.push({ mode, server: s.server, m });
    }
    console.error(`  memory: idle window ${opts.windowS} s …`);
    await pause(opts.windowS * 1000);
    for (const { mode, server, m } of live) {
      m.afterIdleWindowMb = mb(rssKb(server.pid));
      Object.assign(m, smapsRollup(server.pid));
      await server.stop();
      console.error(`  memory: ${mode} second start …`);
      const again = await startServer(`PiCloud (${mode}, again)`, modes[mode], opts.onStart);
      running.push(again.server);
      await pause(3_000);
      m.secondStartIdleMb = mb(rssKb(again.server.pid));
      await again.server.stop();
      out[mode] = m as ModeMemory;
    }
    const bareDenoMb = await bareRss("deno", tmpDir);
    const bareDir = await Deno.makeTempDir({ dir: tmpDir, prefix: "memory-bare-" });
    const barePgliteMb = await bareRss("pglite", bareDir);
    return {
      requests: opts.requests,
      windowS: opts.windowS,
      embedded: out.embedded!,
      embeddedLarge: out.embeddedLarge!,
      embeddedUntuned: out.embeddedUntuned!,
      postgres: out.postgres!,
      bareDenoMb,
      barePgliteMb,
    };
  } finally {
    await Promise.all(running.map((s) => s.stop()));
    await pg.stop();
  }
}

/** DESIGN-style targets of issue 14 (embedded mode on a small Raspberry Pi). */
export const MEMORY_TARGETS = { embeddedIdleMb: 150, firstStartPeakMb: 300 };

const f = (n: number) => Number.isFinite(n) ? n.toFixed(0) : "n/a";

/** The part's tables: the modes side by side, then the breakdown of the embedded main process. */
export function formatMemory(r: MemoryResult): string[] {
  const e = r.embedded, p = r.postgres;
  const cols = [e, r.embeddedLarge, r.embeddedUntuned, p];
  const row = (label: string, cell: (m: ModeMemory) => string) =>
    `| ${label} | ${cols.map(cell).join(" | ")} |`;
  return [
    `Memory, main process RSS MB (${r.requests} requests to GET /, idle window ${r.windowS} s):`,
    "",
    "| | embedded | embedded, large profile | embedded, no server V8 flags | PostgreSQL |",
    "| --- | --- | --- | --- | --- |",
    row(
      "first start peak, tree (main)",
      (m) => `${f(m.firstStartPeakTreeMb)} (${f(m.firstStartPeakMainMb)})`,
    ),
    row("ready after, ms", (m) => f(m.readyMs)),
    row("idle after start", (m) => f(m.idleMb)),
    row(
      "after the requests (200s / sent, s)",
      (m) =>
        `${f(m.afterLoadMb)} (${m.requests.ok}/${m.requests.sent}, ${
          m.requests.seconds.toFixed(1)
        })`,
    ),
    row(`after ${r.windowS} s idle`, (m) => f(m.afterIdleWindowMb)),
    row("anonymous / file-backed then", (m) => `${f(m.anonMb)} / ${f(m.fileMb)}`),
    row("second start, idle", (m) => f(m.secondStartIdleMb)),
    "",
    "Where the embedded main process's memory goes (idle after the window, MB):",
    "",
    "| part | MB | how it is measured |",
    "| --- | --- | --- |",
    `| deno runtime | ${f(r.bareDenoMb)} | a bare \`deno run\` waiting |`,
    `| PiCloud's code, servers, executor pool | ${
      f(p.afterIdleWindowMb - r.bareDenoMb)
    } | PostgreSQL-mode main process − bare deno |`,
    `| embedded database, on the main thread | ${
      f(e.afterIdleWindowMb - p.afterIdleWindowMb)
    } | embedded main − PostgreSQL-mode main |`,
    `| the database's own thread (large profile) | ${
      f(r.embeddedLarge.afterIdleWindowMb - e.afterIdleWindowMb)
    } | large-profile main − embedded main |`,
    `| PGlite alone, in a bare process (server V8 flags) | ${
      f(r.barePgliteMb - r.bareDenoMb)
    } | bare PGlite process (same settings, 1,000 queries) − bare deno |`,
    `| file-backed (the deno binary, shared, reclaimable) | ${
      f(e.fileMb)
    } | smaps_rollup Rss − Anonymous |`,
  ];
}

/** The part's target checks: [target, pass, measured]. */
export function memoryChecks(r: MemoryResult | null): [string, boolean | null, string][] {
  const e = r?.embedded;
  const idle = e ? Math.max(e.idleMb, e.afterIdleWindowMb) : NaN;
  return [
    [
      `embedded main process idle RSS ≤ ${MEMORY_TARGETS.embeddedIdleMb} MB`,
      e ? idle <= MEMORY_TARGETS.embeddedIdleMb : null,
      e ? `${f(e.idleMb)} MB after start, ${f(e.afterIdleWindowMb)} MB after the window` : "n/a",
    ],
    [
      `embedded first-start peak ≤ ${MEMORY_TARGETS.firstStartPeakMb} MB (process tree)`,
      e ? e.firstStartPeakTreeMb <= MEMORY_TARGETS.firstStartPeakMb : null,
      e ? `${f(e.firstStartPeakTreeMb)} MB` : "n/a",
    ],
  ];
}
