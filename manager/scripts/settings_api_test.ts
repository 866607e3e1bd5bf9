import assert from "node:assert/strict";
import { generateSecretKey } from "../../common/secrets.ts";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";
const SECRET = "s3cr3t-VALUE-never-shown-42";
const echoEnv = `export default {
  fetch(req, ctx) {
    console.log("env names", Object.keys(ctx.env).sort().join(","));
    return Response.json(ctx.env);
  },
};`;

async function setup(t: TestPlatform, source = echoEnv) {
  const token = await t.login(OWNER.email, OWNER.password);
  const s = await t.call("POST", `${A}/scripts`, {
    token,
    body: { name: `e${crypto.randomUUID().slice(0, 8)}`, source },
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const path = `/env/${s.body.id}`;
  await t.call("POST", `${A}/routes`, {
    token,
    body: { app_id: "default", script_id: s.body.id, method: "GET", path },
  });
  const hit = async () => await (await t.p.tenant.request(`http://localhost${path}`)).json();
  return { token, id: s.body.id, hit };
}

Deno.test("script env - vars in clear, secrets sealed and never shown again", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, hit } = await setup(t);
    const put = await t.call("PUT", `${A}/scripts/${id}/env`, {
      token,
      body: { vars: { GREETING: "hi", MODE: "test" }, secrets: { API_TOKEN: SECRET } },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body, { vars: { GREETING: "hi", MODE: "test" }, secrets: ["API_TOKEN"] });
    assert.deepEqual(await hit(), { GREETING: "hi", MODE: "test", API_TOKEN: SECRET });

    const [row] = await t.p.db.sql`select secrets from scripts where id = ${id}`;
    assert.match(row.secrets.API_TOKEN, /^v1:/);
    assert.ok(!JSON.stringify(row.secrets).includes(SECRET));

    const del = await t.call("PUT", `${A}/scripts/${id}/env`, {
      token,
      body: { vars: { MODE: null }, secrets: { API_TOKEN: null } },
    });
    assert.deepEqual(del.body, { vars: { GREETING: "hi" }, secrets: [] });
    assert.deepEqual(await hit(), { GREETING: "hi" });

    const bad = await t.call("PUT", `${A}/scripts/${id}/env`, {
      token,
      body: { vars: { "lower-case": "x" } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_request");

    // Concurrent writers of different names all land.
    const puts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.call("PUT", `${A}/scripts/${id}/env`, {
          token,
          body: i % 2 ? { vars: { [`V${i}`]: `${i}` } } : { secrets: { [`S${i}`]: SECRET } },
        })),
    );
    assert.ok(puts.every((r) => r.status === 200));
    const env = await t.call("GET", `${A}/scripts/${id}/env`, { token });
    assert.equal(Object.keys(env.body.vars as object).length, 11);
    assert.equal((env.body.secrets as string[]).length, 10);
    const seen = await hit();
    assert.equal(seen.S0, SECRET);
    assert.equal(seen.V1, "1");

    await t.p.logs.flush();
    await t.call("GET", `${A}/audit`, { token });
    await t.call("GET", `${A}/apps/default/logs`, { token });
    assert.ok(!t.responses.some((r) => r.includes(SECRET)), "a response contains the secret");
    assert.ok(!t.lines.some((l) => l.includes(SECRET)), "a log line contains the secret");
    const audit = await t.p.db.sql`select after::text as a from audit_log`;
    assert.ok(!audit.some((r) => String(r.a).includes(SECRET)));
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("script env - an undecryptable secret is logged by name and left out", async () => {
  await withTestPlatform(async (t) => {
    const { token, id, hit } = await setup(t);
    await t.call("PUT", `${A}/scripts/${id}/env`, {
      token,
      body: { vars: { KEEP: "yes" }, secrets: { A_SECRET: SECRET, B_SECRET: "other" } },
    });
    await t.p.db.sql`
      update scripts set secrets = jsonb_set(secrets, '{A_SECRET}', '"v1:AAAA:BBBB"')
      where id = ${id}`;
    await t.p.routing.reload();
    assert.deepEqual(await hit(), { KEEP: "yes", B_SECRET: "other" });
    assert.ok(t.lines.some((l) => l.includes("could not be decrypted") && l.includes("A_SECRET")));
    assert.ok(!t.lines.some((l) => l.includes(SECRET)));
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("script env - without PICLOUD_SECRET_KEY: generated key file (embedded) or 409 (PostgreSQL)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await withTestPlatform(async (t) => {
      const { token, id, hit } = await setup(t);
      const put = await t.call("PUT", `${A}/scripts/${id}/env`, {
        token,
        body: { secrets: { TOKEN: SECRET } },
      });
      if (t.p.db.kind === "postgres") {
        assert.equal(put.status, 409);
        assert.equal(put.body.error.code, "secrets_disabled");
        assert.match(put.body.error.message, /PICLOUD_SECRET_KEY/);
        // Vars need no key.
        const vars = await t.call("PUT", `${A}/scripts/${id}/env`, {
          token,
          body: { vars: { PLAIN: "ok" } },
        });
        assert.equal(vars.status, 200);
      } else {
        assert.equal(put.status, 200);
        const info = await Deno.stat(`${dir}/secret.key`);
        assert.equal(info.mode! & 0o777, 0o600);
        assert.equal((await hit()).TOKEN, SECRET);
      }
    }, { PICLOUD_DATA_DIR: dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("script policy - limits within caps, hosts validated, applied on the next request", async (t) => {
  await withTestPlatform(async (tp) => {
    const slow = `export default { async fetch() {
      await new Promise((r) => setTimeout(r, 1500));
      return new Response("late");
    } };`;
    const { token, id } = await setup(tp, slow);
    const put = await tp.call("PUT", `${A}/scripts/${id}/policy`, {
      token,
      body: { timeoutMs: 300, maxConcurrency: 4, allowedHosts: ["API.example.com", "x.io:8443"] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = await tp.call("GET", `${A}/scripts/${id}/policy`, { token });
    assert.deepEqual(got.body.policy, {
      timeoutMs: 300,
      maxConcurrency: 4,
      allowedHosts: ["api.example.com", "x.io:8443"],
    });
    const effective = got.body.effective as Record<string, unknown>;
    assert.equal(effective.timeoutMs, 300);
    assert.equal(effective.memoryLimitMb, (got.body.caps as Record<string, number>).memoryLimitMb);

    const res = await tp.p.tenant.request(`http://localhost/env/${id}`);
    assert.equal(res.status, 504);
    assert.equal((await res.json()).error.details.limit_ms, 300);

    const cases: [string, unknown, string, string?][] = [
      ["above cap", { timeoutMs: 5_001 }, "limit_exceeds_cap", "timeoutMs"],
      ["memory above cap", { memoryLimitMb: 100_000 }, "limit_exceeds_cap", "memoryLimitMb"],
      ["a URL is not a host", { allowedHosts: ["https://x.io/"] }, "invalid_request"],
      ["a bad port", { allowedHosts: ["x.io:99999"] }, "invalid_request"],
      ["unknown field", { cpuMs: 5 }, "invalid_request"],
      ["zero", { maxBodyBytes: 0 }, "invalid_request"],
    ];
    for (const [name, body, code, field] of cases) {
      await t.step(name, async () => {
        const r = await tp.call("PUT", `${A}/scripts/${id}/policy`, { token, body });
        assert.equal(r.status, 400);
        assert.equal(r.body.error.code, code);
        if (field) assert.equal(r.body.error.details?.field, field);
      });
    }
    const puts = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          tp.call("PUT", `${A}/scripts/${id}/policy`, { token, body: { timeoutMs: 1000 + i } }),
      ),
    );
    assert.ok(puts.every((r) => r.status === 200));
  });
});
