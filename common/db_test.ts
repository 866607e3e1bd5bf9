/** @module The embedded database's lifecycle: a second close is harmless and the lock is released. */

import assert from "node:assert/strict";
import { openEmbeddedTestDatabase } from "../testing/db.ts";
import { openDatabase } from "./db.ts";
import { EMBEDDED_POSTGRESQL_CONF } from "./embedded_settings.ts";

Deno.test("openDatabase() - an embedded database closes once, however often close() is called", async () => {
  const dir = await Deno.makeTempDir({ prefix: "picloud-db-" });
  try {
    const db = await openEmbeddedTestDatabase(dir);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 20_000));
    const both = Promise.all([db.close(), db.close()]).then(() => db.close()).then(() => "closed");
    assert.equal(await Promise.race([both, hung]), "closed");
    clearTimeout(timer);
    // The lock went with it: the directory opens again.
    const again = await openDatabase({ dataDir: dir });
    assert.equal((await again.sql`select 1 as one`)[0].one, 1);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() - a fresh embedded data directory starts from the built template with the small settings, and a second start reuses it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "picloud-db-" });
  try {
    const db = await openDatabase({ dataDir: dir });
    try {
      // Every small setting is in effect, as PostgreSQL reports it (same units as written).
      for (const setting of EMBEDDED_POSTGRESQL_CONF) {
        const [name, value] = setting.split("=");
        const [row] = await db.sql.unsafe(`show ${name}`);
        assert.equal(row[name], value, setting);
      }
      const sysId = async (d: typeof db) =>
        (await d.sql`select system_identifier::text as id from pg_control_system()`)[0].id;
      // Unpacked from the template, not initdb'd: two fresh directories share its identifier.
      const other = await openDatabase({ dataDir: `${dir}/other` });
      try {
        assert.equal(await sysId(other), await sysId(db));
      } finally {
        await other.close();
      }
      await db.sql`create table kept (v text)`;
      await db.sql`insert into kept values ('first start')`;
    } finally {
      await db.close();
    }
    const again = await openDatabase({ dataDir: dir });
    try {
      assert.deepEqual([...await again.sql`select v from kept`], [{ v: "first start" }]);
      assert.equal((await again.sql`show shared_buffers`)[0].shared_buffers, "2MB");
    } finally {
      await again.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() - the embedded database runs on the main thread, or in a thread of its own (the large memory profile), on the same data", async () => {
  // Deno names the OS thread of each Worker `worker-n`: counting them tells where PGlite runs.
  const workerThreads = () =>
    [...Deno.readDirSync("/proc/self/task")].filter((t) => {
      try {
        return Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).startsWith("worker-");
      } catch {
        return false; // ended meanwhile
      }
    }).length;
  const dir = await Deno.makeTempDir({ prefix: "picloud-db-" });
  try {
    const before = workerThreads();
    const main = await openDatabase({ dataDir: dir });
    try {
      assert.equal(workerThreads(), before, "the small profile starts no thread");
      await main.sql`create table kept (v text)`;
      await main.sql`insert into kept values ('main thread')`;
      assert.ok((await main.dumpDataDir!()).byteLength > 1_000_000);
    } finally {
      await main.close();
    }
    const own = await openDatabase({ dataDir: dir, thread: true });
    try {
      assert.equal(workerThreads(), before + 1, "the large profile runs it in a Worker");
      assert.deepEqual([...await own.sql`select v from kept`], [{ v: "main thread" }]);
      assert.ok((await own.dumpDataDir!()).byteLength > 1_000_000);
    } finally {
      await own.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
