import assert from "node:assert/strict";
import { createLogger } from "../common/logging.ts";
import { DEFAULT_TEST_APP, insertTestApp, openTestDatabase } from "../testing/db.ts";
import { createRouting } from "./routing.ts";

const quiet = createLogger("error", () => {});

Deno.test("createRouting() - snapshot resolves the seeded host and route", async () => {
  const db = await openTestDatabase();
  try {
    const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const routing = await createRouting(db.sql, { listen: false, log: quiet });
    const snap = routing.current();
    assert.equal(snap.hosts.match("localhost")?.appId, defaultAppId);
    const m = snap.routes.match(defaultAppId, "GET", "/", "localhost");
    assert.ok(m && "route" in m);
    assert.ok(snap.scripts.get(m.route.scriptId)?.activeVersionId);
    await db.sql`delete from app_domains where pattern = 'localhost'`;
    await routing.reload();
    assert.equal(routing.current().hosts.match("localhost"), null);
    await routing.close();
  } finally {
    await db.close();
  }
});

Deno.test("createRouting() - concurrent reloads coalesce and end on the latest data", async () => {
  const db = await openTestDatabase();
  try {
    await insertTestApp(db.sql, DEFAULT_TEST_APP);
    const routing = await createRouting(db.sql, { listen: false, log: quiet });
    const reloads = Array.from({ length: 10 }, () => routing.reload());
    await db.sql`insert into apps (slug, name) values ('late', 'Late')`;
    reloads.push(routing.reload());
    await Promise.all(reloads);
    assert.ok([...routing.current().apps.values()].some((a) => a.slug === "late"));
    await routing.close();
  } finally {
    await db.close();
  }
});

Deno.test({
  name: "createRouting() - a change notified by one node reaches another (PostgreSQL)",
  ignore: !Deno.env.get("DATABASE_URL"),
  fn: async () => {
    const db = await openTestDatabase();
    try {
      const { appId: defaultAppId } = await insertTestApp(db.sql, DEFAULT_TEST_APP);
      const a = await createRouting(db.sql, { listen: true, log: quiet });
      const b = await createRouting(db.sql, { listen: true, log: quiet });
      await db.sql`
        insert into app_domains (app_id, pattern, kind, shape_key)
        values (${defaultAppId}, 'fanout.example', 'exact', 'fanout.example')`;
      await a.notifyChanged();
      const deadline = Date.now() + 5_000;
      while (!b.current().hosts.match("fanout.example") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(b.current().hosts.match("fanout.example")?.appId, defaultAppId);
      await a.close();
      await b.close();
    } finally {
      await db.close();
    }
  },
});
