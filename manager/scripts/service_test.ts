import assert from "node:assert/strict";
import { ApiError } from "../../common/errors.ts";
import { generateSecretKey } from "../../common/secrets.ts";
import type { Principal } from "../authz.ts";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";
import { createScript, deleteScript, listScripts, scriptToRun, updateScript } from "./service.ts";
import { getEnv, getPolicy, replaceScriptPolicy, updateEnv } from "./settings_service.ts";
import { activateVersion, deployVersion, getVersion, listVersions } from "./versions_service.ts";

const source = (n: number) => `export default { fetch: () => new Response("v${n}") };`;

async function owner(t: TestPlatform): Promise<Principal> {
  const [row] = await t.p.db.sql<{ id: string }[]>`
    select id from admin_users where email = ${OWNER.email}`;
  return { kind: "session", userId: row.id, instanceRole: "owner", appRoles: {} };
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err.code;
  }
  assert.fail("expected a refusal");
}

Deno.test("scripts service - create, deploy, roll back, rename and delete without HTTP", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const p = await owner(t);
    const script = await createScript(deps, p, {
      app_id: "default",
      name: "svc",
      description: "",
      source: source(1),
    });
    assert.equal(script.active_version, 1);
    assert.ok((await listScripts(deps, p, "default")).some((s) => s.id === script.id));

    const v2 = await deployVersion(deps, p, script.id, source(2));
    assert.equal(v2.version, 2);
    assert.deepEqual((await listVersions(deps, p, script.id)).map((v) => v.version), [2, 1]);
    assert.equal((await getVersion(deps, p, script.id, 1)).source, source(1));
    const back = await activateVersion(deps, p, script.id, 1);
    assert.deepEqual([back.version, back.active], [1, true]);

    const renamed = await updateScript(deps, p, script.id, { name: "svc2" });
    assert.equal(renamed.name, "svc2");
    await t.p.routing.reload();
    assert.equal(scriptToRun(deps, p, script.id).script.id, script.id);

    await deleteScript(deps, p, script.id);
    assert.equal(await refusal(getVersion(deps, p, script.id, 1)), "script_not_found");
    const audit = await t.p.db.sql`
      select action from audit_log where resource_id = ${script.id} order by id`;
    assert.deepEqual(audit.map((a) => a.action), [
      "script.create",
      "script.deploy",
      "script.activate",
      "script.update",
      "script.delete",
    ]);
  });
});

Deno.test("scripts service - refusals are typed errors", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const p = await owner(t);
    const script = await createScript(deps, p, {
      app_id: "default",
      name: "svc",
      description: "",
      source: source(1),
    });
    const [app] = await t.p.db.sql<{ id: string }[]>`select id from apps where slug = 'default'`;
    const viewer: Principal = { ...p, instanceRole: "member", appRoles: { [app.id]: "viewer" } };
    const stranger: Principal = { ...p, instanceRole: "member", appRoles: {} };
    assert.equal(await refusal(deployVersion(deps, viewer, script.id, source(2))), "forbidden");
    assert.equal(await refusal(updateScript(deps, stranger, script.id, {})), "script_not_found");
    assert.equal(await refusal(listScripts(deps, stranger, "default")), "app_not_found");
    assert.equal(
      await refusal(createScript(deps, p, {
        app_id: "default",
        name: "svc",
        description: "",
        source: source(1),
      })),
      "script_exists",
    );
    assert.equal(
      await refusal(deployVersion(deps, p, script.id, "export default {")),
      "compile_error",
    );
    assert.equal(await refusal(activateVersion(deps, p, script.id, 9)), "version_not_found");
    assert.equal(await refusal(getVersion(deps, p, "not-a-uuid", 1)), "script_not_found");
    await t.p.routing.reload();
    assert.equal(await refusal(() => scriptToRun(deps, viewer, script.id)), "forbidden");
  });
});

Deno.test("scripts settings service - env and policy without HTTP", async () => {
  await withTestPlatform(async (t) => {
    const deps = t.p.managerDeps;
    const p = await owner(t);
    const { id } = await createScript(deps, p, {
      app_id: "default",
      name: "svc",
      description: "",
      source: source(1),
    });
    const env = await updateEnv(deps, p, id, { vars: { MODE: "test" }, secrets: { TOKEN: "s" } });
    assert.deepEqual(env, { vars: { MODE: "test" }, secrets: ["TOKEN"] });
    assert.deepEqual(await getEnv(deps, p, id), env);

    const view = await replaceScriptPolicy(deps, p, id, { allowedHosts: ["API.example.com"] });
    assert.deepEqual(view.policy, { allowedHosts: ["api.example.com"] });
    assert.deepEqual((await getPolicy(deps, p, id)).policy, view.policy);
    const cap = deps.config.limits.timeoutMs;
    assert.equal(
      await refusal(replaceScriptPolicy(deps, p, id, { timeoutMs: cap + 1 })),
      "limit_exceeds_cap",
    );
  }, { PICLOUD_SECRET_KEY: generateSecretKey() }); // PostgreSQL has no secrets without a key
});
