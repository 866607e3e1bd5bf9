/** @module The built data-directory template: unpacked once into a fresh folder, never over a database. */

import assert from "node:assert/strict";
import { pgliteVersion, readTemplate, unpackTemplate } from "./embedded_template.ts";

Deno.test("embedded template - built by deno task build for this PGlite version, unpacked into a fresh folder only", async () => {
  assert.match(pgliteVersion() ?? "", /^\d+\.\d+\.\d+/);
  assert.ok(await readTemplate(), "no template of this PGlite version: run deno task build");
  const dir = await Deno.makeTempDir({ prefix: "picloud-tpl-" });
  try {
    const pgdata = `${dir}/pgdata`;
    assert.equal(await unpackTemplate(pgdata), true);
    assert.match(await Deno.readTextFile(`${pgdata}/PG_VERSION`), /^\d+/);
    assert.equal((await Deno.stat(`${pgdata}/pg_wal/000000010000000000000001`)).size, 16 << 20);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["pgdata"], "no staging folder is left behind");
    // A folder that holds a database is left alone.
    await Deno.writeTextFile(`${pgdata}/marker`, "kept");
    assert.equal(await unpackTemplate(pgdata), false);
    assert.equal(await Deno.readTextFile(`${pgdata}/marker`), "kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
