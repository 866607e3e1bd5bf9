import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { OWNER, ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listScheduleRuns,
  listSchedules,
  updateSchedule,
} from "./service.ts";

const SOURCE = "export default { fetch: () => new Response('ok'), scheduled() {} };";

/** Whether `e` is the typed error `code`. */
const is = (code: string) => (e: unknown) => e instanceof ApiError && e.code === code;

Deno.test("schedules service - create, change, read, delete; bad cron is typed", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const owner = await ownerPrincipal(t);
    const token = await t.login(OWNER.email, OWNER.password);
    const script = await t.call("POST", "/api/v1/admin/scripts", {
      token,
      body: { name: "cron", source: SOURCE },
    });
    assert.equal(script.status, 201);
    const input = {
      app_id: "default",
      script_id: script.body.id,
      cron: " 0 0 1 1 * ",
      timezone: "Europe/Oslo",
      enabled: true,
    };
    const s = await createSchedule(deps, owner, input);
    assert.equal(s.cron, "0 0 1 1 *");
    assert.ok(s.next_run_at);
    await assert.rejects(
      createSchedule(deps, owner, { ...input, cron: "nope" }),
      (e) => (e as { code?: string }).code === "invalid_cron",
    );
    await assert.rejects(
      createSchedule(deps, owner, { ...input, script_id: crypto.randomUUID() }),
      is("script_not_found"),
    );
    const off = await updateSchedule(deps, owner, s.id, { enabled: false });
    assert.equal(off.enabled, false);
    assert.equal((await getSchedule(deps, owner, s.id)).enabled, false);
    assert.deepEqual((await listSchedules(deps, owner, "default")).map((x) => x.id), [s.id]);
    assert.deepEqual(await listScheduleRuns(deps, owner, s.id, { limit: 5 }), []);
    await deleteSchedule(deps, owner, s.id);
    await assert.rejects(getSchedule(deps, owner, s.id), is("schedule_not_found"));
    await assert.rejects(getSchedule(deps, owner, "nope"), is("schedule_not_found"));
    const audit = await t.p.db.sql<{ action: string }[]>`
      select action from audit_log where resource_type = 'schedule' order by id`;
    assert.deepEqual(audit.map((a) => a.action), [
      "schedule.create",
      "schedule.update",
      "schedule.delete",
    ]);
  });
});

Deno.test("schedules service - a viewer cannot create", async () => {
  await withTestPlatform(async (t) => {
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const viewer: Principal = {
      kind: "session",
      userId: crypto.randomUUID(),
      instanceRole: "member",
      appRoles: { [app.id]: "viewer" },
    };
    await assert.rejects(
      createSchedule(t.p.managerDeps, viewer, {
        app_id: "default",
        script_id: crypto.randomUUID(),
        cron: "* * * * *",
        timezone: "UTC",
        enabled: true,
      }),
      is("forbidden"),
    );
  });
});
