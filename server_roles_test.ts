/**
 * @module Tests of the serving roles, in process: what each of `all`, `node` and `manager` listens
 * on, what answers there, and whether it fires schedules.
 */
import assert from "node:assert/strict";
import { parseConfig, type Role } from "./common/config.ts";
import { createLogger } from "./common/logging.ts";
import { insertTestApp, insertTestSchedule, openTestDatabase } from "./testing/db.ts";
import { createPlatform, startListeners } from "./server.ts";

const source = `export default {
  fetch: () => new Response("hi"),
  async scheduled() {},
};`;

/** Runs a platform of `role` on free ports with a schedule due every second, for `fn`. */
async function withRole(
  role: Role,
  fn: (
    p: {
      tenantPort?: number;
      consolePort?: number;
      runs: () => Promise<number>;
      log: string[];
      /** From now on every query of the platform fails, as when PostgreSQL is gone. */
      loseDatabase: () => void;
    },
  ) => Promise<void>,
) {
  const db = await openTestDatabase();
  let lost = false;
  const sql = new Proxy(db.sql, {
    apply: (target, self, args) => {
      if (!lost) return Reflect.apply(target, self, args);
      // A query that fails when awaited; a fragment that is never awaited rejects nothing.
      const failed = Promise.reject(new Error("connection refused (test)"));
      failed.catch(() => {});
      return failed;
    },
  });
  const lines: string[] = [];
  const log = createLogger("info", (line) => lines.push(line));
  const config = {
    ...parseConfig({ PORT: "0", PICLOUD_CONSOLE_PORT: "0", PICLOUD_HOSTNAME: "127.0.0.1" }),
    hostname: "127.0.0.1",
    console: { port: 0, hostname: "127.0.0.1", shared: false },
    role,
  };
  const platform = await createPlatform(config, { db: { ...db, sql }, log });
  const script = await insertTestApp(db.sql, {
    slug: "cron",
    host: "cron.test",
    source,
  });
  await insertTestSchedule(db.sql, script, "* * * * * *");
  await platform.routing.reload();
  const listening = await startListeners(config, platform, log, { where: "test", started: 0 });
  try {
    await fn({
      ...listening,
      log: lines,
      loseDatabase: () => lost = true,
      runs: async () => {
        const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from schedule_runs`;
        return n;
      },
    });
  } finally {
    await Promise.all(listening.listeners.map((l) => l.shutdown()));
    await platform.close();
    await db.close();
  }
}

async function get(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.body?.cancel();
  return res.status;
}

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("roles - all: tenant and console ports, schedules fire", async () => {
  await withRole("all", async (p) => {
    assert.ok(p.tenantPort && p.consolePort && p.tenantPort !== p.consolePort);
    assert.equal(await get(p.tenantPort, "/"), 200);
    assert.equal(await get(p.consolePort, "/readyz"), 200);
    assert.ok(await until(async () => await p.runs() > 0, 15_000), "no schedule ran");
    assert.match(p.log.join("\n"), /PiCloud listening on .*\(role all\)/);
  });
});

Deno.test("roles - node: the tenant port only (probes there), schedules fire", async () => {
  await withRole("node", async (p) => {
    assert.ok(p.tenantPort);
    assert.equal(p.consolePort, undefined);
    assert.equal(await get(p.tenantPort, "/"), 200);
    assert.equal(await get(p.tenantPort, "/healthz"), 200);
    assert.ok(await until(async () => await p.runs() > 0, 15_000), "no schedule ran");
    assert.match(p.log.join("\n"), /PiCloud node listening on .*no console here \(role node\)/);
    // A node leaves the first owner (and the setup URL) to the manager.
    assert.doesNotMatch(p.log.join("\n"), /No admin user yet/);
    // No admin API and no console on a node: a host no app claims gets 404, never the console.
    for (const path of ["/api/v1/apps", "/api/v1/auth/me", "/console/", "/login"]) {
      const res: Response = await fetch(`http://127.0.0.1:${p.tenantPort}${path}`, {
        headers: { host: "console.nobody.test" },
      });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /<html|<form|"apps"|password/i, path);
    }
    // PostgreSQL gone: the node keeps serving its last snapshot and stays in rotation, degraded.
    p.loseDatabase();
    assert.equal(await get(p.tenantPort, "/"), 200);
    const ready: Response = await fetch(`http://127.0.0.1:${p.tenantPort}/readyz`);
    const body = await ready.json();
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.equal(body.status, "degraded");
    assert.equal(body.checks.database.state, "down");
  });
});

Deno.test("roles - manager: the console port only, no schedule fires", async () => {
  await withRole("manager", async (p) => {
    assert.ok(p.consolePort);
    assert.equal(p.tenantPort, undefined);
    assert.equal(await get(p.consolePort, "/healthz"), 200);
    assert.equal(await get(p.consolePort, "/readyz"), 200);
    // The console port never serves tenant traffic.
    assert.equal(await get(p.consolePort, "/"), 404);
    // A schedule due every second, for well over a second: none runs here.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await p.runs(), 0);
    assert.match(p.log.join("\n"), /PiCloud manager: console .*no schedules here \(role manager\)/);
  });
});
