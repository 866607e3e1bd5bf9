import assert from "node:assert/strict";
import { get, opts, script, testPool } from "../testing/executor.ts";

/** A module as Cloudflare Workers' documentation shapes it: env bindings, waitUntil, scheduled. */
const WORKERS_MODULE = `export default {
  async fetch(request, env, ctx) {
    ctx.waitUntil(Promise.resolve().then(() => console.log("after the response")));
    const greeting = env.GREETING ?? "fallback";
    return new Response(greeting + " " + Object.keys(env).sort().join(",") + " " +
      JSON.stringify(env) + " " + new URL(request.url).pathname);
  },
  async scheduled(controller, env, ctx) {
    controller.noRetry();
    ctx.waitUntil(Promise.resolve());
    console.log("cron", controller.cron, controller.scheduledTime, env.GREETING);
  },
};`;

/** A module as `deno serve` runs it: the second argument is the connection info. */
const DENO_SERVE_MODULE = `export default {
  fetch(req, info) {
    return new Response(info.remoteAddr.hostname + ":" + info.remoteAddr.port + " " +
      (info.completed instanceof Promise));
  },
} satisfies Deno.ServeDefaultExport;`;

Deno.test("contract - an unmodified Workers module reads env, uses waitUntil and runs scheduled", async () => {
  const pool = testPool();
  try {
    const s = script("app-workers", WORKERS_MODULE, { env: { GREETING: "hi", TOKEN: "t" } });
    const inv = await pool.fetch(s, get("/x"), opts());
    // Only the vars are env's own, enumerable properties: nothing of PiCloud's leaks into them.
    assert.equal(await inv.response.text(), 'hi GREETING,TOKEN {"GREETING":"hi","TOKEN":"t"} /x');
    const cron = await pool.scheduled(s, { cron: "0 * * * *", scheduledTime: 42 }, {
      ...opts(),
      trigger: "cron",
    });
    assert.equal(cron.response.status, 204);
    assert.deepEqual(cron.logs.map((l) => l.message), ["cron 0 * * * * 42 hi"]);
  } finally {
    await pool.close();
  }
});

Deno.test("contract - a deno serve module reads info.remoteAddr and info.completed", async () => {
  const pool = testPool();
  try {
    const s = script(
      "app-serve",
      DENO_SERVE_MODULE.replace(" satisfies Deno.ServeDefaultExport", ""),
    );
    const inv = await pool.fetch(s, get(), opts());
    assert.equal(await inv.response.text(), "203.0.113.7:4242 true");
    const typed = script("app-serve", DENO_SERVE_MODULE);
    const ts = await pool.fetch({ ...typed, versionId: "typed" }, get(), opts());
    assert.equal(await ts.response.text(), "203.0.113.7:4242 true");
  } finally {
    await pool.close();
  }
});

Deno.test("contract - ctx has PiCloud's fields; the first contract fetch(req, ctx) still runs", async (t) => {
  const pool = testPool();
  try {
    await t.step(
      "ctx: params, app, requestId, remoteAddr, waitUntil, passThroughOnException",
      async () => {
        const s = script(
          "app-ctx",
          `export default { fetch(request, env, ctx) {
          ctx.passThroughOnException();
          return Response.json({ keys: Object.keys(ctx).sort(), params: ctx.params,
            slug: ctx.app.slug, id: typeof ctx.requestId, addr: ctx.remoteAddr.hostname });
        } };`,
        );
        const inv = await pool.fetch(s, get(), opts({ name: "ann" }));
        assert.deepEqual(await inv.response.json(), {
          keys: ["app", "params", "passThroughOnException", "remoteAddr", "requestId", "waitUntil"],
          params: { name: "ann" },
          slug: "app-ctx-slug",
          id: "string",
          addr: "203.0.113.7",
        });
      },
    );
    await t.step("fetch(req, ctx) of PiCloud's first contract", async () => {
      const s = script(
        "app-ctx",
        `export default { fetch: (req, ctx) => new Response(
          ctx.params.name + " " + ctx.env.GREETING + " " + ctx.app.slug + " " +
          (typeof ctx.waitUntil) + " " + (typeof ctx.requestId)) };`,
        { env: { GREETING: "hi" } },
      );
      const inv = await pool.fetch(s, get(), opts({ name: "ann" }));
      assert.equal(await inv.response.text(), "ann hi app-ctx-slug function string");
    });
    await t.step("a var named like one of those fields wins", async () => {
      const s = script(
        "app-ctx",
        `export default { fetch: (req, env) => new Response(env.remoteAddr + " " + env.params) };`,
        { env: { remoteAddr: "mine", params: "also mine" } },
      );
      const inv = await pool.fetch(s, get(), opts());
      assert.equal(await inv.response.text(), "mine also mine");
    });
  } finally {
    await pool.close();
  }
});

/** A Supabase Edge Function / Deno Deploy script: a top-level Deno.serve, settings from Deno.env. */
const DENO_SERVE_CALL = `const server = Deno.serve(async (req, info) => {
  const { name } = await req.json();
  return Response.json({
    hello: name,
    url: Deno.env.get("PROJECT_URL"),
    key: process.env.SERVICE_KEY,
    listed: Object.keys(Deno.env.toObject()).sort(),
    home: Deno.env.get("HOME") ?? null,
    client: info.remoteAddr.hostname,
    port: server.addr.port,
  });
});`;

Deno.test("contract - a module that calls Deno.serve() runs unchanged: its handler answers", async (t) => {
  const pool = testPool();
  const env = { PROJECT_URL: "https://p.example", SERVICE_KEY: "k1" };
  try {
    await t.step(
      "Deno.serve(handler): Deno.env and process.env are the script's vars",
      async () => {
        const inv = await pool.fetch(
          script("app-serve-call", DENO_SERVE_CALL, { env }),
          new Request("http://x.test/fn", { method: "POST", body: '{"name":"Ada"}' }),
          opts(),
        );
        assert.deepEqual(await inv.response.json(), {
          hello: "Ada",
          url: "https://p.example",
          key: "k1",
          listed: ["PROJECT_URL", "SERVICE_KEY"],
          home: null,
          client: "203.0.113.7",
          port: 8000,
        });
      },
    );
    await t.step("Deno.serve(options, handler) and Deno.serve({ handler, onError })", async () => {
      const withOptions = script(
        "app-serve-opts",
        `Deno.serve({ port: 3000, hostname: "0.0.0.0" }, () => new Response("options"));`,
      );
      assert.equal(await (await pool.fetch(withOptions, get(), opts())).response.text(), "options");
      const onError = script(
        "app-serve-onerror",
        `Deno.serve({
          handler() { throw new Error("boom"); },
          onError(err) { return new Response("handled " + err.message, { status: 503 }); },
        });`,
      );
      const inv = await pool.fetch(onError, get(), opts());
      assert.equal(inv.response.status, 503);
      assert.equal(await inv.response.text(), "handled boom");
    });
    await t.step("behind if (import.meta.main), positions kept", async () => {
      const source = `const other = "import.meta.mainly";
if (import.meta.main) Deno.serve((req) => { if (import.meta.main && new URL(req.url).pathname === "/throw") throw new Error("here"); return new Response(import.meta.main + " " + other); });`;
      const s = script("app-serve-main", source);
      assert.equal(
        await (await pool.fetch(s, get(), opts())).response.text(),
        "true import.meta.mainly",
      );
      const thrown = await pool.fetch(s, get("/throw"), opts());
      // The throw is reported at its own line and column of the source as written.
      const column = source.split("\n")[1].indexOf("new Error") + 1;
      assert.match(
        thrown.outcome.kind === "rejected" ? thrown.outcome.error : "",
        new RegExp(`main\\.ts:2:${column}\\)`),
      );
    });
    await t.step("Supabase's EdgeRuntime.waitUntil is the request's waitUntil", async () => {
      const s = script(
        "app-serve-edge",
        `Deno.serve(() => {
          EdgeRuntime.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => console.log("later")));
          return new Response("now");
        });`,
      );
      const inv = await pool.fetch(s, get(), opts());
      assert.equal(await inv.response.text(), "now");
      assert.deepEqual((await inv.completed).logs.map((l) => l.message), ["later"]);
      const outside = await pool.fetch(
        script("app-serve-edge-top", `EdgeRuntime.waitUntil(Promise.resolve());`),
        get(),
        opts(),
      );
      assert.match(
        outside.outcome.kind === "rejected" ? outside.outcome.error : "",
        /EdgeRuntime\.waitUntil\(\) is called while a request runs/,
      );
    });
    await t.step("a second Deno.serve(), and serving after shutdown(), are said", async () => {
      const twice = await pool.fetch(
        script("app-serve-twice", `Deno.serve(() => new Response("a")); Deno.serve(() => 1);`),
        get(),
        opts(),
      );
      assert.equal(twice.response.status, 500);
      assert.match(
        twice.outcome.kind === "rejected" ? twice.outcome.error : "",
        /Deno\.serve\(\) was already called: a script answers its requests with one handler/,
      );
      const shut = script(
        "app-serve-shut",
        `const s = Deno.serve((req) => {
          if (new URL(req.url).pathname === "/stop") s.shutdown();
          return new Response("up");
        });`,
      );
      assert.equal(await (await pool.fetch(shut, get("/stop"), opts())).response.text(), "up");
      const after = await pool.fetch(shut, get(), opts());
      assert.equal(after.response.status, 500);
      assert.match(
        after.outcome.kind === "rejected" ? after.outcome.error : "",
        /shut its Deno\.serve\(\) server down/,
      );
    });
  } finally {
    await pool.close();
  }
});

/** A Workers service-worker script: listeners, event.waitUntil, vars as globals. */
const SERVICE_WORKER = `addEventListener("fetch", (event) => {
  event.waitUntil(Promise.resolve().then(() => console.log("after", GREETING)));
  event.respondWith(handle(event.request));
});
addEventListener("scheduled", (event) => {
  event.waitUntil(Promise.resolve().then(() => console.log("cron", event.cron, API_KEY)));
});
async function handle(request) {
  return new Response(GREETING + " " + typeof fetch + " " + new URL(request.url).pathname);
}`;

Deno.test("contract - a service-worker script runs unchanged: listeners, waitUntil, vars as globals", async (t) => {
  const pool = testPool();
  try {
    // A var named like a global never shadows it: `fetch` stays the platform's.
    const env = { GREETING: "hi", API_KEY: "k", fetch: "not a function" };
    const s = script("app-sw", SERVICE_WORKER, { env });
    await t.step("fetch: respondWith answers; waitUntil runs after it", async () => {
      const inv = await pool.fetch(s, get("/p"), opts());
      assert.equal(await inv.response.text(), "hi function /p");
      const done = await inv.completed;
      assert.deepEqual(done.logs.map((l) => l.message), ["after hi"]);
    });
    await t.step("scheduled: the listener's waitUntil work is the run", async () => {
      const cron = await pool.scheduled(s, { cron: "*/5 * * * *", scheduledTime: 7 }, {
        ...opts(),
        trigger: "cron",
      });
      const done = await cron.completed;
      assert.deepEqual(done.logs.map((l) => l.message), ["cron */5 * * * * k"]);
    });
    await t.step(
      "a listener that never calls respondWith is the script's fault, said so",
      async () => {
        const inv = await pool.fetch(
          script("app-sw-silent", `addEventListener("fetch", () => console.log("seen"));`),
          get(),
          opts(),
        );
        assert.equal(inv.response.status, 500);
        assert.match(
          inv.outcome.kind === "rejected" ? inv.outcome.error : "",
          /did not call event\.respondWith\(\)/,
        );
      },
    );
    await t.step("a module with no handler of any shape names all three", async () => {
      const [d] = await pool.check({
        appId: "app-none",
        source: "const x = 1;",
        timeoutMs: 10_000,
        memoryLimitMb: 128,
      });
      assert.match(d.message, /export default \{ fetch.*Deno\.serve\(handler\).*addEventListener/);
    });
  } finally {
    await pool.close();
  }
});
