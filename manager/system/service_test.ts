/** @module Tests of the system service: the snapshot for admins, never a password, refused to members. */
import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import type { Principal } from "../authz.ts";
import { ownerPrincipal, withTestPlatform } from "../../testing/platform.ts";
import { databaseOf, systemInfo } from "./service.ts";

Deno.test("databaseOf() shows the host and database, never the user or password", () => {
  const pg = databaseOf({
    databaseUrl: "postgres://app:s3cret@db.internal:5433/picloud",
    dataDir: "x",
  });
  assert.deepEqual(pg, { mode: "postgres", host: "db.internal", port: 5433, database: "picloud" });
  assert.doesNotMatch(JSON.stringify(pg), /s3cret|app:/);
  assert.deepEqual(databaseOf({ databaseUrl: undefined, dataDir: "/var/picloud" }), {
    mode: "embedded",
    data_dir: "/var/picloud",
  });
});

Deno.test("system service - a snapshot for the owner, refused to a member", async () => {
  await withTestPlatform(async (t) => {
    const owner = await ownerPrincipal(t);
    await (await t.p.tenant.request("http://localhost/")).text();
    const s = await systemInfo(t.p.managerDeps, owner);
    assert.equal(s.deno, Deno.version.deno);
    assert.ok(s.schema_version >= 4);
    assert.ok(s.uptime_ms >= 0);
    const ex = s.executors.find((e) => e.app_slug === "default");
    assert.ok(ex && ex.pid > 0 && ex.kind === "app", JSON.stringify(s.executors));
    assert.ok(s.log_writer !== null);
    const member: Principal = { ...owner, instanceRole: "member", appRoles: {} };
    await assert.rejects(
      systemInfo(t.p.managerDeps, member),
      (e) => e instanceof ApiError && e.code === "forbidden",
    );
  });
});
