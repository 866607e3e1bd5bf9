/** @module Break 12 safety net: PostgreSQL data exceptions (SQLSTATE 22xxx) map to 400, not 500. */
import assert from "node:assert/strict";
import { Hono } from "hono";
import { onApiError } from "./errors.ts";
import { openTestDatabase } from "../testing/db.ts";

Deno.test("break 12 - a database data exception that escapes validation is 400 invalid_request", async () => {
  const db = await openTestDatabase();
  const logged: unknown[] = [];
  try {
    const app = new Hono();
    app.onError(onApiError((err) => logged.push(err)));
    const queries: Record<string, () => Promise<unknown>> = {
      nul: () => db.sql`select ${"a\u0000b"}::text`,
      date: () => db.sql`select ${"0000-01-01T00:00:00Z"}::timestamptz`,
      bad_date: () => db.sql`select ${"9999-99-99"}::text::timestamptz`,
      uuid: () => db.sql`select ${"not-a-uuid"}::uuid`,
      int: () => db.sql`select ${"99999999999999999999"}::int`,
      overflow: () => db.sql`select ${"2147483647"}::int + 1`,
    };
    for (const [name, q] of Object.entries(queries)) {
      app.get(`/${name}`, async () => await q() as never);
    }
    app.get("/bug", () => {
      throw new Error("a bug");
    });
    for (const name of Object.keys(queries)) {
      const res = await app.request(`/${name}`);
      const body = await res.json();
      assert.equal(res.status, 400, `${name}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.details.sqlstate, /^22/);
    }
    // Anything else is still a logged 500.
    const bug = await app.request("/bug");
    assert.equal(bug.status, 500);
    assert.equal(logged.length, 1);
  } finally {
    await db.close();
  }
});
