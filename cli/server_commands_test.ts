/** @module Tests of `picloud serve --role` (what is refused before anything starts) and `picloud migrate`. */

import assert from "node:assert/strict";
import { cli } from "./_testing.ts";
import { loadConfig, migrateText } from "./server_commands.ts";

const PG = "postgres://picloud@127.0.0.1:1/picloud";

Deno.test("serve --role - split roles on the embedded database exit 2 with one line", async () => {
  for (
    const [args, env] of [
      [["serve", "--role", "node"], {}],
      [["serve", "--role", "manager"], {}],
      // The variable alone is read from the CLI's environment...
      [["serve"], { PICLOUD_ROLE: "manager" }],
      // ...and the flag wins over it.
      [["serve", "--role", "node"], { PICLOUD_ROLE: "all" }],
    ] as [string[], Record<string, string>][]
  ) {
    const r = await cli(args, { PICLOUD_DATA_DIR: "/nonexistent/picloud", ...env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /^picloud: .*PICLOUD_ROLE: role (node|manager) needs DATABASE_URL/);
    assert.equal(r.err.split("\n").length, 1);
  }
  const bad = await cli(["serve", "--role", "worker"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /argument 'worker' is invalid.*Allowed choices are all, manager, node/);
  // An unknown flag or a stray argument is refused too, never ignored.
  for (const args of [["serve", "--bogus"], ["serve", "node"], ["serve", "--role"]]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /unknown option|too many arguments|argument missing/, args.join(" "));
  }
});

Deno.test("serve --role - the flag wins over PICLOUD_ROLE; unset, all", async () => {
  const env = { DATABASE_URL: PG, PICLOUD_ROLE: "node" };
  assert.equal((await loadConfig(env)).role, "node");
  assert.equal((await loadConfig(env, { PICLOUD_ROLE: "manager" })).role, "manager");
  assert.equal((await loadConfig(env, { PICLOUD_ROLE: undefined })).role, "node");
  assert.equal((await loadConfig({})).role, "all");
});

Deno.test("serve, migrate, admin - --help has a description, options and an example", async () => {
  for (
    const args of [
      ["serve"],
      ["migrate"],
      ["admin"],
      ["admin", "create"],
      ["admin", "reset-password"],
    ]
  ) {
    const r = await cli([...args, "--help"]);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.out, new RegExp(`Usage: picloud ${args.join(" ")}`));
    assert.match(r.out, /Options:/);
    assert.match(r.out, /Examples?:\n {2}picloud /, args.join(" "));
  }
  const create = await cli(["admin", "create", "--help"]);
  assert.match(create.out, /--role <role>.*\(default: owner for the first/);
});

Deno.test("migrate - lists what it applied, then says the schema is current; --json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "picloud-migrate-" });
  try {
    const env = { PICLOUD_DATA_DIR: dir };
    const first = await cli(["migrate"], env);
    assert.equal(first.code, 0, first.err);
    const lines = first.out.split("\n");
    assert.equal(lines[0], "applied 0001_init");
    assert.ok(lines.includes("applied 0006_bundle_maps"), first.out);
    const version = Number(/^schema now at (\d+)$/.exec(lines.at(-1)!)?.[1]);
    assert.equal(lines.length, version + 1);
    const again = await cli(["--json", "migrate"], env);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(JSON.parse(again.out), { applied: [], version });
    assert.equal(migrateText({ applied: [], version }), `schema current at ${version}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrate, admin - an unreachable database is exit 3 with one line", async () => {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const env = { DATABASE_URL: PG, PICLOUD_ADMIN_PASSWORD: "long-enough-1" };
  for (const args of [["migrate"], ["admin", "reset-password", "--email", "a@example.com"]]) {
    const r = await cli(args, env);
    assert.equal(r.code, 3, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /^picloud: cannot reach the database: .*ECONNREFUSED/);
    assert.equal(r.err.split("\n").length, 1);
  }
});
