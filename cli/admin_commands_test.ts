/**
 * @module Tests of `picloud admin create | reset-password`, in process against an embedded data
 * directory in a temp dir: password sources and policy, exit codes, sessions ended, a data
 * directory in use, and that no password or hash is ever printed.
 */

import assert from "node:assert/strict";
import { runCli } from "./program.ts";
import { type AdminIo, readPassword } from "./admin_commands.ts";
import { parseConfig } from "../common/config.ts";
import { openDatabase } from "../common/db.ts";
import { createIdentityParts } from "../manager/mod.ts";
import { login } from "../manager/sessions/service.ts";

/** Runs the CLI in process with `stdin` (a pipe unless `terminal`), capturing what it prints. */
async function cli(
  args: string[],
  env: Record<string, string>,
  stdin = "",
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: AdminIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    stdin: {
      readable: new Blob([stdin]).stream(),
      isTerminal: () => false,
    },
  };
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const OLD = "first-secret-1";
const NEW = "second-secret-2";

Deno.test("admin - create and reset-password offline: sources, policy, exit codes, sessions", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "picloud-admin-" });
  // Cheap hashing: the parameters are the operator's, the flow is the same.
  const env = {
    PICLOUD_DATA_DIR: dir,
    PICLOUD_ARGON2_MEMORY_KIB: "1024",
    PICLOUD_ARGON2_ITERATIONS: "1",
  };
  const config = parseConfig(env);
  const signIn = async (sql: Parameters<typeof login>[0]["sql"], password: string) =>
    await login({ sql, config, ...createIdentityParts(config.auth) }, {
      email: "owner@example.com",
      password,
      addr: "192.0.2.1",
      userAgent: null,
    });
  const printed: string[] = [];
  const run = async (args: string[], extraEnv: Record<string, string> = {}, stdin = "") => {
    const r = await cli(args, { ...env, ...extraEnv }, stdin);
    printed.push(r.out, r.err);
    return r;
  };
  try {
    await t.step("refused before the database is opened: exit 2", async () => {
      const none = await run(["admin", "create", "--email", "owner@example.com"]);
      assert.equal(none.code, 2);
      assert.match(none.err, /no password: pass --password-stdin .* PICLOUD_ADMIN_PASSWORD/);
      const weak = await run(["admin", "create", "--email", "owner@example.com"], {
        PICLOUD_ADMIN_PASSWORD: "short",
      });
      assert.equal(weak.code, 2);
      assert.equal(weak.err, "picloud: password: At least 8 characters");
      const weakJson = await run(
        [
          "--json",
          "admin",
          "reset-password",
          "--email",
          "owner@example.com",
          "--password-stdin",
        ],
        {},
        "short\n",
      );
      assert.equal(weakJson.code, 2);
      assert.equal(JSON.parse(weakJson.err).error.code, "weak_password");
      const role = await run(["admin", "create", "--email", "o@example.com", "--role", "member"], {
        PICLOUD_ADMIN_PASSWORD: OLD,
      });
      assert.equal(role.code, 2);
      assert.match(role.err, /--role must be owner or admin/);
      const email = await run(["admin", "create", "--email", "not-an-email"], {
        PICLOUD_ADMIN_PASSWORD: OLD,
      });
      assert.equal(email.code, 2);
      assert.match(email.err, /^picloud: --email: /);
      // Nothing was opened: the data directory is still empty.
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    });

    await t.step(
      "create: migrates a fresh database first, password from stdin; the first user owns",
      async () => {
        const r = await run(
          ["admin", "create", "--email", "owner@example.com", "--password-stdin"],
          {},
          `${OLD}\r\nignored second line\n`,
        );
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, /applied \d+ migration\(s\) first/);
        assert.match(r.out, /^created owner owner@example\.com \(id [0-9a-f-]{36}\)$/);
      },
    );

    await t.step("create: a taken email (any case) is exit 1, email_taken", async () => {
      const r = await run(["--json", "admin", "create", "--email", "OWNER@example.com"], {
        PICLOUD_ADMIN_PASSWORD: OLD,
      });
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.err).error.code, "email_taken");
    });

    await t.step("create: later users are admins unless --role owner", async () => {
      const r = await run(["admin", "create", "--email", "ops@example.com"], {
        PICLOUD_ADMIN_PASSWORD: OLD,
      });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^created admin ops@example\.com /);
    });

    await t.step("reset-password: an unknown email is exit 5", async () => {
      const r = await run(["admin", "reset-password", "--email", "nobody@example.com"], {
        PICLOUD_ADMIN_PASSWORD: NEW,
      });
      assert.equal(r.code, 5);
      assert.match(r.err, /^picloud: No user with the email nobody@example\.com$/);
    });

    await t.step("a data directory in use is exit 3 with one line", async () => {
      const db = await openDatabase({ dataDir: dir });
      try {
        await signIn(db.sql, OLD); // a session that the reset below must end
        const r = await run(["admin", "reset-password", "--email", "owner@example.com"], {
          PICLOUD_ADMIN_PASSWORD: NEW,
        });
        assert.equal(r.code, 3);
        assert.match(r.err, /^picloud: The data directory .* is in use .*: stop the server first/);
        assert.equal(r.err.split("\n").length, 1);
      } finally {
        await db.close();
      }
    });

    await t.step("reset-password: new password, the user's sessions end", async () => {
      const r = await run(
        ["--json", "admin", "reset-password", "--email", "Owner@Example.com", "--password-stdin"],
        {},
        `${NEW}\n`,
      );
      assert.equal(r.code, 0, r.err);
      const body = JSON.parse(r.out);
      assert.equal(body.user.email, "owner@example.com");
      assert.equal(body.user.instance_role, "owner");
      assert.equal(body.sessions_ended, 1);
      const db = await openDatabase({ dataDir: dir });
      try {
        assert.equal((await db.sql`select id from sessions`).length, 0);
        await assert.rejects(signIn(db.sql, OLD), /not correct/);
        assert.equal((await signIn(db.sql, NEW)).user.email, "owner@example.com");
        const audit = await db.sql<{ action: string; actor_user_id: string | null; via: string }[]>`
          select action, actor_user_id, after->>'via' as via from audit_log order by at`;
        assert.deepEqual(audit.map((a) => [a.action, a.actor_user_id, a.via]), [
          ["user.create", null, "cli"],
          ["user.create", null, "cli"],
          ["user.update", null, "cli"],
        ]);
      } finally {
        await db.close();
      }
    });

    const all = printed.join("\n");
    for (const secret of [OLD, NEW, "$argon2"]) assert.ok(!all.includes(secret), secret);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("admin - on a terminal the password is asked twice with echo off; Backspace erases", async () => {
  const raw: boolean[] = [];
  const asked: string[] = [];
  const terminal = (typed: string): AdminIo => ({
    out: () => {},
    err: () => {},
    env: {},
    stdin: {
      // Both answers in one chunk, as a paste delivers them: the second is not lost.
      readable: new Blob([typed]).stream(),
      isTerminal: () => true,
      setRaw: (on) => void raw.push(on),
      ask: (text) => void asked.push(text),
    },
  });
  const pw = await readPassword(terminal("secret-pX\x7fw\rsecret-pw\r"), false);
  assert.equal(pw, "secret-pw");
  assert.deepEqual(asked, ["Password: ", "Password again: "]);
  assert.deepEqual(raw, [true, false, true, false]);
  await assert.rejects(
    readPassword(terminal("secret-pw\rsecret-px\r"), false),
    /the two passwords differ/,
  );
  await assert.rejects(readPassword(terminal("secr\x03"), false), /aborted/);
  // PICLOUD_ADMIN_PASSWORD comes before the prompt; --password-stdin before both.
  const io = { ...terminal("typed\r"), env: { PICLOUD_ADMIN_PASSWORD: "from-env-1" } };
  assert.equal(await readPassword(io, false), "from-env-1");
  assert.equal(await readPassword(io, true), "typed");
});
