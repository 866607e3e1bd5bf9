import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";
const source = `export default {
  fetch: () => new Response("ok"),
  scheduled(event) { console.log("tick", event.cron); },
};`;

Deno.test("schedules API - create, read, update, delete, runs and errors", async (t) => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    const s = await tp.call("POST", `${A}/scripts`, { token, body: { name: "cron", source } });
    const scriptId = s.body.id;
    await tp.p.db.sql`insert into apps (slug, name) values ('other', 'Other')`;
    const foreign = await tp.call("POST", `${A}/scripts`, {
      token,
      body: { app_id: "other", name: "f", source },
    });

    const created = await tp.call("POST", `${A}/schedules`, {
      token,
      body: { app_id: "default", script_id: scriptId, cron: "* * * * * *" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.body.timezone, "UTC");
    assert.ok(created.body.next_run_at);

    await t.step("an every-second schedule produces run records", async () => {
      const deadline = Date.now() + 10_000;
      let runs: Record<string, unknown>[] = [];
      while (Date.now() < deadline) {
        const r = await tp.call("GET", `${A}/schedules/${id}/runs?limit=5`, { token });
        runs = r.body.items.filter((x) => x.status === "ok");
        if (runs.length >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(runs.length >= 2, JSON.stringify(runs));
      await tp.p.logs.flush();
      const logs = await tp.call("GET", `${A}/apps/default/logs?script=cron`, { token });
      const cronLog = logs.body.items.find((l) => l.trigger === "cron")!;
      assert.deepEqual((cronLog.logs as { message: string }[])[0].message, "tick * * * * * *");
    });

    await t.step("list and get", async () => {
      const list = await tp.call("GET", `${A}/schedules?app=default`, { token });
      assert.deepEqual(list.body.items.map((x) => x.id), [id]);
      const all = await tp.call("GET", `${A}/schedules`, { token });
      assert.equal(all.body.items.length, 1);
      assert.equal((await tp.call("GET", `${A}/schedules/${id}`, { token })).body.id, id);
    });

    await t.step("patch disables and moves to a per-minute cron in a time zone", async () => {
      const r = await tp.call("PATCH", `${A}/schedules/${id}`, {
        token,
        body: { enabled: false, cron: "*/5 * * * *", timezone: "Europe/Oslo" },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.enabled, false);
      assert.equal(new Date(r.body.next_run_at as string).getUTCMinutes() % 5, 0);
    });

    const bad: [string, string, unknown, number, string][] = [
      ["invalid cron", "POST", { script_id: scriptId, cron: "nope" }, 400, "invalid_cron"],
      [
        "six stars too many",
        "POST",
        { script_id: scriptId, cron: "* * * * * * * *" },
        400,
        "invalid_cron",
      ],
      [
        "unknown zone",
        "POST",
        { script_id: scriptId, cron: "* * * * *", timezone: "Mars/Base" },
        400,
        "invalid_cron",
      ],
      [
        "script of another app",
        "POST",
        { script_id: foreign.body.id, cron: "* * * * *" },
        404,
        "script_not_found",
      ],
      [
        "unknown app",
        "POST",
        { app_id: "nope", script_id: scriptId, cron: "* * * * *" },
        404,
        "app_not_found",
      ],
      ["patch bad cron", "PATCH", { cron: "61 * * * *" }, 400, "invalid_cron"],
      ["patch foreign script", "PATCH", { script_id: foreign.body.id }, 404, "script_not_found"],
    ];
    for (const [name, method, body, status, code] of bad) {
      await t.step(name, async () => {
        const path = method === "POST" ? `${A}/schedules` : `${A}/schedules/${id}`;
        const r = await tp.call(method, path, { token, body });
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.equal(r.body.error.code, code);
        if (code === "invalid_cron") assert.ok(r.body.error.message.length > 10);
      });
    }

    await t.step("concurrent patches and deletes: 200s then 404s, never 500", async () => {
      const results = await Promise.all([
        ...Array.from(
          { length: 15 },
          (_, i) =>
            tp.call("PATCH", `${A}/schedules/${id}`, { token, body: { cron: `${i} * * * *` } }),
        ),
        ...Array.from({ length: 15 }, () => tp.call("DELETE", `${A}/schedules/${id}`, { token })),
      ]);
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.every((s) => [200, 204, 404].includes(s)), statuses.join(","));
      assert.equal(statuses.filter((s) => s === 204).length, 1);
      const gone = await tp.call("GET", `${A}/schedules/${id}`, { token });
      assert.equal(gone.body.error.code, "schedule_not_found");
    });

    await t.step("concurrent creates against a script being deleted: 201 or 404", async () => {
      const victim = await tp.call("POST", `${A}/scripts`, { token, body: { name: "v", source } });
      const results = await Promise.all([
        ...Array.from({ length: 20 }, () =>
          tp.call("POST", `${A}/schedules`, {
            token,
            body: { script_id: victim.body.id, cron: "0 0 * * *" },
          })),
        tp.call("DELETE", `${A}/scripts/${victim.body.id}`, { token }),
      ]);
      const statuses = results.map((r) => r.status);
      assert.ok(statuses.every((s) => [201, 204, 404].includes(s)), statuses.join(","));
      const [{ n }] = await tp.p.db.sql`
        select count(*)::int as n from schedules where script_id = ${victim.body.id}`;
      assert.equal(n, 0);
    });
  });
});
