import assert from "node:assert/strict";
import { openTestDatabase } from "../testing/db.ts";
import { seed } from "./seed.ts";

Deno.test("seed() - seeds the default app and Hello World once", async () => {
  const db = await openTestDatabase();
  try {
    const results = await Promise.all([seed(db.sql), seed(db.sql)]);
    assert.equal(results.filter((r) => r.helloWorldSeeded).length, 1);
    assert.equal((await seed(db.sql)).helloWorldSeeded, false);
    const apps = await db.sql`select slug from apps`;
    assert.deepEqual(apps.map((a) => a.slug), ["default"]);
    const [{ n }] = await db.sql`select count(*)::int as n from scripts`;
    assert.equal(n, 1);
    const domains = await db.sql`select pattern from app_domains order by pattern`;
    assert.deepEqual(domains.map((d) => d.pattern), ["127.0.0.1", "localhost"]);
    const routes = await db.sql`select method, path from routes`;
    assert.deepEqual([...routes], [{ method: "GET", path: "/" }]);
  } finally {
    await db.close();
  }
});

Deno.test("seed() - a deleted Hello World does not come back", async () => {
  const db = await openTestDatabase();
  try {
    await seed(db.sql);
    await db.sql`delete from scripts`;
    await seed(db.sql);
    const [{ n }] = await db.sql`select count(*)::int as n from scripts`;
    assert.equal(n, 0);
  } finally {
    await db.close();
  }
});
