/** @module Regression tests of executor breaks 8, 10, 11 and 13: limits at all times, bounded background work, no disk, no shared channels. */

import assert from "node:assert/strict";
import { createExecutorPool, type ExecutorPool } from "./mod.ts";
import { readCpuNs } from "./_proc.ts";
import type { BackgroundPolicy } from "./_background.ts";
import { get, opts, script, TEST_LIMITS } from "../testing/executor.ts";

interface LogEntry {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A pool whose log lines are kept, and its socket directory (where executor state lives). */
function loggedPool(
  background?: BackgroundPolicy,
): { pool: ExecutorPool; logs: LogEntry[]; socketDir: string } {
  const logs: LogEntry[] = [];
  const socketDir = Deno.makeTempDirSync({ prefix: "picloud-sec-" });
  const pool = createExecutorPool({
    socketDir,
    background,
    log: (level, msg, fields = {}) => logs.push({ level, msg, fields }),
  });
  return { pool, logs, socketDir };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms, at most `tries` times; true once it held. */
async function eventually(check: () => boolean, tries = 200): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

async function text(pool: ExecutorPool, s: ReturnType<typeof script>, path = "/"): Promise<string> {
  const inv = await pool.fetch(s, get(path), opts());
  return `${inv.response.status} ${await inv.response.text()}`;
}

function pidOf(pool: ExecutorPool, appId: string): number {
  return pool.stats().find((x) => x.appId === appId)?.pid ?? 0;
}

/** Scheduler state of a process (`T` = stopped), or "" once it is gone. */
function procState(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.[0] ?? "";
  } catch {
    return "";
  }
}

/** Whether every thread of `pid` is stopped (SIGSTOP reaches the threads one by one). */
function allThreadsStopped(pid: number): boolean {
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
      if (stat.split(") ")[1]?.[0] !== "T") return false;
    }
    return true;
  } catch {
    return false;
  }
}

const MEMORY_KILL = "Executor over its memory limit; killed";
const CPU_KILL = "Executor over its background CPU budget; killed";

/** Touches `mb` MiB of off-heap memory (not bounded by any V8 heap limit). */
const ALLOCATE = (mb: number) =>
  `globalThis.keep = []; for (let i = 0; i < ${
    mb / 8
  }; i++) { const b = new Uint8Array(8 << 20); b.fill(7); globalThis.keep.push(b); }`;

Deno.test("break 8 - memory over the limit after the response kills the executor", async (t) => {
  const { pool, logs } = loggedPool();
  try {
    await t.step("allocation in a timer right after answering", async () => {
      const s = script(
        "app-mem-after",
        `export default { fetch() { setTimeout(() => { ${
          ALLOCATE(512)
        } }, 20); return new Response("answered"); } }`,
      );
      assert.equal(await text(pool, s), "200 answered");
      assert.ok(await eventually(() => logs.some((l) => l.msg === MEMORY_KILL)), "no memory kill");
      const kill = logs.find((l) => l.msg === MEMORY_KILL)!;
      assert.equal(kill.fields.appId, "app-mem-after");
      assert.equal(kill.fields.limitMb, TEST_LIMITS.memoryLimitMb);
      assert.ok((kill.fields.usedMb as number) > TEST_LIMITS.memoryLimitMb);
    });
    await t.step("allocation long after, once the executor went quiet and was frozen", async () => {
      const appId = "app-mem-late";
      const late = script(
        appId,
        `export default { fetch() { setTimeout(() => { ${
          ALLOCATE(512)
        } }, 1500); return new Response("answered"); } }`,
      );
      const other = script(appId, `export default { fetch: () => new Response("other") }`);
      assert.equal(await text(pool, late), "200 answered");
      const pid = pidOf(pool, appId);
      assert.ok(await eventually(() => procState(pid) === "T"), "executor was not frozen");
      // Frozen: the timer cannot fire, nothing can be allocated, whatever the wall time.
      await sleep(1_600);
      assert.equal(procState(pid), "T");
      assert.equal(
        logs.filter((l) => l.fields.appId === appId).some((l) => l.msg === MEMORY_KILL),
        false,
      );
      // The next frame resumes it; the overdue allocation runs at once and is caught. The
      // resuming request itself may be answered first or fail with the executor (a race).
      const resumed = await text(pool, other);
      assert.ok(
        resumed === "200 other" || resumed.startsWith('503 {"error":{"code":"memory_limit"'),
        resumed,
      );
      assert.ok(
        await eventually(() => logs.some((l) => l.msg === MEMORY_KILL && l.fields.appId === appId)),
        "late allocation not killed",
      );
      assert.ok(await eventually(() => procState(pid) === ""), "executor still alive");
    });
  } finally {
    await pool.close();
  }
});

/** A small budget and refill, so a starved spinner on a loaded machine still runs out of it. */
const TIGHT: BackgroundPolicy = { budgetCpuMs: 300, refillShare: 0.01 };

Deno.test("break 10 - a spin after the response is stopped within the budget and named in the log", async (t) => {
  const { pool, logs } = loggedPool(TIGHT);
  try {
    for (
      const [name, body] of [
        ["timer", `setTimeout(() => { for (;;) {} }, 10);`],
        ["after completed", `ctx.completed.then(() => { for (;;) {} });`],
        [
          "in waitUntil",
          `ctx.waitUntil(new Promise(() => setTimeout(() => { for (;;) {} }, 10)));`,
        ],
        [
          "interval",
          `setInterval(() => { const end = Date.now() + 80; while (Date.now() < end) {} }, 100);`,
        ],
      ]
    ) {
      await t.step(name, async () => {
        const appId = `app-spin-${name.replaceAll(" ", "-")}`;
        const s = script(
          appId,
          `export default { fetch(req, ctx) { ${body} return new Response("ok"); } }`,
        );
        assert.equal(await text(pool, s), "200 ok");
        const named = () => logs.find((l) => l.msg === CPU_KILL && l.fields.appId === appId);
        const paused = () => procState(pidOf(pool, appId)) === "T";
        assert.ok(
          await eventually(() => named() !== undefined || paused(), 400),
          "spinning executor neither stopped nor paused",
        );
        if (!named()) {
          // On a loaded machine the executor can look quiet and be paused before the spin gets
          // a core: paused, it burns nothing. The next request resumes it, and the spin is
          // stopped then (that request may fail with it).
          const poke = script(appId, `export default { fetch: () => new Response("poke") }`);
          await text(pool, poke);
          assert.ok(await eventually(() => named() !== undefined, 400), "spin not stopped");
        }
        const scripts = named()!.fields.scripts as { versionId: string; cpuMs: number }[];
        assert.equal(scripts[0].versionId, s.versionId);
        // The app answers again from a fresh executor.
        const again = script(appId, `export default { fetch: () => new Response("fresh") }`);
        assert.ok(
          await eventually(() => pidOf(pool, appId) === 0 || procState(pidOf(pool, appId)) === ""),
        );
        assert.equal(await text(pool, again), "200 fresh");
      });
    }
  } finally {
    await pool.close();
  }
});

Deno.test("break 10 - a spin inside waitUntil while another script of the app gets steady traffic", async () => {
  // A small refill: on a loaded machine the spinning thread may get less CPU than the default
  // 10 % of a core refills, and would then never run out of budget.
  const { pool, logs } = loggedPool(TIGHT);
  const appId = "app-waituntil";
  try {
    const spinner = script(
      appId,
      `export default { fetch(req, ctx) {
        ctx.waitUntil(new Promise((resolve) => setTimeout(() => { for (;;) {} }, 10)));
        return new Response("spinning");
      } }`,
    );
    const busy = script(appId, `export default { fetch: () => new Response("busy") }`);
    assert.equal(await text(pool, busy), "200 busy");
    assert.equal(await text(pool, spinner), "200 spinning");
    // Steady traffic to the other script keeps something in flight all the time: bounded loop.
    const killed = () => logs.find((l) => l.msg === CPU_KILL && l.fields.appId === appId);
    const until = Date.now() + 60_000;
    for (let i = 0; i < 50_000 && !killed() && Date.now() < until; i++) {
      const inv = await pool.fetch(busy, get(), opts());
      await inv.response.body?.cancel();
      if (i % 20 === 19) await sleep(5); // steady, not saturating: the spinner gets a core too
    }
    assert.ok(killed(), "background spin hidden by steady traffic");
    const scripts = killed()!.fields.scripts as { versionId: string }[];
    assert.equal(scripts[0].versionId, spinner.versionId);
    assert.equal(scripts.some((x) => x.versionId === busy.versionId), false);
  } finally {
    await pool.close();
  }
});

Deno.test("break 10 - an idle executor is frozen, uses no CPU and answers the next request", async () => {
  const { pool } = loggedPool();
  const appId = "app-idle";
  try {
    const s = script(appId, `export default { fetch: () => new Response("hi") }`);
    assert.equal(await text(pool, s), "200 hi");
    const pid = pidOf(pool, appId);
    assert.ok(await eventually(() => procState(pid) === "T"), "idle executor was not frozen");
    // The process reads as stopped once its main thread is; the others stop a moment later.
    assert.ok(await eventually(() => allThreadsStopped(pid)), "not every thread stopped");
    const before = readCpuNs(pid);
    await sleep(500);
    assert.equal(readCpuNs(pid) - before, 0);
    for (let i = 0; i < 3; i++) assert.equal(await text(pool, s), "200 hi");
    assert.equal(pidOf(pool, appId), pid);
    // Stopping a frozen executor still works (SIGKILL reaches a stopped process).
    assert.ok(await eventually(() => procState(pid) === "T"));
    await pool.stopApp(appId);
    assert.equal(procState(pid), "");
  } finally {
    await pool.close();
  }
});

Deno.test("break 11 - nothing a script does is stored outside its executor's own directory, removed with it", async (t) => {
  const { pool, socketDir } = loggedPool();
  const appId = "app-disk";
  const s = script(
    appId,
    `export default { async fetch(req) {
      const op = new URL(req.url).searchParams.get("op");
      const tries = {
        data: async () => {
          for (let i = 0; i < 50; i++) {
            const src = "export const x: number = " + i + "; // " + crypto.randomUUID() + "y".repeat(5000);
            await import("data:application/typescript;base64," + btoa(src));
          }
          return "imported";
        },
        caches: async () => { await caches.open("c"); return "opened"; },
        nested: async () => {
          const { Worker } = await import("node:worker_threads");
          const w = new Worker("caches.open('c').then((c) => c.put('http://k/', new Response('x'.repeat(1e6))))", { eval: true });
          return "spawned";
        },
        blob: async () => {
          const u = URL.createObjectURL(new Blob(["export const y: number = 1;"], { type: "application/typescript" }));
          return String((await import(u)).y);
        },
      };
      try { return new Response(await tries[op]()); } catch (e) { return new Response("blocked " + e.name); }
    } }`,
  );
  try {
    // The app's own directory: a spare executor (started after the first use) has another one.
    let root = "";
    await t.step("the executor's Deno cache is its own, under the given directory", async () => {
      // \`caches\` is PiCloud's in-memory one (\`_loader_cache.ts\`): it opens, and nothing of it is
      // stored on disk (\`location_data\` stays empty, below).
      assert.equal(await text(pool, s, "/?op=caches"), "200 opened");
      const environ = Deno.readTextFileSync(`/proc/${pidOf(pool, appId)}/environ`).split("\0");
      root = environ.find((e) => e.startsWith("DENO_DIR="))?.slice(9) ?? "";
      assert.ok(root.startsWith(`${socketDir}/deno-`), `DENO_DIR is ${root}`);
    });
    const dir = { name: root.slice(socketDir.length + 1) };
    await t.step("data: module imports run, but nothing is cached", async () => {
      assert.equal(await text(pool, s, "/?op=data"), "200 imported");
      assert.equal(Deno.statSync(`${root}/gen/data`).isFile, true);
      assert.equal(Deno.statSync(`${root}/gen/data`).size, 0);
      for (const db of ["v8_code_cache_v2", "dep_analysis_cache_v2", "node_analysis_cache_v2"]) {
        assert.equal(Deno.statSync(`${root}/${db}`).isDirectory, true);
        assert.deepEqual([...Deno.readDirSync(`${root}/${db}`)], []);
      }
    });
    await t.step("no nested Worker, no blob: module of a script's own making", async () => {
      assert.equal(await text(pool, s, "/?op=nested"), "200 blocked Error");
      assert.equal(await text(pool, s, "/?op=blob"), "200 blocked TypeError");
      assert.equal(Deno.statSync(`${root}/location_data`).size, 0);
    });
    await t.step("stopping the app removes the directory", async () => {
      await pool.stopApp(appId);
      assert.equal([...Deno.readDirSync(socketDir)].some((e) => e.name === dir.name), false);
    });
  } finally {
    await pool.close();
  }
});

/** Every way a script could reach node:worker_threads' shared classes. */
const WORKER_THREADS_ROUTES = `
  const routes = {
    esm: async () => await import("node:worker_threads"),
    builtin: async () => process.getBuiltinModule("node:worker_threads"),
    require: async () => (await import("node:module")).createRequire("file:///x.js")("worker_threads"),
  };`;

Deno.test("break 13 - BroadcastChannel via node:worker_threads", async (t) => {
  const { pool } = loggedPool();
  const appId = "app-bc";
  const listener = script(
    appId,
    `${WORKER_THREADS_ROUTES}
    const heard = [];
    export default { async fetch(req) {
      const route = new URL(req.url).searchParams.get("route");
      if (route === "heard") return new Response(heard.join(",") || "nothing");
      const results = [];
      for (const [name, get] of Object.entries(routes)) {
        try {
          const mod = await get();
          const bc = new mod.BroadcastChannel("leak");
          bc.onmessage = (e) => heard.push(e.data);
          results.push(name + ":open");
        } catch (e) { results.push(name + ":" + (e.code ?? e.name)); }
        try { (await get()).locks.request; results.push(name + ":locks"); } catch { results.push(name + ":nolocks"); }
        try { new (await get()).Worker("1", { eval: true }); results.push(name + ":worker"); } catch (e) { results.push(name + ":" + (e.code ?? e.name)); }
      }
      results.push("navigator.locks:" + typeof navigator.locks);
      return new Response(results.join(" "));
    } }`,
  );
  const sender = script(
    appId,
    `${WORKER_THREADS_ROUTES}
    export default { async fetch() {
      for (const get of Object.values(routes)) {
        try { new (await get()).BroadcastChannel("leak").postMessage("secret"); } catch { /* blocked */ }
      }
      return new Response("sent");
    } }`,
  );
  try {
    await t.step("every route is closed", async () => {
      const got = await text(pool, listener);
      for (const route of ["esm", "builtin", "require"]) {
        assert.ok(got.includes(`${route}:ERR_NOT_AVAILABLE`), got);
        assert.ok(got.includes(`${route}:nolocks`), got);
        assert.equal(got.includes(`${route}:open`) || got.includes(`${route}:worker`), false, got);
      }
      assert.ok(got.includes("navigator.locks:undefined"), got);
    });
    await t.step("another script of the app cannot reach it", async () => {
      assert.equal(await text(pool, sender), "200 sent");
      await sleep(100);
      assert.equal(await text(pool, listener, "/?route=heard"), "200 nothing");
    });
  } finally {
    await pool.close();
  }
});

Deno.test("break 13 - blob URLs are not shared", async () => {
  const { pool } = loggedPool();
  const appId = "app-blob";
  const maker = script(
    appId,
    `export default { async fetch() {
      const made = [];
      const blob = new Blob(["secret-of-maker"]);
      for (const get of [() => URL, async () => (await import("node:url")).URL, async () => globalThis.URL]) {
        try { made.push((await get()).createObjectURL(blob)); } catch { /* blocked */ }
      }
      return Response.json(made);
    } }`,
  );
  const reader = script(
    appId,
    `export default { async fetch(req) {
      const url = new URL(req.url).searchParams.get("url");
      try { return new Response(await (await fetch(url)).text()); } catch { return new Response("unreadable"); }
    } }`,
  );
  try {
    const inv = await pool.fetch(maker, get(), opts());
    const made: string[] = await inv.response.json();
    assert.deepEqual(made, [], `a script minted blob: URLs: ${made}`);
    // Even a guessed URL of the loader's own (revoked right after import) reads nothing.
    assert.equal(
      await text(pool, reader, `/?url=${encodeURIComponent(`blob:null/${crypto.randomUUID()}`)}`),
      "200 unreadable",
    );
  } finally {
    await pool.close();
  }
});

Deno.test("stdio - process.stdout and stderr writes land in the execution log, not the executor's pipes", async () => {
  const { pool } = loggedPool();
  const chatty = script(
    "app-stdio",
    `import process from "node:process";
    export default { fetch() {
      process.stdout.write("to stdout\\n");
      process.stderr.write("to stderr\\n");
      return new Response("ok");
    } }`,
  );
  try {
    const inv = await pool.fetch(chatty, get(), opts());
    assert.equal(await inv.response.text(), "ok");
    assert.deepEqual(inv.logs.map((l) => [l.level, l.message]), [
      ["log", "to stdout"],
      ["error", "to stderr"],
    ]);
  } finally {
    await pool.close();
  }
});

/** The executor's link port, as anyone on the machine could read it from the process list. */
function linkPortOf(pid: number): number {
  const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
  return Number(args[args.indexOf("--link-port") + 1]);
}

/** Connects to the loopback port, sends `bytes`, and says how the other side ended it. */
async function probeLink(port: number, bytes: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timedOut = false;
  // Past the 2 s a connection has to say hello: a connection still open then was let in.
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, 3_500);
  try {
    if (bytes.byteLength > 0) await conn.write(bytes);
    const n = await conn.read(new Uint8Array(1024));
    return n === null ? "closed" : `answered ${n} bytes`;
  } catch (err) {
    return timedOut ? "still open" : `closed (${(err as Error).name})`;
  } finally {
    clearTimeout(timer);
    if (!timedOut) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
}

/** A frame as a Worker's link speaks them: a 16-byte prefix, then the JSON header. */
function helloFrame(token: string): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ t: "hello", token }));
  const out = new Uint8Array(16 + json.byteLength);
  new DataView(out.buffer).setUint32(0, json.byteLength);
  out.set(json, 16);
  return out;
}

Deno.test("link - the Workers' loopback port serves only a Worker's own token, from no one else", async () => {
  const { pool } = loggedPool();
  const appId = "app-link";
  try {
    const hello = script(appId, `export default { fetch: () => new Response("hi") }`);
    assert.equal(await text(pool, hello), "200 hi");
    const pid = pidOf(pool, appId);
    const port = linkPortOf(pid);
    assert.ok(port > 0, "the executor has a link port");
    // From outside: a made-up token, an HTTP request, silence (closed after the hello's time).
    assert.match(await probeLink(port, helloFrame(crypto.randomUUID())), /^closed/);
    assert.match(
      await probeLink(port, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")),
      /^closed/,
    );
    assert.match(await probeLink(port, new Uint8Array()), /^closed/);
    // From a script of the app: the port is reachable (its Worker's link), but not usable, and
    // no other loopback port is.
    const prober = script(
      appId,
      `const hello = ${helloFrame.toString()};
      export default { async fetch(req) {
        const port = Number(new URL(req.url).searchParams.get("port"));
        const out = [];
        try {
          const c = await Deno.connect({ hostname: "127.0.0.1", port });
          await c.write(hello("00000000-0000-4000-8000-000000000000"));
          out.push("link " + (await c.read(new Uint8Array(64)) === null ? "closed" : "answered"));
        } catch (e) { out.push("link " + e.name); }
        try {
          await Deno.connect({ hostname: "127.0.0.1", port: port === 65535 ? 65534 : port + 1 });
          out.push("other connected");
        } catch (e) { out.push("other " + e.name); }
        return new Response(out.join(", "));
      } }`,
    );
    assert.equal(await text(pool, prober, `/?port=${port}`), "200 link closed, other NotCapable");
    // Nothing of that reached the executor: same process, still answering.
    assert.equal(await text(pool, hello), "200 hi");
    assert.equal(pidOf(pool, appId), pid);
  } finally {
    await pool.close();
  }
});
