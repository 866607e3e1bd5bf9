/**
 * @module The real-world corpus (`testdata/corpus/`): scripts in the shapes people publish, each
 * deployed through the API in a form a user would use and called end to end on its own host.
 * Every case here runs with the registry blocked (`PICLOUD_PACKAGES_OFFLINE`): their packages
 * (hono, zod) come from this Deno's cache. The cases that need the npm registry are in
 * `corpus_registry_test.ts`.
 */
import assert from "node:assert/strict";
import { OWNER, type TestPlatform, withTestPlatform } from "../testing/platform.ts";
import { chunksOf, CLIENT, type Deployed, deployEntry, text } from "./corpus_harness.ts";

const A = "/api/v1/admin";

/** Each deploy's bundle size (null: a self-contained file runs as uploaded), for the report. */
const sizes: Record<string, number | null> = {};

function record(name: string, d: Deployed): void {
  sizes[name] = d.version.body.bundle_bytes as number | null;
}

/** Log lines of an app's script, as the logs API gives them, once some line matches `re`. */
async function waitForLog(t: TestPlatform, token: string, app: string, re: RegExp) {
  const deadline = Date.now() + 10_000;
  let messages: string[] = [];
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
    await t.p.logs.flush();
    const r = await t.call("GET", `${A}/apps/${app}/logs?limit=50`, { token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    messages = r.body.items.flatMap((e) =>
      (e.logs as { message: string }[]).map((l) => `${e.trigger} ${l.message}`)
    );
    if (messages.some((m) => re.test(m))) return messages;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`no log line matches ${re}: ${JSON.stringify(messages)}`);
}

Deno.test("corpus - published script shapes deploy through the API and answer (no network)", async (tc) => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);

    await tc.step("Workers module syntax: env vars and ctx.waitUntil (raw .js)", async () => {
      const d = await deployEntry(t, token, "workers_env", {
        form: "raw",
        vars: { GREETING: "Hello", API_TOKEN: "s3cret" },
      });
      record("workers_env", d);
      const res = await d.fetch("/?name=Ada");
      assert.equal(res.headers.get("x-env-names"), "API_TOKEN,GREETING");
      assert.equal(await text(res), "200 Hello, Ada!");
      assert.equal(await text(await d.fetch("/private")), "401 unauthorized");
      const authed = await d.fetch("/private", { headers: { authorization: "Bearer s3cret" } });
      assert.equal(await text(authed), "200 welcome back");
      // The background work finishes after the response (10 ms later): the counter it bumps
      // shows it ran. (Its console line is not kept: see the known issue in the report.)
      let recorded = 0;
      for (let i = 0; i < 100 && recorded < 1; i++) {
        recorded = (await (await d.fetch("/visits")).json()).recorded;
        if (recorded < 1) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(recorded, 1);
    });

    await tc.step("deno serve default export: info.remoteAddr (raw .ts)", async () => {
      const d = await deployEntry(t, token, "deno_serve.ts", { form: "raw" });
      record("deno_serve", d);
      const res = await d.fetch("/who", { method: "POST", body: "x" });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        method: "POST",
        path: "/who",
        client: `tcp:${CLIENT.hostname}`,
        hasPort: true,
      });
    });

    await tc.step(
      "Supabase Edge Function: Deno.serve, Deno.env.get, CORS (JSON files)",
      async () => {
        const d = await deployEntry(t, token, "supabase_function", {
          form: "json-files",
          entry: "index.ts",
          vars: { SUPABASE_URL: "https://abc.supabase.co", SUPABASE_ANON_KEY: "anon" },
        });
        record("supabase_function", d);
        const preflight = await d.fetch("/", { method: "OPTIONS" });
        assert.equal(preflight.status, 200);
        assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
        await preflight.body?.cancel();
        const res = await d.fetch("/", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: "Functions" }),
        });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), {
          message: "Hello Functions!",
          project: "https://abc.supabase.co",
          keyed: true,
        });
        const bad = await d.fetch("/", { method: "POST", body: "not json" });
        assert.equal(bad.status, 400);
        await bad.body?.cancel();
      },
    );

    await tc.step(
      "Workers service-worker syntax: respondWith, waitUntil, var globals (multipart)",
      async () => {
        const d = await deployEntry(t, token, "workers_service_worker", {
          form: "multipart",
          vars: { GREETING: "Howdy" },
        });
        record("workers_service_worker", d);
        assert.equal(await text(await d.fetch("/there")), "200 Howdy from /there");
        assert.equal(
          await text(await d.fetch("/", { method: "POST", body: "abc" })),
          "201 Howdy: 3 bytes",
        );
        let hits = 0;
        for (let i = 0; i < 100 && hits < 2; i++) {
          hits = (await (await d.fetch("/hits")).json()).hits;
          if (hits < 2) await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(hits >= 2, `the waitUntil work ran (${hits})`);
      },
    );

    await tc.step("Hono from npm with zod validation (JSON files)", async () => {
      const d = await deployEntry(t, token, "hono_zod", { form: "json-files" });
      record("hono_zod", d);
      assert.deepEqual(d.version.body.packages, { hono: "4.13.19", zod: "4.6.7" });
      assert.equal(await text(await d.fetch("/")), "200 notes api");
      assert.equal(await text(await d.fetch("/notes?limit=5")), `200 {"limit":5,"items":[]}`);
      assert.equal((await d.fetch("/notes?limit=500")).status, 400);
      const post = (body: unknown) =>
        d.fetch("/notes", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const created = await post({ title: "buy milk", tags: ["home"] });
      assert.equal(created.status, 201);
      assert.deepEqual(await created.json(), {
        id: 36,
        title: "buy milk",
        tags: ["home"],
        priority: "normal",
      });
      const bad = await post({ title: "", priority: "urgent" });
      assert.equal(bad.status, 422);
      assert.deepEqual(await bad.json(), { error: "invalid note", fields: ["title", "priority"] });
      assert.equal(await text(await d.fetch("/nope")), `404 {"error":"no route for /nope"}`);
    });

    await tc.step("multi-file TypeScript with an import map (tar)", async () => {
      const d = await deployEntry(t, token, "multi_file", { form: "tar", entry: "src/main.ts" });
      record("multi_file", d);
      assert.equal(d.version.body.entry, "src/main.ts");
      assert.equal(await text(await d.fetch("/users")), `200 ["Ada","Grace"]`);
      assert.equal(
        await text(await d.fetch("/users/2")),
        `200 {"id":2,"name":"Grace","role":"member"}`,
      );
      assert.equal(await text(await d.fetch("/users/9")), `404 {"error":"no user 9"}`);
      const v = await d.fetch("/version");
      assert.equal(v.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(await text(v), `200 {"version":"1.4.2"}`);
    });

    await tc.step("package.json dependency ranges, bare imports, a sub-app (tar.gz)", async () => {
      const d = await deployEntry(t, token, "package_json", { form: "tgz" });
      record("package_json", d);
      assert.equal(d.version.body.entry, "index.ts");
      // The ranges resolved, offline, to the versions the cache holds.
      assert.deepEqual(d.version.body.packages, { hono: "4.13.19", zod: "4.6.7" });
      assert.equal(await text(await d.fetch("/health")), `200 {"ok":true}`);
      const go = await d.fetch("/links/docs", { redirect: "manual" });
      assert.equal(go.status, 302);
      assert.equal(go.headers.get("location"), "https://docs.example.com/start");
      assert.equal(await text(await d.fetch("/links/zzz")), "404 unknown link");
      const add = await d.fetch("/links", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "pi", url: "https://pi.example.org/" }),
      });
      assert.equal(await text(add), `201 {"code":"pi","url":"https://pi.example.org/"}`);
    });

    await tc.step(
      "streaming: SSE events and a chunked stream arrive in order (raw .js)",
      async () => {
        const d = await deployEntry(t, token, "streaming_sse.js", { form: "raw" });
        record("streaming_sse", d);
        const sse = await d.fetch("/events?from=3");
        assert.equal(sse.status, 200);
        assert.equal(sse.headers.get("content-type"), "text/event-stream");
        assert.equal(sse.headers.get("cache-control"), "no-cache");
        const chunks = await chunksOf(sse);
        // The events in the order sent, each whole, however the transport grouped the chunks.
        const events = chunks.join("").split("\n\n").filter(Boolean);
        assert.deepEqual(events, [
          `id: 1\nevent: tick\ndata: {"n":3}`,
          `id: 2\nevent: tick\ndata: {"n":2}`,
          `id: 3\nevent: tick\ndata: {"n":1}`,
          "event: done\ndata: liftoff",
        ]);
        // No chunk mixes a later event into an earlier one's place: the concatenation is ordered.
        let last = 0;
        for (const c of chunks) {
          for (const m of c.matchAll(/"n":(\d)/g)) {
            assert.ok(last === 0 || Number(m[1]) < last, `out of order: ${chunks}`);
            last = Number(m[1]);
          }
        }
        const plain = await chunksOf(await d.fetch("/words"));
        assert.equal(plain.join(""), "alpha\nbeta\ngamma\ndelta\n");
      },
    );

    await tc.step("crypto.subtle: HMAC sign and verify, SHA-256 (JSON source)", async () => {
      const d = await deployEntry(t, token, "crypto_subtle.ts", {
        form: "json-source",
        vars: { WEBHOOK_SECRET: "whsec_test" },
      });
      record("crypto_subtle", d);
      assert.equal(
        await text(await d.fetch("/sha256?text=abc")),
        "200 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
      const payload = JSON.stringify({ type: "invoice.paid", id: 42 });
      const key = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode("whsec_test"),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const mac = new Uint8Array(
        await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload)),
      );
      const hex = [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
      const signed = await d.fetch("/sign", { method: "POST", body: payload });
      assert.equal(signed.headers.get("x-signature-alg"), "hmac-sha256");
      assert.equal(await text(signed), `200 ${hex}`);
      const hook = (sig: string, body = payload) =>
        d.fetch("/webhook", { method: "POST", headers: { "x-signature": sig }, body });
      assert.equal(
        await text(await hook(`sha256=${hex}`)),
        `200 {"ok":true,"event":"invoice.paid"}`,
      );
      assert.equal((await hook(`sha256=${hex}`, payload.replace("42", "43"))).status, 401);
      assert.equal((await hook("sha256=zz")).status, 401);
    });

    await tc.step(
      "URLPattern routing: groups, optional segment, wildcard, 405 (raw .ts)",
      async () => {
        const d = await deployEntry(t, token, "urlpattern_router.ts", { form: "raw" });
        record("urlpattern_router", d);
        assert.equal(await text(await d.fetch("/books")), `200 ["dune","emma"]`);
        assert.equal(await text(await d.fetch("/books/12")), `200 {"id":12}`);
        assert.equal(
          await text(await d.fetch("/books/12/chapters/3")),
          `200 {"id":12,"chapter":"3"}`,
        );
        assert.equal(
          await text(await d.fetch("/books/12/chapters")),
          `200 {"id":12,"chapter":"all"}`,
        );
        assert.equal(await text(await d.fetch("/books/x")), "404 not found");
        assert.equal(await text(await d.fetch("/files/a/b.txt")), "200 file: a/b.txt");
        assert.equal((await d.fetch("/books/12", { method: "DELETE" })).status, 204);
        const put = await d.fetch("/books/12", { method: "PUT" });
        assert.equal(put.status, 405);
        assert.equal(put.headers.get("allow"), "GET, DELETE");
        await put.body?.cancel();
      },
    );

    await tc.step(
      "scheduled(controller, env, ctx) through the cron scheduler (JSON files)",
      async () => {
        const d = await deployEntry(t, token, "scheduled_cleanup", {
          form: "json-files",
          entry: "worker.ts",
          vars: { RETENTION_DAYS: "30" },
        });
        record("scheduled_cleanup", d);
        assert.equal(await text(await d.fetch("/")), "200 cleanup runs on a schedule");
        const s = await t.call("POST", `${A}/schedules`, {
          token,
          body: { app_id: d.appSlug, script_id: d.scriptId, cron: "* * * * * *" },
        });
        assert.equal(s.status, 201, JSON.stringify(s.body));
        try {
          const lines = await waitForLog(t, token, d.appSlug, /^cron pruned/);
          assert.ok(lines.includes("cron pruned 2 entries older than 30 days (cron * * * * * *)"));
          await waitForLog(t, token, d.appSlug, /^cron report sent for \* \* \* \* \* \*$/);
          const runs = await t.call("GET", `${A}/schedules/${s.body.id}/runs`, { token });
          assert.ok(
            runs.body.items.some((r) => r.status === "ok"),
            JSON.stringify(runs.body.items),
          );
        } finally {
          const off = await t.call("PATCH", `${A}/schedules/${s.body.id}`, {
            token,
            body: { enabled: false },
          });
          assert.equal(off.status, 200);
          await t.p.scheduler.idle();
        }
      },
    );

    await tc.step("JSON API: body parsing and its refusals (multipart)", async () => {
      const d = await deployEntry(t, token, "json_api.ts", { form: "multipart" });
      record("json_api", d);
      const post = (body: string, type = "application/json") =>
        d.fetch("/orders", { method: "POST", headers: { "content-type": type }, body });
      const ok = await post(JSON.stringify({
        items: [{ sku: "a", qty: 2, price: 1.1 }, { sku: "b", qty: 1, price: 0.2 }],
      }));
      assert.equal(ok.status, 201);
      assert.equal(ok.headers.get("location"), "/orders/2-2.4");
      assert.deepEqual(await ok.json(), { count: 2, total: 2.4, currency: "EUR" });
      const bad = await post("{nope");
      assert.equal(bad.status, 400);
      assert.equal(bad.headers.get("content-type"), "application/problem+json");
      assert.deepEqual(await bad.json(), { title: "malformed JSON", status: 400 });
      assert.equal((await post("a=1", "application/x-www-form-urlencoded")).status, 415);
      assert.equal((await post(JSON.stringify({ items: [{ sku: 1 }] }))).status, 422);
      assert.equal((await post(JSON.stringify({ pad: "x".repeat(5000) }))).status, 413);
      assert.equal((await d.fetch("/orders")).status, 404);
    });

    await tc.step(
      "redirects and cookies: 303 with two Set-Cookie, 301, 308 (raw .ts)",
      async () => {
        const d = await deployEntry(t, token, "redirect_cookie.ts", { form: "raw" });
        record("redirect_cookie", d);
        const login = await d.fetch("/login", {
          method: "POST",
          body: new URLSearchParams({ user: "ada lovelace" }),
          redirect: "manual",
        });
        assert.equal(login.status, 303);
        assert.equal(login.headers.get("location"), "/me");
        assert.deepEqual(login.headers.getSetCookie(), [
          "session=ada%20lovelace; Path=/; HttpOnly; SameSite=Lax",
          "theme=dark; Path=/; Max-Age=31536000",
        ]);
        const me = await d.fetch("/me", {
          headers: { cookie: "session=ada%20lovelace; theme=dark" },
        });
        assert.equal(await text(me), "200 signed in as ada lovelace (theme dark)");
        const anon = await d.fetch("/me", { redirect: "manual" });
        assert.deepEqual([anon.status, anon.headers.get("location")], [302, "/login"]);
        const out = await d.fetch("/logout", { redirect: "manual" });
        assert.deepEqual(out.headers.getSetCookie(), ["session=; Path=/; Max-Age=0"]);
        const moved = await d.fetch("/old-home", { redirect: "manual" });
        assert.deepEqual([moved.status, moved.headers.get("location")], [301, `http://${d.host}/`]);
        const api = await d.fetch("/api/v1/ping", { redirect: "manual" });
        assert.deepEqual(
          [api.status, api.headers.get("location")],
          [308, `http://${d.host}/api/v2/ping`],
        );
      },
    );

    await tc.step("TSX with hono/jsx, JSX configured in deno.json (JSON files)", async () => {
      const d = await deployEntry(t, token, "jsx_render", { form: "json-files" });
      record("jsx_render", d);
      const home = await d.fetch("/");
      assert.equal(home.headers.get("content-type"), "text/html; charset=UTF-8");
      assert.equal(
        await home.text(),
        `<html lang="en"><head><title>Fruits</title></head><body><h1>Fruits</h1>` +
          `<ul><li>apple</li><li>banana</li><li>cherry</li></ul></body></html>`,
      );
      const hello = await d.fetch(`/hello/${encodeURIComponent("<b>x</b>")}`);
      assert.match(
        await hello.text(),
        /<p class="greeting">Hello, &lt;b&gt;x&lt;\/b&gt;!<\/p><p>3 fruits<\/p>/,
      );
    });

    await tc.step("Response edge cases: statuses, bodies and headers (raw .ts)", async () => {
      const d = await deployEntry(t, token, "response_edges.ts", { form: "raw" });
      record("response_edges", d);
      const created = await d.fetch("/created");
      assert.equal(created.status, 201);
      assert.equal(created.statusText, "Made It");
      assert.equal(created.headers.get("content-type"), "application/json");
      assert.equal(created.headers.get("x-request-kind"), "create");
      assert.equal(created.headers.get("cache-control"), "no-store");
      assert.deepEqual(await created.json(), { id: 7, name: "ünïcode ✓" });
      const empty = await d.fetch("/empty");
      assert.deepEqual([empty.status, empty.headers.get("x-empty"), await empty.text()], [
        204,
        "yes",
        "",
      ]);
      const nm = await d.fetch("/not-modified");
      assert.deepEqual([nm.status, nm.headers.get("etag"), await nm.text()], [304, '"v1"', ""]);
      const vary = await d.fetch("/vary");
      assert.equal(vary.headers.get("vary"), "accept, accept-encoding");
      assert.equal(vary.headers.get("x-multi"), "a, b");
      assert.equal(await vary.text(), "varied");
      const utf = await d.fetch("/text");
      assert.equal(utf.headers.get("content-type"), "text/plain;charset=UTF-8");
      assert.equal(await utf.text(), "grüße, 世界");
      assert.equal(await text(await d.fetch("/blank")), "200 ");
      assert.equal(await text(await d.fetch("/teapot")), `418 {"error":"short and stout"}`);
      const bytes = await d.fetch("/bytes");
      assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [0, 1, 2, 253, 254, 255]);
      const thrown = await d.fetch("/throw");
      assert.equal(thrown.status, 500);
      assert.doesNotMatch(await thrown.text(), /boom|at fetch|file:\/\//);
      assert.equal(await text(await d.fetch("/elsewhere")), `404 {"path":"/elsewhere"}`);
    });
  }, { PICLOUD_PACKAGES_OFFLINE: "1" });
  console.log(`corpus bundle sizes (bytes; null = runs as uploaded): ${JSON.stringify(sizes)}`);
});
