/**
 * @module The corpus cases that need the npm registry (allowed in CI): an itty-router app whose
 * package.json names a package this Deno's cache lacks, and the Hono app's deploy timed with an
 * empty package cache (cold) and again with it filled (warm). Both use a fresh cache directory.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { deployEntry, text } from "./corpus_harness.ts";

const A = "/api/v1/admin";

Deno.test("corpus - needs the npm registry: itty-router, and the Hono app cold and warm", async (tc) => {
  // A fresh package cache: every package of these deploys is fetched from the registry once.
  const cache = await Deno.makeTempDir({ prefix: "picloud-corpus-cache-" });
  try {
    await withTestPlatform(async (t) => {
      const token = await t.login(OWNER.email, OWNER.password);

      await tc.step(
        "the Hono app: a cold deploy fetches, a warm one reuses the cache",
        async () => {
          const cold = await deployEntry(t, token, "hono_zod", { form: "json-files" });
          const main = await Deno.readTextFile(
            new URL("./corpus/hono_zod/main.ts", import.meta.url),
          );
          const started = performance.now();
          const again = await t.call("POST", `${A}/scripts/${cold.scriptId}/versions`, {
            token,
            body: { files: { "main.ts": main } },
          });
          const warmMs = Math.round(performance.now() - started);
          assert.equal(again.status, 201, JSON.stringify(again.body));
          assert.deepEqual(again.body.packages, cold.version.body.packages);
          assert.equal(await text(await cold.fetch("/")), "200 notes api");
          console.log(
            `hono_zod deploy call: cold ${cold.deployMs} ms (empty package cache), ` +
              `warm ${warmMs} ms; bundle ${again.body.bundle_bytes} bytes`,
          );
        },
      );

      await tc.step("itty-router from package.json (multipart)", async () => {
        const d = await deployEntry(t, token, "itty_router", { form: "multipart" });
        console.log(`itty_router bundle: ${d.version.body.bundle_bytes} bytes`);
        assert.equal(d.version.body.entry, "index.js");
        assert.match(
          String(
            d.version.body.packages &&
              (d.version.body.packages as Record<string, string>)["itty-router"],
          ),
          /^5\./,
        );
        assert.equal(
          await text(await d.fetch("/todos/1")),
          `200 {"id":1,"title":"water the plants","done":true}`,
        );
        const missing = await d.fetch("/todos/9");
        assert.equal(missing.status, 404);
        assert.deepEqual(await missing.json(), { status: 404, error: "todo not found" });
        const list = await d.fetch("/todos");
        assert.equal(list.headers.get("content-type"), "application/json; charset=utf-8");
        assert.equal((await list.json()).length, 2);
        const add = await d.fetch("/todos", {
          method: "POST",
          body: JSON.stringify({ title: "x" }),
        });
        assert.equal(await text(add), `201 {"id":3,"title":"x","done":false}`);
        const bad = await d.fetch("/todos", { method: "POST", body: "{}" });
        assert.equal(bad.status, 400);
        assert.equal((await d.fetch("/nowhere")).status, 404);
      });
    }, { PICLOUD_PACKAGE_CACHE_DIR: cache });
  } finally {
    await Deno.remove(cache, { recursive: true }).catch(() => {});
  }
});
