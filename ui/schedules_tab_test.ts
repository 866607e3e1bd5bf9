/** @module In-process tests of the Schedules tab: preview, add, enable/disable, delete, a viewer. */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";
import { browser } from "./browser_testing.ts";
import { nextRuns } from "./schedules_tab.tsx";

async function helloId(tp: TestPlatform): Promise<string> {
  const [row] = await tp.p.db.sql<{ id: string }[]>`
    select s.id from scripts s join apps a on a.id = s.app_id where a.slug = 'default'`;
  return row.id;
}

Deno.test("console - nextRuns: five runs in the schedule's time zone", () => {
  const from = new Date("2026-03-28T12:00:00Z");
  const runs = nextRuns("0 6 * * *", "Europe/Oslo", from);
  assert.equal(runs.length, 5);
  // 06:00 in Oslo: UTC+1 before the switch to summer time on 29 March, UTC+2 after.
  assert.equal(runs[0].toISOString(), "2026-03-29T04:00:00.000Z");
  assert.equal(runs[1].toISOString(), "2026-03-30T04:00:00.000Z");
  assert.throws(() => nextRuns("nope", "UTC", from), { code: "invalid_cron" });
});

Deno.test("console - schedules tab: preview, add, enable/disable, delete", async (t) => {
  await withTestPlatform(async (tp) => {
    const b = browser(tp);
    await b.signIn(OWNER.email, OWNER.password);
    const script = await helloId(tp);
    const base = "/admin/apps/default/schedules";
    await t.step("empty list and the add form", async () => {
      const r = await b.get(base);
      assert.equal(r.status, 200);
      assert.match(r.html, /No schedules yet/);
      assert.match(r.html, /formmethod="get"/);
    });
    await t.step("Preview shows the next five runs and saves nothing", async () => {
      const q = new URLSearchParams({
        cron: "30 6 * * *",
        timezone: "Asia/Tokyo",
        script_id: script,
        preview: "1",
      });
      const r = await b.get(`${base}?${q}`);
      assert.equal(r.status, 200);
      assert.equal(r.html.match(/<time datetime=/g)?.length, 5);
      assert.match(r.html, /06:30<\/time>/);
      assert.match(r.html, /name="cron"[^>]*value="30 6 \* \* \*"/);
      assert.equal((await tp.p.db.sql`select 1 from schedules`).length, 0);
    });
    await t.step("Preview of a bad cron: invalid_cron next to the field", async () => {
      const r = await b.get(`${base}?cron=nope&timezone=UTC&preview=1`);
      assert.equal(r.status, 400);
      assert.match(r.html, /id="new-cron-error"[^>]*>Invalid cron expression/);
    });
    await t.step("add: invalid_cron and a bad time zone next to their fields", async () => {
      const bad = await b.post(base, { cron: "61 * * * *", timezone: "UTC", script_id: script });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /id="new-cron-error"[^>]*>Invalid cron expression/);
      const tz = await b.post(base, {
        cron: "0 * * * *",
        timezone: "Mars/Base",
        script_id: script,
      });
      assert.equal(tz.status, 400);
      assert.match(tz.html, /id="new-timezone-error"[^>]*>Unknown time zone Mars\/Base/);
    });
    await t.step("add → 303; the table shows its next runs", async () => {
      const r = await b.post(base, {
        cron: "0 6 * * *",
        timezone: "Europe/Oslo",
        script_id: script,
      });
      assert.equal(r.status, 303, r.html);
      assert.equal(r.location, base);
      const list = await b.get(base);
      assert.match(list.html, /<td class="mono">0 6 \* \* \*<\/td>/);
      assert.equal(list.html.match(/<time datetime=/g)?.length, 5);
    });
    const [s] = await tp.p.db.sql<{ id: string }[]>`select id from schedules`;
    await t.step("disable and enable → 303", async () => {
      const off = await b.post(`${base}/${s.id}/enabled`, { enabled: "false" });
      assert.equal(off.status, 303);
      const [row] = await tp.p.db.sql<{ enabled: boolean }[]>`select enabled from schedules`;
      assert.equal(row.enabled, false);
      assert.match((await b.get(base)).html, /paused/);
      const on = await b.post(`${base}/${s.id}/enabled`, { enabled: "true" });
      assert.equal(on.status, 303);
    });
    await t.step("delete asks for confirmation, then → 303", async () => {
      const confirm = await b.get(`${base}/${s.id}/delete`);
      assert.match(confirm.html, /Delete the schedule 0 6 \* \* \* \(Europe\/Oslo\)\?/);
      const r = await b.post(`${base}/${s.id}/delete`, {});
      assert.equal(r.status, 303);
      assert.match((await b.get(base)).html, /No schedules yet/);
    });
  });
});

Deno.test("console - schedules tab: a viewer sees no controls and a post is refused", async () => {
  await withTestPlatform(async (tp) => {
    const token = await tp.login(OWNER.email, OWNER.password);
    await tp.createUser(token, { email: "v@example.com" });
    await tp.call("POST", "/api/v1/admin/apps/default/members", {
      token,
      body: { email: "v@example.com", role: "viewer" },
    });
    const script = await helloId(tp);
    const made = await tp.call("POST", "/api/v1/admin/schedules", {
      token,
      body: { app_id: "default", script_id: script, cron: "@hourly" },
    });
    assert.equal(made.status, 201);
    const b = browser(tp);
    await b.signIn("v@example.com", "member-password-1");
    const base = "/admin/apps/default/schedules";
    const r = await b.get(base);
    assert.equal(r.status, 200);
    assert.match(r.html, /@hourly/);
    assert.doesNotMatch(r.html, /Add a schedule|Disable|Delete…/);
    assert.equal(
      (await b.post(base, { cron: "@daily", timezone: "UTC", script_id: script })).status,
      403,
    );
    assert.equal(
      (await b.post(`${base}/${made.body.id}/enabled`, { enabled: "false" })).status,
      403,
    );
  });
});
