/** @module Tests of the Workers globals PiCloud provides in the sandbox: `caches` (bounded, private to a script's Worker) and `scheduler.wait`. */

import assert from "node:assert/strict";
import { fixture, get, opts, script, testPool } from "../testing/executor.ts";

Deno.test("caches.default - an unmodified Workers script caches its answer", async () => {
  const pool = testPool();
  try {
    const s = script("app-cache", fixture("workers_cache.js"));
    const first = await (await pool.fetch(s, get("/page"), opts())).response.text();
    assert.match(first, /^made /);
    // waitUntil's put has settled once the next request runs in the same Worker.
    const second = await (await pool.fetch(s, get("/page"), opts())).response.text();
    assert.equal(second, first);
    const other = await (await pool.fetch(s, get("/other"), opts())).response.text();
    assert.notEqual(other, first);
    // Another script (another Worker) never sees it.
    const s2 = script("app-cache", fixture("workers_cache.js") + "\n// v2");
    assert.notEqual(await (await pool.fetch(s2, get("/page"), opts())).response.text(), first);
  } finally {
    await pool.close();
  }
});

Deno.test("caches - bounded in size, follows Cache-Control, GET only; scheduler.wait waits", async (t) => {
  const pool = testPool();
  try {
    const s = script("app-cache-b", fixture("cache_bounds.js"));
    await t.step(
      "the least recently used entries go past 8 MiB; over 1 MiB is not kept",
      async () => {
        const inv = await pool.fetch(s, get("/?op=evict"), opts());
        assert.deepEqual(await inv.response.json(), { first: false, last: 1_000_000, big: false });
      },
    );
    await t.step("no-store, POST, named caches, delete", async () => {
      const inv = await pool.fetch(s, get("/?op=rules"), opts());
      assert.deepEqual(await inv.response.json(), {
        noStore: false,
        ok: "y",
        named: "named",
        deleted: true,
        post: "TypeError",
        waitedMs: true,
      });
    });
  } finally {
    await pool.close();
  }
});
