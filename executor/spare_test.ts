/** @module Tests of the pool's spare executor against real child processes: armed, frozen, adopted, refused, re-armed, closed. */

import assert from "node:assert/strict";
import type { ExecutorPool, ExecutorPoolOptions } from "./mod.ts";
import { fixture, get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

/** The process state letter from /proc/<pid>/stat (`T` stopped), or null once gone or reaped. */
function procState(pid: number): string | null {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[0];
    return state === "Z" ? null : state;
  } catch {
    return null;
  }
}

/** Polls (bounded: 400 × 25 ms) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A pool that records the pid of every spare it starts and of every executor bound to an app. */
function sparePool(over: Partial<ExecutorPoolOptions> = {}) {
  const spares: number[] = [];
  const started: { appId: string; pid: number; spare: boolean }[] = [];
  const pool = testPool({
    maxExecutors: 4,
    ...over,
    log: (_level, msg, fields) => {
      if (msg === "Spare executor started") spares.push(fields?.pid as number);
      if (msg === "Executor started") {
        started.push({
          appId: fields?.appId as string,
          pid: fields?.pid as number,
          spare: fields?.spare === true,
        });
      }
    },
  });
  return { pool, spares, started };
}

async function hello(pool: ExecutorPool, appId: string, over = {}): Promise<number> {
  const inv = await pool.fetch(script(appId, fixture("hello.js"), over), get(), opts());
  assert.equal(inv.response.status, 200, await inv.response.clone().text());
  assert.equal((await inv.response.json()).app.id, appId);
  return pool.stats().find((s) => s.appId === appId)!.pid;
}

Deno.test("spare executor - armed after the first use, frozen while idle, serves the next new app, then re-armed", async (t) => {
  const { pool, spares, started } = sparePool();
  try {
    assert.deepEqual(spares, [], "no process before the first use");
    const first = await hello(pool, "spare-a");
    await until(() => spares.length === 1, "a spare after the first use");
    const spare = spares[0];
    assert.notEqual(spare, first);
    await t.step("the waiting spare is frozen (SIGSTOP) and absent from stats", async () => {
      await until(() => procState(spare) === "T", "the spare frozen");
      assert.deepEqual(pool.stats().map((s) => s.appId), ["spare-a"]);
    });
    await t.step("a new app is served by the spare's process, bound to the app", async () => {
      assert.equal(await hello(pool, "spare-b"), spare);
      assert.deepEqual(started.map((s) => [s.appId, s.spare]), [
        ["spare-a", false],
        ["spare-b", true],
      ]);
      // A warm second request still runs there.
      assert.equal(await hello(pool, "spare-b"), spare);
    });
    await t.step("a replacement spare appears later, and is frozen", async () => {
      await until(() => spares.length === 2, "a replacement spare");
      assert.ok(!spares.slice(0, 1).includes(spares[1]) && spares[1] !== first);
      await until(() => procState(spares[1]) === "T", "the replacement frozen");
    });
    await t.step("stopApp() of the adopting app ends its process, not the spare", async () => {
      await pool.stopApp("spare-b");
      assert.equal(procState(spare), null);
      assert.equal(procState(spares[1]), "T");
    });
  } finally {
    await pool.close();
  }
  for (const pid of spares) assert.equal(procState(pid), null, `spare ${pid} left after close()`);
  assert.equal(spares.length, 2);
});

Deno.test("spare executor - an app needing outbound hosts or more memory does not take it", async () => {
  const { pool, spares, started } = sparePool({ spareMemoryLimitMb: 160 });
  try {
    await hello(pool, "fit-a");
    await until(() => spares.length === 1 && procState(spares[0]) === "T", "a frozen spare");
    const spare = spares[0];
    const net = await hello(pool, "fit-net", { netAllow: ["example.com"] });
    const big = await hello(pool, "fit-big", {
      limits: { ...TEST_LIMITS, memoryLimitMb: 192 },
    });
    assert.notEqual(net, spare);
    assert.notEqual(big, spare);
    assert.equal(procState(spare), "T", "the spare stayed frozen and unused");
    // A script within the spare's limit takes it, with its own (lower) memory limit.
    assert.equal(await hello(pool, "fit-small"), spare);
    assert.deepEqual(started.map((s) => s.spare), [false, false, false, true]);
  } finally {
    await pool.close();
  }
  for (const pid of spares) assert.equal(procState(pid), null);
});

Deno.test("spare executor - off with spareExecutor false and with maxExecutors 1", async (t) => {
  for (const over of [{ spareExecutor: false }, { maxExecutors: 1 }]) {
    await t.step(JSON.stringify(over), async () => {
      const { pool, spares } = sparePool(over);
      try {
        const pid = await hello(pool, "off-a");
        // Frozen takes ≥ 200 ms of quiet after connecting, well past the 50 ms spare delay.
        await until(() => procState(pid) === "T", "the app's executor frozen");
        assert.deepEqual(spares, []);
      } finally {
        await pool.close();
      }
    });
  }
});

Deno.test("spare executor - not counted for admission, re-armed only below the cap", async () => {
  const { pool, spares, started } = sparePool({ maxExecutors: 2 });
  try {
    const a = await hello(pool, "cap-a");
    await until(() => spares.length === 1 && procState(spares[0]) === "T", "a frozen spare");
    // The pool holds 3 processes with maxExecutors 2; b is not refused nor made to wait.
    const b = await hello(pool, "cap-b");
    assert.equal(b, spares[0]);
    // At the cap no new spare starts: b's executor goes quiet and is frozen, still one spare.
    await until(() => procState(b) === "T", "b frozen");
    assert.equal(spares.length, 1);
    // A third app evicts the idle executor unused for longest and starts normally.
    const c = await hello(pool, "cap-c");
    assert.deepEqual(started.map((s) => [s.appId, s.spare]), [
      ["cap-a", false],
      ["cap-b", true],
      ["cap-c", false],
    ]);
    assert.equal(procState(a), null, "a was evicted for c");
    await until(() => procState(c) === "T", "c frozen");
    assert.equal(spares.length, 1);
    // A freed slot lets the wanted spare start, with no request needed.
    await pool.stopApp("cap-b");
    await until(() => spares.length === 2, "a spare once a slot freed");
    await until(() => procState(spares[1]) === "T", "the new spare frozen");
  } finally {
    await pool.close();
  }
  for (const pid of spares) assert.equal(procState(pid), null);
});

Deno.test("spare executor - close() leaves no process and no timer, spare pending or started", async (t) => {
  await t.step("spare started", async () => {
    const { pool, spares } = sparePool({ spareDelayMs: 0 });
    const pid = await hello(pool, "close-a");
    await until(() => spares.length === 1, "a spare");
    await pool.close();
    assert.equal(procState(pid), null);
    assert.equal(procState(spares[0]), null);
  });
  await t.step("spare not yet started (its delay pending)", async () => {
    const { pool, spares } = sparePool({ spareDelayMs: 600_000 });
    const pid = await hello(pool, "close-b");
    await pool.close();
    assert.equal(procState(pid), null);
    assert.deepEqual(spares, []);
  });
});
