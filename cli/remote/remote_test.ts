/**
 * @module The remote commands end to end: a real platform on loopback ports (embedded database),
 * an owner's API key, and `picloud login | deploy | logs | … list | rollback` run in process.
 */

import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../../testing/platform.ts";
import { runCli } from "../program.ts";
import type { RemoteIo } from "./terminal.ts";

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in process with `env`, optional stdin text and stop signal. */
async function cli(
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: string; signal?: AbortSignal; out?: string[] } = {},
): Promise<Run> {
  const out = opts.out ?? [];
  const err: string[] = [];
  const io: RemoteIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env,
    stdin: ReadableStream.from([new TextEncoder().encode(opts.stdin ?? "")]),
    signal: opts.signal,
  };
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Served {
  t: TestPlatform;
  api: string;
  tenant: string;
  key: string;
  home: string;
}

async function withServed(fn: (s: Served) => Promise<void>) {
  await withTestPlatform(async (t) => {
    const consoleServer = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req, info) => t.p.console.fetch(req, info),
    );
    const tenantServer = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req, info) => t.p.tenantFetch(req, info),
    );
    const home = await Deno.makeTempDir({ prefix: "picloud-cli-" });
    try {
      const token = await t.login(OWNER.email, OWNER.password);
      const made = await t.call("POST", "/api/v1/admin/api-keys", { token, body: { name: "cli" } });
      assert.equal(made.status, 201);
      await fn({
        t,
        api: `http://127.0.0.1:${consoleServer.addr.port}`,
        tenant: `http://127.0.0.1:${tenantServer.addr.port}`,
        key: made.body.key,
        home,
      });
    } finally {
      await consoleServer.shutdown();
      await tenantServer.shutdown();
      await Deno.remove(home, { recursive: true });
    }
  });
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

const HELLO = `export default {
  fetch: (req: Request, env: unknown, ctx: { params: Record<string, string> }) =>
    new Response("hello " + ctx.params.name),
};
`;

Deno.test({
  name: "remote cli - login, deploy a file and a folder, a refusal, logs, lists, rollback",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withServed(async (s) => {
      const env = { HOME: s.home };
      const work = `${s.home}/work`;
      await Deno.mkdir(work);

      await t.step("login checks the key and stores it 0600 in a 0700 directory", async () => {
        const r = await cli(["login", s.api, "--api-key-stdin"], env, { stdin: s.key + "\n" });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /logged in to http:\/\/127\.0\.0\.1:\d+ as owner@example\.com/);
        assert.ok(!r.out.includes(s.key) && !r.err.includes(s.key), "the key is never printed");
        const path = `${s.home}/.config/picloud/config.json`;
        assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
        assert.equal((await Deno.stat(`${s.home}/.config/picloud`)).mode! & 0o777, 0o700);
        assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { url: s.api, apiKey: s.key });
      });

      await t.step("deploy a file creates the script and its route, and it serves", async () => {
        await Deno.writeTextFile(`${work}/hello.ts`, HELLO);
        const r = await cli(
          ["deploy", `${work}/hello.ts`, "--app", "default", "--route", "GET /hello/:name"],
          env,
        );
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, /creating script hello in app default with \d+ B/);
        assert.match(r.err, /added route GET \/hello\/:name/);
        assert.match(r.out, /hello v1 is live in app default/);
        assert.match(
          r.out,
          /GET \/hello\/:name {2}on (localhost, 127\.0\.0\.1|127\.0\.0\.1, localhost)/,
        );
        assert.deepEqual(await get(`${s.tenant}/hello/ann`), { status: 200, text: "hello ann" });
        await Deno.writeTextFile(
          `${work}/boom.js`,
          `export default { fetch() { throw new Error("boom\\nmore"); } };\n`,
        );
        const boom = await cli([
          "deploy",
          `${work}/boom.js`,
          "--app",
          "default",
          "--route",
          "/boom",
        ], env);
        assert.equal(boom.code, 0, boom.err);
        assert.equal((await get(`${s.tenant}/boom`)).status, 500);
      });

      await t.step(
        "deploy a folder packs it (no node_modules, no dotfiles) and it serves",
        async () => {
          await Deno.mkdir(`${work}/site/lib`, { recursive: true });
          await Deno.mkdir(`${work}/site/node_modules/x`, { recursive: true });
          await Deno.writeTextFile(
            `${work}/site/main.ts`,
            `import { greet } from "./lib/greet.ts";\n` +
              `export default { fetch: () => new Response(greet("folder")) };\n`,
          );
          await Deno.writeTextFile(
            `${work}/site/lib/greet.ts`,
            `export const greet = (who: string): string => "hi " + who;\n`,
          );
          await Deno.writeTextFile(`${work}/site/node_modules/x/index.js`, "\u0000 not text");
          await Deno.writeTextFile(`${work}/site/.env`, "SECRET=1");
          const r = await cli(
            ["--json", "deploy", `${work}/site`, "--app", "default", "--route", "GET /site"],
            env,
          );
          assert.equal(r.code, 0, r.err);
          const result = JSON.parse(r.out);
          assert.equal(result.entry, "main.ts");
          assert.equal(result.script.name, "site");
          assert.equal(result.routes[0].path, "/site");
          assert.deepEqual(await get(`${s.tenant}/site`), { status: 200, text: "hi folder" });
          // Without --json the progress names the files packed.
          const again = await cli(["deploy", `${work}/site`, "--app", "default"], env);
          assert.equal(again.code, 0, again.err);
          assert.match(again.err, /packed 2 files/);
          assert.match(again.err, /uploading \d+(\.\d)? K?B/);
          assert.match(again.out, /site v2 is live/);
        },
      );

      await t.step(
        "a refused deploy prints file:line:col and exits 1, leaving no script",
        async () => {
          await Deno.mkdir(`${work}/broken/lib`, { recursive: true });
          await Deno.writeTextFile(
            `${work}/broken/main.ts`,
            `import { x } from "./lib/x.ts";\nexport default { fetch: () => new Response(x) };\n`,
          );
          await Deno.writeTextFile(
            `${work}/broken/lib/x.ts`,
            `export const x = "a";\nlet = = 1;\n`,
          );
          const r = await cli(["deploy", `${work}/broken`, "--app", "default"], env);
          assert.equal(r.code, 1, r.err);
          assert.match(r.err, new RegExp(`${work}/broken/lib/x\\.ts:2:\\d+ `));
          const list = await cli(["--json", "scripts", "list", "--app", "default"], env);
          assert.ok(!JSON.parse(list.out).some((x: { name: string }) => x.name === "broken"));

          await Deno.writeTextFile(
            `${work}/bad.js`,
            `export default {\n  fetch() { return ;; }}}\n`,
          );
          const raw = await cli(["deploy", `${work}/bad.js`, "--app", "default"], env);
          assert.equal(raw.code, 1, raw.err);
          assert.match(raw.err, new RegExp(`${work}/bad\\.js:\\d+(:\\d+)? `));
          assert.match(raw.err, /^picloud: /m);
        },
      );

      await t.step("logs shows the requests; --json prints one object per line", async () => {
        // The log writer flushes every 20 ms in tests: wait (bounded) for the row.
        let r: Run = { code: -1, out: "", err: "" };
        for (let i = 0; i < 50; i++) {
          r = await cli(["logs", "--app", "default"], env);
          if (r.out.includes("/hello/ann") && r.out.includes("/boom")) break;
          await new Promise((ok) => setTimeout(ok, 50));
        }
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /^TIME +STATUS +MS +SCRIPT +REQUEST/);
        assert.match(r.out, /200 +\d+ +hello +GET \/hello\/ann/);
        assert.match(r.out, /500 +\d+ +boom +GET \/boom +rejected: Error: boom$/m);
        const json = await cli(["--json", "logs", "--app", "default", "--script", "site"], env);
        const lines = json.out.split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.length >= 1 && lines.every((l) => l.path === "/site"));
      });

      await t.step("logs --follow prints entries as they come until stopped", async () => {
        const ac = new AbortController();
        const out: string[] = [];
        const running = cli(["logs", "--app", "default", "--follow"], env, {
          signal: ac.signal,
          out,
        });
        const deadline = Date.now() + 10_000;
        while (!out.some((l) => l.includes("/hello/live")) && Date.now() < deadline) {
          await get(`${s.tenant}/hello/live`);
          await new Promise((ok) => setTimeout(ok, 100));
        }
        ac.abort();
        const r = await running;
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /200 +\d+ +hello +GET \/hello\/live/);
      });

      await t.step("lists: aligned tables, and arrays with --json", async () => {
        const token = await s.t.login(OWNER.email, OWNER.password);
        const scripts = await cli(["--json", "scripts", "list", "--app", "default"], env);
        const hello = JSON.parse(scripts.out).find((x: { name: string }) => x.name === "hello");
        const made = await s.t.call("POST", "/api/v1/admin/schedules", {
          token,
          body: { app_id: "default", script_id: hello.id, cron: "0 3 * * *", enabled: false },
        });
        assert.equal(made.status, 201);

        const apps = await cli(["apps", "list"], env);
        assert.equal(apps.code, 0, apps.err);
        assert.match(apps.out, /^SLUG +NAME +ROLE +CREATED\ndefault +/);
        const table = await cli(["scripts", "list", "--app", "default"], env);
        assert.match(table.out, /^NAME +VERSION +UPDATED +ID$/m);
        assert.match(table.out, /^hello +1 +/m);
        const routes = await cli(["routes", "list", "--app", "default"], env);
        assert.match(routes.out, /^GET +\/hello\/:name +\* +hello$/m);
        const sched = await cli(["schedules", "list", "--app", "default"], env);
        assert.match(sched.out, /^hello +0 3 \* \* \* +UTC +no /m);
        const jsonApps = await cli(["apps", "list", "--json"], env);
        assert.ok(Array.isArray(JSON.parse(jsonApps.out)));
        const jsonRoutes = await cli(["--json", "routes", "list", "--app", "default"], env);
        const paths = JSON.parse(jsonRoutes.out).map((r: { path: string }) => r.path);
        assert.ok(paths.includes("/hello/:name") && paths.includes("/site"), paths.join());
      });

      await t.step("rollback makes an earlier version live again", async () => {
        await Deno.writeTextFile(
          `${work}/hello.ts`,
          `export default { fetch: () => new Response("v3") };\n`,
        );
        assert.equal((await cli(["deploy", `${work}/hello.ts`, "--app", "default"], env)).code, 0);
        assert.equal((await get(`${s.tenant}/hello/bob`)).text, "v3");
        const r = await cli(["rollback", "hello", "1", "--app", "default"], env);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /hello v1 is live again/);
        assert.equal((await get(`${s.tenant}/hello/bob`)).text, "hello bob");
        const missing = await cli(["rollback", "hello", "99", "--app", "default"], env);
        assert.equal(missing.code, 5);
      });

      await t.step("exit codes: bad key 4, unknown app 5, server down 3", async () => {
        const bad = await cli(["apps", "list"], { ...env, PICLOUD_API_KEY: "pc_nope_nope" });
        assert.equal(bad.code, 4, bad.err);
        const badLogin = await cli(["login", s.api, "--api-key-stdin"], {
          HOME: `${s.home}/other`,
        }, { stdin: "pc_nope_nope" });
        assert.equal(badLogin.code, 4);
        await assert.rejects(Deno.stat(`${s.home}/other/.config/picloud/config.json`));
        const unknown = await cli(["--json", "scripts", "list", "--app", "nope"], env);
        assert.equal(unknown.code, 5);
        assert.equal(JSON.parse(unknown.err).error.code, "app_not_found");
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (closed.addr as Deno.NetAddr).port;
        closed.close();
        const down = await cli(["apps", "list"], { ...env, PICLOUD_URL: `127.0.0.1:${port}` });
        assert.equal(down.code, 3);
        assert.match(down.err, new RegExp(`Cannot reach http://127\\.0\\.0\\.1:${port}`));
        const none = await cli(["apps", "list"], { HOME: `${s.home}/nobody` });
        assert.equal(none.code, 4);
        assert.match(none.err, /Not logged in/);
      });

      await t.step("login --email makes a key for this machine; logout forgets it", async () => {
        const other = { HOME: `${s.home}/mail`, HOSTNAME: "testbox" };
        const r = await cli(
          ["login", s.api, "--email", OWNER.email, "--password-stdin"],
          other,
          { stdin: OWNER.password },
        );
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, /picloud-cli@testbox/);
        const stored = JSON.parse(
          await Deno.readTextFile(`${s.home}/mail/.config/picloud/config.json`),
        );
        assert.match(stored.apiKey, /^pc_/);
        assert.equal((await cli(["apps", "list"], other)).code, 0);
        const out = await cli(["logout"], other);
        assert.equal(out.code, 0);
        assert.equal((await cli(["apps", "list"], other)).code, 4);
      });
    });
  },
});

Deno.test("remote cli - every remote command has --help with an example", async () => {
  const commands = [
    ["login"],
    ["logout"],
    ["deploy"],
    ["logs"],
    ["apps", "list"],
    ["scripts", "list"],
    ["routes", "list"],
    ["schedules", "list"],
    ["rollback"],
  ];
  for (const c of commands) {
    const r = await cli([...c, "--help"], {});
    assert.equal(r.code, 0, c.join(" "));
    assert.match(r.out, /Examples?:\n {2}picloud /, c.join(" "));
  }
});

Deno.test("remote cli - bad usage is exit 2 before any request", async () => {
  const noApp = await cli(["deploy", "x.ts"], {});
  assert.equal(noApp.code, 2);
  assert.match(noApp.err, /--app <slug>/);
  const env = { PICLOUD_URL: "http://127.0.0.1:9", PICLOUD_API_KEY: "pc_x_y" };
  const route = await cli(["deploy", "x.ts", "--app", "a", "--route", "GET nowhere"], env);
  assert.equal(route.code, 2);
  const limit = await cli(["logs", "--app", "a", "--limit", "0"], env);
  assert.equal(limit.code, 2);
  // Without a terminal to ask on, login names the option to pipe the key with.
  const login = await cli(["login", "http://127.0.0.1:9"], {}, {});
  assert.equal(login.code, 2);
  assert.match(login.err, /pipe it with --api-key-stdin/);
});
