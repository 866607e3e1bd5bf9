/**
 * @module Break 9 regression tests: a script's env (vars plus secrets) has a total size and name
 * cap, checked on the merged result under the row lock, so no sequence or race of PUTs passes it.
 */
import assert from "node:assert/strict";
import { generateSecretKey } from "../../common/secrets.ts";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";
import { MAX_ENV_NAMES, MAX_ENV_TOTAL_BYTES } from "./env_limits.ts";

const A = "/api/v1/admin";

async function newScript(t: TestPlatform) {
  const token = await t.login(OWNER.email, OWNER.password);
  const s = await t.call("POST", `${A}/scripts`, {
    token,
    body: {
      name: `env${crypto.randomUUID().slice(0, 8)}`,
      source: "export default { fetch(req, env) { return Response.json(Object.keys(env)); } };",
    },
  });
  assert.equal(s.status, 201, JSON.stringify(s.body));
  const put = (body: unknown) => t.call("PUT", `${A}/scripts/${s.body.id}/env`, { token, body });
  return { token, id: s.body.id, put };
}

function assertTooLarge(
  r: { status: number; body: { error: { code: string; details?: Record<string, unknown> } } },
) {
  assert.equal(r.status, 413, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.body.error.code, "env_too_large");
  assert.equal(r.body.error.details?.limit_bytes, MAX_ENV_TOTAL_BYTES);
  assert.equal(r.body.error.details?.limit_names, MAX_ENV_NAMES);
}

const KIB_20 = "v".repeat(20 * 1024);

Deno.test("break 9 - env vars and secrets together are capped in bytes, across PUTs", async () => {
  await withTestPlatform(async (t) => {
    const { id, put } = await newScript(t);
    // One PUT over the cap.
    const one = await put({ vars: { A: KIB_20, B: KIB_20, C: KIB_20, D: KIB_20 } });
    assertTooLarge(one);
    assert.ok((one.body.error.details!.size_bytes as number) > MAX_ENV_TOTAL_BYTES);
    // Accumulating PUTs: the merge with what is stored is measured.
    assert.equal((await put({ vars: { A: KIB_20 } })).status, 200);
    assert.equal((await put({ vars: { B: KIB_20 } })).status, 200);
    assert.equal((await put({ secrets: { S: "s".repeat(10 * 1024) } })).status, 200);
    const over = await put({ vars: { C: KIB_20 } });
    assertTooLarge(over);
    const [row] = await t.p.db.sql`select env, secrets from scripts where id = ${id}`;
    assert.deepEqual(Object.keys(row.env).sort(), ["A", "B"]);
    assert.deepEqual(Object.keys(row.secrets), ["S"]);
    // Replacing a value by a larger one is measured too; deleting makes room.
    assertTooLarge(await put({ vars: { A: "v".repeat(32 * 1024) } }));
    assert.equal((await put({ vars: { A: null, C: KIB_20 } })).status, 200);
    // Secrets count (at their sealed size).
    assertTooLarge(await put({ secrets: { T: "t".repeat(20 * 1024) } }));
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("break 9 - env names are capped, vars and secrets together", async () => {
  await withTestPlatform(async (t) => {
    const { put } = await newScript(t);
    const names = (prefix: string, n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "x"]));
    assert.equal((await put({ vars: names("V", 100) })).status, 200);
    assert.equal((await put({ secrets: names("S", MAX_ENV_NAMES - 100) })).status, 200);
    const over = await put({ vars: { ONE_MORE: "x" } });
    assertTooLarge(over);
    assert.equal(over.body.error.details?.names, MAX_ENV_NAMES + 1);
    // Changing an existing name is not an extra name.
    assert.equal((await put({ vars: { V0: "changed" } })).status, 200);
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("break 9 - parallel PUTs cannot together pass the cap (row lock)", async () => {
  await withTestPlatform(async (t) => {
    const { id, put } = await newScript(t);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => put({ vars: { [`P${i}`]: KIB_20 } })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    for (const r of results.filter((r) => r.status !== 200)) assertTooLarge(r);
    // 3 × (2 + 20 KiB) fit in 64 KiB, a fourth does not.
    assert.equal(ok, 3, results.map((r) => r.status).join(","));
    const [row] = await t.p.db.sql<{ n: number }[]>`
      select coalesce(sum(octet_length(key) + octet_length(value)), 0)::int as n
      from scripts, jsonb_each_text(env) where id = ${id}`;
    assert.ok(row.n <= MAX_ENV_TOTAL_BYTES, `stored ${row.n}`);
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});

Deno.test("break 9 - an env stored over the cap before it existed can shrink but not grow", async () => {
  await withTestPlatform(async (t) => {
    const { id, put, token } = await newScript(t);
    const big = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`OLD${i}`, KIB_20]));
    await t.p.db.sql`update scripts set env = ${t.p.db.sql.json(big)} where id = ${id}`;
    const read = await t.call("GET", `${A}/scripts/${id}/env`, { token });
    assert.equal(read.status, 200);
    assertTooLarge(await put({ vars: { NEW: "x" } }));
    assert.equal((await put({ vars: { OLD0: null } })).status, 200);
    assert.equal((await put({ vars: { OLD1: "small" } })).status, 200);
  }, { PICLOUD_SECRET_KEY: generateSecretKey() });
});
