/**
 * @module Stack traces of bundled versions name the upload's files and lines: the cache of parsed
 * maps on its own, then deploys through the API whose failures are read back from the execution log.
 */
import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../testing/platform.ts";
import { createStackMaps } from "./stack_maps.ts";

const A = "/api/v1/admin";

// Line 1 of the bundle ← lib/f.ts 3:2 (column 0 → 0 and column 10 → 4 of line 3); line 2 ← main.ts 1:0.
const MAP = JSON.stringify({
  version: 3,
  sources: ["lib/f.ts", "main.ts"],
  names: [],
  mappings: "AAEA,UAAI;ACFJ",
});

Deno.test("createStackMaps() - remap", async (t) => {
  await t.step("frames at the entry are named at the upload's file, line and column", async () => {
    const maps = createStackMaps(() => Promise.resolve(MAP));
    const text = "Error: x\n    at f (main.ts:1:11)\n    at main.ts:2:1";
    assert.equal(
      await maps.remap("v1", "main.ts", text),
      "Error: x\n    at f (lib/f.ts:3:5)\n    at main.ts:1:1",
    );
  });
  await t.step(
    "a version without a map and a text without frames are left as they are",
    async () => {
      let loads = 0;
      const maps = createStackMaps(() => (loads++, Promise.resolve(null)));
      const text = "Error: x\n    at f (main.ts:1:11)";
      assert.equal(await maps.remap("v1", "main.ts", text), text);
      assert.equal(await maps.remap("v1", "main.ts", text), text);
      assert.equal(await maps.remap("v2", "main.ts", "Error: no frames"), "Error: no frames");
      assert.equal(loads, 1, "the absence of a map is cached; a text without frames loads nothing");
    },
  );
  await t.step(
    "the cache is bounded in versions and bytes; concurrent misses share a load",
    async () => {
      let loads = 0;
      const maps = createStackMaps(
        () => (loads++, Promise.resolve(MAP)),
        { maxVersions: 2, maxBytes: MAP.length * 10 },
      );
      const text = "    at main.ts:2:1";
      await Promise.all([1, 2, 3].map(() => maps.remap("a", "main.ts", text)));
      assert.equal(loads, 1);
      for (const id of ["b", "c", "d"]) await maps.remap(id, "main.ts", text);
      assert.deepEqual(maps.size(), { versions: 2, bytes: MAP.length * 2 });
      const small = createStackMaps(() => Promise.resolve(MAP), { maxBytes: MAP.length - 1 });
      assert.equal(await small.remap("a", "main.ts", text), "    at main.ts:1:1");
      assert.deepEqual(
        small.size(),
        { versions: 0, bytes: 0 },
        "a map above the byte bound is not kept",
      );
    },
  );
  await t.step("a failing load leaves the trace unchanged", async () => {
    const maps = createStackMaps(() => Promise.reject(new Error("db down")));
    assert.equal(await maps.remap("v", "main.ts", "    at main.ts:2:1"), "    at main.ts:2:1");
  });
});

const F = `export function f(n: number): number {
  if (n > 1) return n;
  throw new RangeError("thrown in f");
}
`;

Deno.test("execution log - a bundled version's failure names lib/f.ts and the throwing line", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const s = await t.call("POST", `${A}/scripts`, {
      token,
      body: {
        app_id: "default",
        name: "mapped",
        source: `export default { fetch: () => new Response("v1") };`,
      },
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const r = await t.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/mapped/:what" },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const v = await t.call("POST", `${A}/scripts/${s.body.id}/versions`, {
      token,
      body: {
        files: {
          "main.ts": `import { z } from "zod";\nimport { f } from "./lib/f.ts";\n\n` +
            `export default {\n  fetch(req: Request): Response {\n` +
            `    const what = new URL(req.url).pathname.split("/")[2];\n` +
            `    if (what === "zod") z.string().transform(() => f(0)).parse("abc");\n` +
            `    return new Response(String(f(0)));\n  },\n};\n`,
          "lib/f.ts": F,
        },
        dependencies: { zod: "4.6.7" },
      },
    });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    for (const what of ["f", "zod"]) {
      const res = await t.p.tenant.request(`http://localhost/mapped/${what}`);
      assert.equal(res.status, 500);
      await res.body?.cancel();
    }
    await t.p.logs.flush();
    const logs = await t.call("GET", `${A}/apps/default/logs?script=${s.body.id}&status=5xx`, {
      token,
    });
    const errors = (logs.body.items as unknown as { error: { error: string } }[])
      .map((row) => row.error.error);
    assert.equal(errors.length, 2, JSON.stringify(errors));
    const thrown = errors.find((e) => !e.includes("npm/"))!;
    assert.match(thrown, /^RangeError: thrown in f\n\s+at f \(lib\/f\.ts:3:9\)/, thrown);
    assert.match(thrown, /\n\s+at Object\.fetch \(main\.ts:8:32\)/, thrown);
    const zod = errors.find((e) => e.includes("npm/"))!;
    assert.match(zod, /\(npm\/zod\/4\.6\.7\/[^:)]+\.js:\d+:\d+\)/, zod);
    assert.match(
      zod,
      /^RangeError: thrown in f\n\s+at f \(lib\/f\.ts:3:9\)\n\s+at Object\.transform \(main\.ts:7:52\)/,
    );
    assert.match(zod, /\n\s+at Object\.fetch \(main\.ts:7:58\)$/, zod);
    assert.doesNotMatch(thrown + zod, /file:\/\/|blob:|picloud-bundle|registry\.npmjs/);
  });
});
