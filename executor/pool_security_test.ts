/** @module Regression tests of the pool's admission: busy executors are never evicted, overflow waits or answers 503 capacity. */

import assert from "node:assert/strict";
import type { ExecutorPool, ExecutorPoolOptions } from "./mod.ts";
import type { Invocation, ScriptRef } from "./types.ts";
import { opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

/** Waits `?ms=` milliseconds, then answers with its app id; `scheduled` does nothing. */
const SLOW = `export default {
  async fetch(req, ctx) {
    const ms = Number(new URL(req.url).searchParams.get("ms") ?? "0");
    await new Promise((resolve) => setTimeout(resolve, ms));
    return new Response(ctx.app.id);
  },
  scheduled() {},
};`;

/** A pool that counts executor starts through its log callback. */
function countingPool(
  over: Partial<ExecutorPoolOptions>,
): { pool: ExecutorPool; starts: () => number } {
  let starts = 0;
  const pool = testPool({
    minResidencyMs: 60_000,
    ...over,
    log: (_level, msg) => {
      if (msg === "Executor started") starts++;
    },
  });
  return { pool, starts: () => starts };
}

function app(id: string, over: Partial<ScriptRef> = {}): ScriptRef {
  return script(id, SLOW, over);
}

function call(pool: ExecutorPool, s: ScriptRef, ms: number): Promise<Invocation> {
  return pool.fetch(s, new Request(`http://app.test/?ms=${ms}`), opts());
}

async function summary(inv: Invocation): Promise<{ status: number; code?: string; text: string }> {
  const text = await inv.response.text();
  if (inv.response.status < 300) return { status: inv.response.status, text };
  return { status: inv.response.status, code: JSON.parse(text).error?.code, text };
}

/** Polls (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function inFlightOf(pool: ExecutorPool, appId: string): number {
  return pool.stats().find((s) => s.appId === appId)?.inFlight ?? 0;
}

Deno.test("break 3 - starting or reserved executors are never evicted when more apps than maxExecutors arrive at once", async () => {
  const { pool, starts } = countingPool({ maxExecutors: 2, maxQueue: 64 });
  try {
    const apps = ["burst-1", "burst-2", "burst-3", "burst-4"].map((id) => app(id));
    // All at once: every executor is still starting (chosen, not yet invoked) when the next app
    // needs room. Fetch and scheduled invocations share the path.
    const runs = apps.flatMap((s) => [
      ...[0, 1, 2, 3].map(() => call(pool, s, 50)),
      pool.scheduled(s, { cron: "* * * * *", scheduledTime: 1 }, opts()),
    ]);
    const results = await Promise.all(runs.map(async (r) => summary(await r)));
    const failed = results.filter((r) => r.status !== 200 && r.status !== 204);
    assert.deepEqual(failed, []);
    // Each app's requests share one start: no executor was started twice.
    assert.equal(starts(), apps.length);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - executors with work in flight are not evicted and the cap is never exceeded", async () => {
  const { pool, starts } = countingPool({ maxExecutors: 2 });
  try {
    const a = call(pool, app("busy-a"), 600);
    const b = call(pool, app("busy-b"), 600);
    await until(() => inFlightOf(pool, "busy-a") > 0 && inFlightOf(pool, "busy-b") > 0, "a, b");
    let most = pool.stats().length;
    const c = call(pool, app("busy-c"), 0);
    let done = false;
    c.finally(() => done = true);
    while (!done) {
      most = Math.max(most, pool.stats().length);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(most <= 2, `${most} executors were live with maxExecutors 2`);
    for (const inv of await Promise.all([a, b, c])) {
      assert.equal((await summary(inv)).status, 200);
    }
    assert.equal(starts(), 3);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - queue overflow answers 503 capacity with Retry-After; the queued request is served", async (t) => {
  const { pool } = countingPool({ maxExecutors: 1, maxQueue: 2 });
  try {
    const a = call(pool, app("ovf-a"), 800);
    await until(() => inFlightOf(pool, "ovf-a") > 0, "a in flight");
    const b = call(pool, app("ovf-b"), 0);
    await t.step("one app cannot take the whole queue", async () => {
      const b2 = await call(pool, app("ovf-b"), 0);
      assert.equal(b2.response.status, 503);
      assert.equal((await b2.response.json()).error.code, "capacity");
    });
    const c = call(pool, app("ovf-c"), 0);
    await t.step("a full queue refuses at once", async () => {
      const d = await call(pool, app("ovf-d"), 0);
      assert.equal(d.response.status, 503);
      assert.ok(d.response.headers.get("retry-after"));
      const { error } = await d.response.json();
      assert.equal(error.code, "capacity");
      assert.equal(error.details.reason, "queue_full");
      assert.equal(error.details.max_executors, 1);
      assert.equal(error.details.max_queue, 2);
      assert.equal(error.details.queue_length, 2);
      assert.equal(d.outcome.kind, "capacity");
    });
    await t.step("queued requests are served once a slot frees", async () => {
      assert.equal(pool.queueWaits().waiting, 2);
      for (const inv of await Promise.all([a, b, c])) {
        assert.equal((await summary(inv)).status, 200);
      }
      // Both queued requests were admitted after waiting (for a's 800 ms, at least b did).
      const waits = pool.queueWaits();
      assert.equal(waits.count, 2);
      assert.equal(waits.waiting, 0);
      assert.equal(waits.counts.reduce((x, y) => x + y, 0), 2);
      assert.ok(waits.sumS > 0.3, `waited ${waits.sumS} s in all`);
    });
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - a request waits at most the queue timeout or its own timeout, then 503 capacity", async (t) => {
  const { pool } = countingPool({ maxExecutors: 1, queueTimeoutMs: 150 });
  try {
    const a = call(pool, app("wait-a"), 1_500);
    await until(() => inFlightOf(pool, "wait-a") > 0, "a in flight");
    await t.step("queue timeout", async () => {
      const b = await call(pool, app("wait-b"), 0);
      assert.equal(b.response.status, 503);
      assert.ok(b.response.headers.get("retry-after"));
      const { error } = await b.response.json();
      assert.equal(error.code, "capacity");
      assert.equal(error.details.reason, "queue_timeout");
      assert.equal(typeof error.details.waited_ms, "number");
    });
    await t.step("the script's own shorter timeout", async () => {
      const quick = app("wait-c", { limits: { ...TEST_LIMITS, timeoutMs: 50 } });
      const c = await call(pool, quick, 0);
      assert.equal(c.response.status, 503);
      assert.equal((await c.response.json()).error.code, "capacity");
    });
    assert.equal((await summary(await a)).status, 200);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - waiters are served first come first served; within its turn an app with an executor never waits", async () => {
  const { pool } = countingPool({ maxExecutors: 1, minResidencyMs: 60_000 });
  try {
    const order: string[] = [];
    const track = (name: string, p: Promise<Invocation>) =>
      p.then(async (inv) => {
        order.push(name);
        return await summary(inv);
      });
    const a = track("a", call(pool, app("fifo-a"), 600));
    await until(() => inFlightOf(pool, "fifo-a") > 0, "a in flight");
    const b = track("b", call(pool, app("fifo-b"), 200));
    await new Promise((r) => setTimeout(r, 20));
    const c = track("c", call(pool, app("fifo-c"), 0));
    // fifo-a holds the only executor, within its turn: its next request joins it instead of
    // queueing behind b and c.
    const a2 = track("a2", call(pool, app("fifo-a"), 0));
    const all = await Promise.all([a, b, c, a2]);
    assert.deepEqual(all.map((r) => r.status), [200, 200, 200, 200]);
    assert.deepEqual(order, ["a2", "a", "b", "c"]);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - executor starts stay bounded under repeated overcommitted bursts", async () => {
  const { pool, starts } = countingPool({ maxExecutors: 2, maxQueue: 64 });
  try {
    const apps = ["wave-1", "wave-2", "wave-3"].map((id) => app(id));
    const waves = 3;
    for (let wave = 0; wave < waves; wave++) {
      const runs = apps.flatMap((s) => [0, 1, 2, 3, 4, 5].map(() => call(pool, s, 30)));
      const results = await Promise.all(runs.map(async (r) => summary(await r)));
      assert.deepEqual(results.filter((r) => r.status !== 200), []);
    }
    // At most one start per app per wave: each start serves all of that app's waiting requests.
    assert.ok(starts() <= apps.length * waves, `${starts()} starts`);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - past its turn, an app's new requests queue behind waiting apps: no starvation under steady load", async () => {
  // Turns of 0 ms: as soon as another app waits, the busy app stops taking new requests.
  const { pool } = countingPool({ maxExecutors: 1, minResidencyMs: 0, queueTimeoutMs: 20_000 });
  try {
    const order: string[] = [];
    const track = (name: string, p: Promise<Invocation>) =>
      p.then(async (inv) => {
        order.push(name);
        return (await summary(inv)).status;
      });
    // A long request keeps steady-a's executor busy: it never goes idle by itself meanwhile.
    const long = track("a-long", call(pool, app("steady-a"), 800));
    await until(() => inFlightOf(pool, "steady-a") > 0, "a in flight");
    const b = track("b", call(pool, app("steady-b"), 0));
    await new Promise((r) => setTimeout(r, 100));
    // Without turns, this would join the busy executor at once and b would wait behind every
    // request of a for as long as a's load lasts.
    const next = track("a-next", call(pool, app("steady-a"), 0));
    assert.deepEqual(await Promise.all([long, b, next]), [200, 200, 200]);
    assert.deepEqual(order, ["a-long", "b", "a-next"]);
  } finally {
    await pool.close();
  }
});

Deno.test("break 3 - per-request work does not grow with the size of a script's vars", async () => {
  const { pool } = countingPool({});
  try {
    // One vars object per routing snapshot row, reused by every request of the script: count
    // how often its (large) contents are read.
    let reads = 0;
    const env: Record<string, string> = {};
    for (let i = 0; i < 200; i++) {
      Object.defineProperty(env, `VAR_${i}`, {
        enumerable: true,
        get: () => {
          reads++;
          return "x".repeat(100);
        },
      });
    }
    const s = app("env-size", { env });
    const first = await call(pool, s, 0);
    assert.equal((await summary(first)).status, 200);
    const afterFirst = reads;
    for (let i = 0; i < 5; i++) {
      const inv = await call(pool, { ...s }, 0);
      assert.equal((await summary(inv)).status, 200);
    }
    assert.equal(reads, afterFirst);
  } finally {
    await pool.close();
  }
});
