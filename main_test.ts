import assert from "node:assert/strict";
import { openDatabase } from "./common/db.ts";
import { baseEnv, MAIN_PATH, startMainServer } from "./testing/server_process.ts";

Deno.test("main serve - fresh install serves Hello World; restart keeps data without reseeding", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    for (const round of [1, 2]) {
      const s = await startMainServer({ PICLOUD_DATA_DIR: dataDir });
      const res = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { host: "localhost" } });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "Hello World\n");
      // The console has its own port: the tenant port does not serve the API, and vice versa.
      const health = await fetch(`http://127.0.0.1:${s.consolePort}/api/v1/health`);
      assert.deepEqual(await health.json(), { status: "ok" });
      const notApi = await fetch(`http://127.0.0.1:${s.port}/api/v1/health`);
      assert.equal((await notApi.json()).error.code, "no_route");
      const notTenant = await fetch(`http://127.0.0.1:${s.consolePort}/`);
      assert.equal((await notTenant.json()).error.code, "not_found");
      s.child.kill("SIGTERM");
      const status = await s.child.status;
      await s.drained;
      assert.equal(status.code, 0, s.output());
      assert.equal(s.output().includes("seeded Hello World"), round === 1);
    }
    const db = await openDatabase({ dataDir });
    try {
      const [{ n }] = await db.sql`select count(*)::int as n from scripts`;
      assert.equal(n, 1);
      const [{ m }] = await db.sql`select coalesce(sum(n), 0)::int as m from execution_log_blocks`;
      assert.equal(m, 2, "both requests were logged before shutdown");
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("main - a bad configuration value stops start-up naming the variable", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_PATH, "serve"],
    clearEnv: true,
    env: { ...baseEnv(), PORT: "not-a-port" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /PORT/);
});

Deno.test("main - unknown commands print usage and exit 2", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN_PATH, "frobnicate"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /Usage: picloud/);
});
