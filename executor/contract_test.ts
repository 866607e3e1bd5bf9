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
