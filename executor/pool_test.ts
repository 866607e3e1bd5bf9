/** @module Tests of the executor pool's happy paths against real child processes and Workers. */

import assert from "node:assert/strict";
import { fixture, get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

Deno.test("pool.fetch() - hello world reaches the script with ctx", async () => {
  const pool = testPool();
  try {
    const s = script("app-hello", fixture("hello.js"), { env: { GREETING: "hi" } });
    const o = opts({ id: "42" });
    const inv = await pool.fetch(s, get("/users/42?x=1"), o);
    assert.equal(inv.response.status, 200);
    assert.deepEqual(inv.outcome, { kind: "ok" });
    const body = await inv.response.json();
    assert.equal(body.url, "http://app.test/users/42?x=1");
    assert.deepEqual(body.params, { id: "42" });
    assert.deepEqual(body.env, { GREETING: "hi" });
    assert.deepEqual(body.app, { id: "app-hello", slug: "app-hello-slug" });
    assert.equal(body.requestId, o.requestId);
    assert.equal(body.remoteAddr.hostname, "203.0.113.7");
    assert.equal(body.hasCompleted, true);
    assert.deepEqual(inv.logs.map((l) => [l.level, l.message]), [[
      "log",
      "hello from app-hello-slug",
    ]]);
  } finally {
    await pool.close();
  }
});

Deno.test("pool.fetch() - TypeScript source, POST body and per-request async console capture", async () => {
  const pool = testPool();
  try {
    const s = script("app-ts", fixture("typed.ts"));
    const runs = await Promise.all(
      [1, 2, 3, 4].map((n) => {
        const o = opts();
        const req = new Request(`http://app.test/?name=n${n}`, {
          method: "POST",
          body: `body-${n}`,
        });
        return pool.fetch(s, req, o).then((inv) => ({ inv, o, n }));
      }),
    );
    for (const { inv, o, n } of runs) {
      assert.equal(inv.response.status, 200);
      assert.deepEqual(await inv.response.json(), { text: `hi n${n}`, n: 2, echo: `body-${n}` });
      assert.deepEqual(inv.logs.map((l) => [l.level, l.message]), [
        ["log", `start ${o.requestId}`],
        ["warn", `after await ${o.requestId}`],
      ]);
    }
  } finally {
    await pool.close();
  }
});

Deno.test("pool.fetch() - default export forms", async (t) => {
  const pool = testPool();
  try {
    await t.step("a fetch function", async () => {
      const inv = await pool.fetch(
        script("app-forms", fixture("fn_default.js")),
        get("/a"),
        opts(),
      );
      assert.equal(await inv.response.text(), "fn app-forms-slug /a");
    });
    await t.step("a Hono-style object keeps `this`", async () => {
      const inv = await pool.fetch(script("app-forms", fixture("hono_like.js")), get("/b"), opts());
      assert.equal(await inv.response.text(), "hono-like /b app-forms-slug");
    });
    await t.step("no handler is a script_error naming the problem", async () => {
      const inv = await pool.fetch(script("app-forms", fixture("no_handler.js")), get(), opts());
      assert.equal(inv.response.status, 500);
      assert.equal((await inv.response.json()).error.code, "script_error");
      assert.equal(inv.outcome.kind, "rejected");
      assert.match(inv.outcome.kind === "rejected" ? inv.outcome.error : "", /no fetch handler/);
    });
  } finally {
    await pool.close();
  }
});

Deno.test("pool.scheduled() - runs scheduled(controller, env, ctx) and answers 204", async () => {
  const pool = testPool();
  try {
    const s = script("app-cron", fixture("hello.js"));
    const inv = await pool.scheduled(s, { cron: "*/5 * * * *", scheduledTime: 1 }, {
      ...opts(),
      trigger: "cron",
    });
    assert.equal(inv.response.status, 204);
    assert.deepEqual(inv.outcome, { kind: "ok" });
    assert.deepEqual(inv.logs.map((l) => l.message), ["cron */5 * * * * app-cron"]);
    const none = await pool.scheduled(script("app-cron", fixture("typed.ts")), {
      cron: "* * * * *",
      scheduledTime: 2,
    }, opts());
    assert.equal(none.response.status, 500);
    assert.equal(none.outcome.kind, "rejected");
  } finally {
    await pool.close();
  }
});

Deno.test("pool - idle executor is stopped and the app serves again", async () => {
  const pool = testPool({ idleMs: 300 });
  try {
    const s = script("app-idle", fixture("hello.js"));
    assert.equal((await pool.fetch(s, get(), opts())).response.status, 200);
    const [stat] = pool.stats();
    assert.equal(stat.appId, "app-idle");
    assert.equal(stat.loadedVersions, 1);
    for (let i = 0; i < 100 && pool.stats().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(pool.stats().length, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.throws(() => Deno.readTextFileSync(`/proc/${stat.pid}/status`));
    const again = await pool.fetch(s, get(), opts());
    assert.equal(again.response.status, 200);
    await again.response.body?.cancel();
  } finally {
    await pool.close();
  }
});

Deno.test("pool.stopApp() - kills only that app's executor", async () => {
  const pool = testPool();
  try {
    const a = script("app-a", fixture("hello.js"));
    const b = script("app-b", fixture("hello.js"));
    await (await pool.fetch(a, get(), opts())).response.body?.cancel();
    await (await pool.fetch(b, get(), opts())).response.body?.cancel();
    assert.equal(pool.stats().length, 2);
    await pool.stopApp("app-a");
    assert.deepEqual(pool.stats().map((s) => s.appId), ["app-b"]);
  } finally {
    await pool.close();
  }
});

Deno.test("pool - maxExecutors evicts the least recently used idle executor", async () => {
  const pool = testPool({ maxExecutors: 2 });
  try {
    for (const id of ["lru-1", "lru-2", "lru-3"]) {
      const inv = await pool.fetch(script(id, fixture("hello.js")), get(), opts());
      await inv.response.body?.cancel();
    }
    assert.deepEqual(pool.stats().map((s) => s.appId).sort(), ["lru-2", "lru-3"]);
  } finally {
    await pool.close();
  }
});

Deno.test("pool.fetch() - ctx.completed resolves after the response; waitUntil rejections are contained", async () => {
  const pool = testPool();
  try {
    const s = script("app-completed", fixture("completed.js"));
    const first = await pool.fetch(s, get(), opts());
    assert.equal(await first.response.text(), "0");
    const second = await pool.fetch(s, get(), opts());
    assert.equal(await second.response.text(), "1");
  } finally {
    await pool.close();
  }
});

Deno.test("pool - versions beyond maxVersionsPerExecutor are unloaded and reload on demand", async () => {
  const pool = testPool({ maxVersionsPerExecutor: 2 });
  try {
    const versions = [1, 2, 3].map((n) =>
      script("app-versions", `export default { fetch: () => new Response("v${n}") };`)
    );
    for (const [i, v] of versions.entries()) {
      assert.equal(await (await pool.fetch(v, get(), opts())).response.text(), `v${i + 1}`);
    }
    assert.equal(pool.stats()[0].loadedVersions, 2);
    assert.equal(await (await pool.fetch(versions[0], get(), opts())).response.text(), "v1");
    assert.equal(pool.stats()[0].loadedVersions, 2);
  } finally {
    await pool.close();
  }
});

Deno.test("pool - a script needing a larger memory cap or new hosts gets a fresh executor", async () => {
  const pool = testPool();
  try {
    const small = script("app-caps", fixture("hello.js"));
    const big = script("app-caps", fixture("fn_default.js"), {
      limits: { ...TEST_LIMITS, memoryLimitMb: 160 },
    });
    await (await pool.fetch(small, get(), opts())).response.body?.cancel();
    const first = pool.stats()[0].pid;
    await (await pool.fetch(big, get(), opts())).response.body?.cancel();
    const second = pool.stats()[0].pid;
    assert.notEqual(second, first);
    // Smaller needs fit in the larger executor: no flapping.
    await (await pool.fetch(small, get(), opts())).response.body?.cancel();
    assert.equal(pool.stats()[0].pid, second);
    const withNet = script("app-caps", fixture("hello.js"), { netAllow: ["example.com"] });
    await (await pool.fetch(withNet, get(), opts())).response.body?.cancel();
    assert.notEqual(pool.stats()[0].pid, second);
    assert.equal(pool.stats().length, 1);
  } finally {
    await pool.close();
  }
});
