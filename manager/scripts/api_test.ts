import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";
const v = (n: number, delayMs = 0) =>
  `export default { async fetch() {
    ${delayMs ? `await new Promise((r) => setTimeout(r, ${delayMs}));` : ""}
    return new Response("v${n}");
  } };`;

async function setup(t: TestPlatform, source = v(1)) {
  const token = await t.login(OWNER.email, OWNER.password);
  const s = await t.call("POST", `${A}/scripts`, {
    token,
    body: { app_id: "default", name: `s${crypto.randomUUID().slice(0, 8)}`, source },
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const path = `/r/${s.body.id}`;
  const r = await t.call("POST", `${A}/routes`, {
    token,
    body: { app_id: "default", script_id: s.body.id, method: "GET", path },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const hit = async () => {
    const res = await t.p.tenant.request(`http://localhost${path}`);
    return `${res.status} ${await res.text()}`;
  };
  return { token, id: s.body.id, hit };
}

Deno.test("scripts API - versions: list, read, deploy and roll back", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, hit } = await setup(t);
    assert.equal(await hit(), "200 v1");
    const v2 = await t.call("POST", `${A}/scripts/${id}/versions`, {
      token,
      body: { source: v(2) },
    });
    assert.equal(v2.status, 201);
    assert.equal(await hit(), "200 v2");

    const list = await t.call("GET", `${A}/scripts/${id}/versions`, { token });
    assert.deepEqual(list.body.items.map((i) => [i.version, i.active]), [[2, true], [1, false]]);
    assert.ok(list.body.items.every((i) => !("source" in i)));
    const one = await t.call("GET", `${A}/scripts/${id}/versions/1`, { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.source, v(1));

    const back = await t.call("POST", `${A}/scripts/${id}/versions/1:activate`, { token });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.version, 1);
    assert.equal(await hit(), "200 v1");
    const script = await t.call("GET", `${A}/scripts/${id}`, { token });
    assert.equal(script.body.active_version, 1);

    for (
      const [path, code] of [
        [`${A}/scripts/${id}/versions/9:activate`, "version_not_found"],
        [`${A}/scripts/${crypto.randomUUID()}/versions/1:activate`, "script_not_found"],
      ]
    ) {
      const r = await t.call("POST", path, { token });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, code);
    }
    assert.equal((await t.call("GET", `${A}/scripts/${id}/versions/9`, { token })).status, 404);
    assert.equal(
      (await t.call("POST", `${A}/scripts/${id}/versions/x:activate`, { token })).status,
      404,
    );
    const audit = await t.p.db.sql`
      select action from audit_log where resource_id = ${id} order by id`;
    assert.deepEqual(audit.map((a) => a.action), [
      "script.create",
      "script.deploy",
      "script.activate",
    ]);
  });
});

Deno.test("scripts API - a source that cannot run is refused with 422 compile_error", async (t) => {
  await withTestPlatform(async (tp) => {
    const { token, id, hit } = await setup(tp);
    const cases = [
      { name: "syntax error", source: "export default {\n  fetch() { return 1 +; }\n};", line: 2 },
      { name: "throws at top level", source: "throw new Error('nope');", line: 1 },
      { name: "no handler", source: "export default { hello() {} };", line: undefined },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        const r = await tp.call("POST", `${A}/scripts/${id}/versions`, {
          token,
          body: { source: c.source },
        });
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(r.body.error.code, "compile_error");
        const [d] = r.body.error.details!.diagnostics as { message: string; line?: number }[];
        assert.ok(d.message.length > 0);
        assert.equal(d.line, c.line);
        const created = await tp.call("POST", `${A}/scripts`, {
          token,
          body: { name: `bad${crypto.randomUUID().slice(0, 6)}`, source: c.source },
        });
        assert.equal(created.status, 422);
      });
    }
    const versions = await tp.call("GET", `${A}/scripts/${id}/versions`, { token });
    assert.equal(versions.body.items.length, 1);
    assert.equal(await hit(), "200 v1");
  });
});

Deno.test("scripts API - rename, delete and their races", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, hit } = await setup(t);
    const other = await t.call("POST", `${A}/scripts`, {
      token,
      body: { name: "taken", source: v(9) },
    });
    const clash = await t.call("PATCH", `${A}/scripts/${id}`, { token, body: { name: "taken" } });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.error.code, "script_exists");
    const ok = await t.call("PATCH", `${A}/scripts/${id}`, {
      token,
      body: { description: "hello" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.description, "hello");

    // Many scripts race to the same free name: one wins, the rest get 409.
    const racers = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          t.call("POST", `${A}/scripts`, { token, body: { name: `racer${i}`, source: v(i) } }),
      ),
    );
    const renames = await Promise.all(
      racers.map((r) =>
        t.call("PATCH", `${A}/scripts/${r.body.id}`, { token, body: { name: "winner" } })
      ),
    );
    assert.deepEqual(renames.map((r) => r.status).sort(), [200, ...Array(19).fill(409)]);

    await t.call("POST", `${A}/schedules`, {
      token,
      body: { app_id: "default", script_id: id, cron: "0 0 * * *" },
    });
    const deletes = await Promise.all(
      Array.from({ length: 20 }, () => t.call("DELETE", `${A}/scripts/${id}`, { token })),
    );
    assert.deepEqual(deletes.map((r) => r.status).sort(), [204, ...Array(19).fill(404)]);
    const gone = await hit();
    assert.ok(gone.startsWith("404") && gone.includes("no_route"), gone);
    const [left] = await t.p.db.sql`
      select (select count(*) from routes where script_id = ${id})::int as routes,
        (select count(*) from schedules where script_id = ${id})::int as schedules`;
    assert.deepEqual({ ...left }, { routes: 0, schedules: 0 });
    assert.equal(other.status, 201);
  });
});

Deno.test("scripts API - concurrent deploys and rollbacks; requests in flight all succeed", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, hit } = await setup(t, v(1, 300));
    assert.equal(await hit(), "200 v1");
    const inFlight = Array.from({ length: 20 }, () => hit());
    await new Promise((r) => setTimeout(r, 50));
    const deploys = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          t.call("POST", `${A}/scripts/${id}/versions`, { token, body: { source: v(i + 2) } }),
      ),
    );
    assert.ok(deploys.every((d) => d.status === 201), JSON.stringify(deploys.map((d) => d.body)));
    assert.deepEqual(
      deploys.map((d) => d.body.version).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    const results = await Promise.all(inFlight);
    assert.ok(results.every((r) => r.startsWith("200 v")), results.join(", "));
    const rollbacks = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) => t.call("POST", `${A}/scripts/${id}/versions/${i + 1}:activate`, { token }),
      ),
    );
    assert.ok(rollbacks.every((r) => r.status === 200));
    const [{ source }] = await t.p.db.sql`
      select v.source from scripts s join script_versions v on v.id = s.active_version_id
      where s.id = ${id}`;
    assert.equal(await hit(), `200 ${/new Response\("(v\d+)"\)/.exec(source)![1]}`);
  });
});
