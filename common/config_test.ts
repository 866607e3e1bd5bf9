import assert from "node:assert/strict";
import { ConfigError, defaultMaxExecutors, parseConfig } from "./config.ts";

Deno.test("parseConfig() - defaults with an empty environment", () => {
  const c = parseConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, "./.picloud/data");
  assert.equal(c.limits.timeoutMs, 30_000);
  assert.deepEqual(c.consoleHosts, []);
});

Deno.test("parseConfig() - reads and coerces values", () => {
  const c = parseConfig({
    PORT: "9001",
    DATABASE_URL: "postgres://u@127.0.0.1:5432/db",
    PICLOUD_CONSOLE_HOSTS: "Admin.Example.com, console.local",
    PICLOUD_TIMEOUT_MS: "1500",
    UNRELATED: "x",
  });
  assert.equal(c.port, 9001);
  assert.equal(c.databaseUrl, "postgres://u@127.0.0.1:5432/db");
  assert.deepEqual(c.consoleHosts, ["admin.example.com", "console.local"]);
  assert.equal(c.limits.timeoutMs, 1500);
});

Deno.test("parseConfig() - a bad value names the variable", async (t) => {
  const cases: [string, Record<string, string>][] = [
    ["PORT", { PORT: "eighty" }],
    ["PORT", { PORT: "70000" }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
    ["PICLOUD_TIMEOUT_MS", { PICLOUD_TIMEOUT_MS: "-1" }],
    ["PICLOUD_LOG_LEVEL", { PICLOUD_LOG_LEVEL: "loud" }],
    ["PICLOUD_MEMORY_PROFILE", { PICLOUD_MEMORY_PROFILE: "tiny" }],
  ];
  for (const [variable, env] of cases) {
    await t.step(variable, () => {
      assert.throws(() => parseConfig(env), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.issues[0].variable, variable);
        assert.match(e.message, new RegExp(variable));
        return true;
      });
    });
  }
});

Deno.test("defaultMaxExecutors() - the executor cap follows the machine's memory, clamped", () => {
  assert.equal(defaultMaxExecutors(1024), 2);
  assert.equal(defaultMaxExecutors(2048), 8);
  assert.equal(defaultMaxExecutors(4096), 24);
  assert.equal(defaultMaxExecutors(64 * 1024), 64);
  assert.equal(defaultMaxExecutors(null), 16);
  assert.equal(parseConfig({}, { totalMemoryMb: 4096 }).maxExecutors, 24);
  assert.equal(parseConfig({}, { totalMemoryMb: 4096 }).executorQueue, 16 * 24);
  const set = parseConfig({ PICLOUD_MAX_EXECUTORS: "3", PICLOUD_EXECUTOR_QUEUE: "7" }, {
    totalMemoryMb: 4096,
  });
  assert.equal(set.maxExecutors, 3);
  assert.equal(set.executorQueue, 7);
});

Deno.test("config - PICLOUD_MEMORY_PROFILE: small by default, large on request", () => {
  assert.equal(parseConfig({}).memoryProfile, "small");
  assert.equal(parseConfig({ PICLOUD_MEMORY_PROFILE: "large" }).memoryProfile, "large");
});

Deno.test("config - PICLOUD_ROLE: all by default; manager and node need DATABASE_URL", () => {
  assert.equal(parseConfig({}).role, "all");
  const pg = "postgres://picloud@db.example/picloud";
  assert.equal(parseConfig({ PICLOUD_ROLE: "node", DATABASE_URL: pg }).role, "node");
  assert.equal(parseConfig({ PICLOUD_ROLE: "manager", DATABASE_URL: pg }).role, "manager");
  for (const role of ["manager", "node"]) {
    assert.throws(
      () => parseConfig({ PICLOUD_ROLE: role }),
      (err) =>
        err instanceof ConfigError && /^PICLOUD_ROLE: role \w+ needs DATABASE_URL/.test(
          err.message.replace("Invalid configuration: ", ""),
        ),
    );
  }
  assert.throws(() => parseConfig({ PICLOUD_ROLE: "worker" }), /PICLOUD_ROLE/);
});
