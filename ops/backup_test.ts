/**
 * @module Tests of backup and restore end to end: a backup taken by a serving platform (requests
 * flowing) restores into a fresh data directory that serves the same script, secret and routes.
 */
import assert from "node:assert/strict";
import { createLogger } from "../common/logging.ts";
import { createPlatform, type Platform } from "../server.ts";
import { openEmbeddedTestDatabase } from "../testing/db.ts";
import { embeddedConfig, OWNER } from "./_testing.ts";
import { backupToFile, restoreFromFile } from "./mod.ts";

const A = "/api/v1/admin";
const SECRET = "backed-up-s3cret-7f1c";
const SOURCE = `export default {
  fetch(req, ctx) {
    return Response.json({ token: ctx.env.API_TOKEN, path: new URL(req.url).pathname });
  },
};`;

/** Calls the console API in process; returns the status and the JSON body. */
async function call(p: Platform, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await p.console.request(`http://localhost${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function hit(p: Platform, path: string) {
  const res = await p.tenantFetch(new Request(`http://localhost${path}`));
  return { status: res.status, body: await res.text() };
}

/** The routes as the API lists them, without ids and times (compared across a restore). */
async function routesOf(p: Platform, token: string) {
  const r = await call(p, "GET", `${A}/routes?app=default`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body.items as Record<string, unknown>[])
    .map((x) => `${x.method} ${x.host ?? "*"} ${x.path} → ${x.script_id}`).sort();
}

Deno.test("backup - taken while serving, restored into a fresh data directory, serves the same", async () => {
  const root = await Deno.makeTempDir({ prefix: "picloud-backup-" });
  const first = embeddedConfig(`${root}/a`);
  const fresh = embeddedConfig(`${root}/b`);
  const file = `${root}/out/backup.tar.gz`;
  await Deno.mkdir(`${root}/out`);
  // Files on disk like a server's, from the migrated template (initdb on disk takes ~15 s here).
  const dbA = await openEmbeddedTestDatabase(first.dataDir);
  let dbAOpen = true;
  const closeA = async () => {
    if (dbAOpen) await dbA.close();
    dbAOpen = false;
  };
  let a: Platform | undefined = await createPlatform(first, {
    db: dbA,
    log: createLogger("error"),
  });
  let b: Platform | undefined;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req, info) => a!.console.fetch(req, info),
  );
  try {
    const login = await call(a, "POST", `${A}/login`, undefined, OWNER);
    const token = login.body.token as string;
    const s = await call(a, "POST", `${A}/scripts`, token, { name: "keeper", source: SOURCE });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    const env = await call(a, "PUT", `${A}/scripts/${s.body.id}/env`, token, {
      secrets: { API_TOKEN: SECRET },
    });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    for (const path of ["/kept", "/kept/too"]) {
      const r = await call(a, "POST", `${A}/routes`, token, {
        app_id: "default",
        script_id: s.body.id,
        method: "GET",
        path,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const want = await hit(a, "/kept");
    assert.equal(want.status, 200);
    assert.equal(JSON.parse(want.body).token, SECRET);
    const routes = await routesOf(a, token);
    const key = await call(a, "POST", `${A}/api-keys`, token, { name: "backup" });
    assert.equal(key.status, 201, JSON.stringify(key.body));

    // Requests (and their execution-log writes) flow during the backup; bounded in count and time.
    let stop = false;
    const seen: number[] = [];
    const traffic = (async () => {
      const until = Date.now() + 60_000;
      for (let i = 0; i < 5_000 && !stop && Date.now() < until; i++) {
        seen.push((await hit(a!, i % 2 ? "/kept" : "/kept/too")).status);
      }
    })();
    const started = performance.now();
    const result = await backupToFile(first, file, {
      url: `http://127.0.0.1:${server.addr.port}`,
      apiKey: key.body.key,
    }).finally(() => stop = true);
    const backupMs = Math.round(performance.now() - started);
    await traffic;
    assert.equal(result.via, "server");
    assert.equal(result.manifest.secret_key.source, "file");
    assert.ok(result.manifest.schema_version >= 6);
    assert.ok(seen.length > 0 && seen.every((x) => x === 200), `statuses ${seen.slice(0, 20)}`);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    console.log(
      `backup over loopback while serving: ${backupMs} ms, ${result.bytes} bytes, ` +
        `${seen.length} requests served meanwhile`,
    );

    await a.close();
    a = undefined;
    await closeA();

    const restored = await restoreFromFile(fresh, file);
    assert.equal(restored.replaced, false);
    assert.deepEqual(restored.warnings, []);
    assert.equal((await Deno.stat(`${root}/b/secret.key`)).mode! & 0o777, 0o600);
    b = await createPlatform(fresh, { log: createLogger("error") });
    const again = await hit(b, "/kept");
    assert.equal(again.status, 200, again.body);
    assert.deepEqual(JSON.parse(again.body), JSON.parse(want.body));
    assert.equal(JSON.parse((await hit(b, "/kept/too")).body).token, SECRET);
    const relogin = await call(b, "POST", `${A}/login`, undefined, OWNER);
    assert.deepEqual(await routesOf(b, relogin.body.token), routes);
  } finally {
    await server.shutdown();
    await a?.close();
    await closeA();
    await b?.close();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});
