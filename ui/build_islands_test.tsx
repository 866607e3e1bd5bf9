/** @module Tests of the islands build, of serving its bundles, and of the pages' scripts and CSP. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";
import { buildIslands, MANIFEST } from "./build_islands.ts";
import { page, type UiEnv } from "./layout.tsx";
import { CONSOLE_CSP } from "./mod.ts";
import { loadIslands } from "./static.ts";

const OUT = fileURLToPath(new URL("./static/islands/", import.meta.url));

Deno.test("buildIslands() - bundles every island once, reproducibly", async (t) => {
  const first = await buildIslands();
  await t.step("the manifest names a hashed bundle per island, and it exists", () => {
    const names = [...Deno.readDirSync(new URL("./islands/", import.meta.url))]
      .filter((e) => e.isFile && e.name.endsWith(".ts")).map((e) => e.name.slice(0, -3)).sort();
    assert.deepEqual(Object.keys(first.manifest.islands).sort(), names);
    assert.ok(names.includes("editor") && names.includes("tail") && names.includes("copy"));
    for (const [name, file] of Object.entries(first.manifest.islands)) {
      assert.match(file, new RegExp(`^${name}\\.[0-9a-f]{12}\\.js$`));
      assert.ok(Deno.statSync(join(OUT, file)).size > 500, file);
    }
    assert.ok(Deno.statSync(join(OUT, MANIFEST)).isFile);
  });
  await t.step("unchanged inputs → no rebuild", async () => {
    const again = await buildIslands();
    assert.equal(again.built, false);
    assert.deepEqual(again.manifest, first.manifest);
  });
  await t.step("a forced build elsewhere gives the same bytes (same names)", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const other = await buildIslands({ outDir: dir, force: true });
      assert.equal(other.built, true);
      assert.deepEqual(other.manifest.islands, first.manifest.islands);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("console - island bundles are served immutable; pages without islands have no script", async (t) => {
  await buildIslands();
  const islands = loadIslands();
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    await t.step("each bundle: 200, JavaScript, one-year immutable cache", async () => {
      const sources = [...Deno.readDirSync(new URL("./islands/", import.meta.url))]
        .filter((e) => e.isFile && e.name.endsWith(".ts"));
      assert.equal(islands.size, sources.length);
      for (const a of islands.values()) {
        const res = await tp.p.console.request(`http://localhost${a.href}`);
        assert.equal(res.status, 200, a.href);
        assert.match(res.headers.get("content-type")!, /^text\/javascript/);
        assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
        assert.equal(await res.text(), a.body);
      }
    });
    await t.step("a page without islands sends no script, and a strict CSP", async () => {
      const res = await tp.p.console.request("http://localhost/admin/login");
      assert.equal(res.status, 200);
      assert.doesNotMatch(await res.text(), /<script/i);
      assert.equal(res.headers.get("content-security-policy"), CONSOLE_CSP);
      const apps = await b.get("/admin");
      assert.equal(apps.status, 200);
      assert.doesNotMatch(apps.html, /<script/i);
    });
    await t.step("error pages carry the CSP too", async () => {
      const res = await tp.p.console.request("http://localhost/admin/login/nowhere");
      await res.body?.cancel();
      assert.equal(res.headers.get("content-security-policy"), CONSOLE_CSP);
    });
  });
});

Deno.test("page() - adds a module script for each requested, built island only", async () => {
  const app = new Hono<UiEnv>();
  app.get("/", (c) => {
    c.set("css", "/admin/static/console.css");
    c.set("me", null);
    c.set("islands", new Map([["editor", "/admin/static/islands/editor.abc.js"]]));
    return page(c, { title: "T", islands: ["editor", "missing"] }, <p>hi</p>);
  });
  const html = await (await app.request("/")).text();
  const scripts = html.match(/<script[^>]*><\/script>/g) ?? [];
  assert.deepEqual(scripts, [
    '<script type="module" src="/admin/static/islands/editor.abc.js"></script>',
  ]);
});
