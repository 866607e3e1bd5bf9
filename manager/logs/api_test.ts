import assert from "node:assert/strict";
import { OWNER, withTestPlatform } from "../../testing/platform.ts";

const A = "/api/v1/admin";
const source = `export default {
  async fetch(req) {
    const url = new URL(req.url);
    console.log("serving", url.pathname);
    if (url.searchParams.has("slow")) await new Promise((r) => setTimeout(r, 3000));
    return new Response("x", { status: url.searchParams.has("fail") ? 500 : 200 });
  },
};`;

Deno.test("logs API - filtered keyset pages with the limit that stopped a request", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const s = await t.call("POST", `${A}/scripts`, { token, body: { name: "logged", source } });
    await t.call("POST", `${A}/routes`, {
      token,
      body: { app_id: "default", script_id: s.body.id, method: "GET", path: "/l/*" },
    });
    // The first request starts the executor (slow on a loaded machine), then the policy tightens.
    await (await t.p.tenant.request(`http://localhost/l/0`)).text();
    await t.call("PUT", `${A}/scripts/${s.body.id}/policy`, { token, body: { timeoutMs: 1000 } });
    for (let i = 1; i < 7; i++) await (await t.p.tenant.request(`http://localhost/l/${i}`)).text();
    await t.p.tenant.request("http://localhost/l/f?fail=1");
    await t.p.tenant.request("http://localhost/l/s?slow=1");
    await t.p.logs.flush();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `${A}/apps/default/logs?script=logged&limit=4${
        cursor ? `&cursor=${cursor}` : ""
      }`;
      const page = await t.call("GET", q, { token });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.items.map((i) => i.path as string));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    assert.deepEqual(seen, [
      "/l/s?slow=1",
      "/l/f?fail=1",
      ...[6, 5, 4, 3, 2, 1, 0].map((i) => `/l/${i}`),
    ]);

    const slow = await t.call("GET", `${A}/apps/default/logs?status=5xx&script=${s.body.id}`, {
      token,
    });
    assert.deepEqual(slow.body.items.map((i) => i.status), [504, 500]);
    const [timeout, failed] = slow.body.items;
    assert.equal(timeout.outcome, "timeout");
    assert.deepEqual(
      { ...timeout.limit as object, used: undefined },
      { name: "timeoutMs", limit: 1000, used: undefined },
    );
    assert.ok((timeout.limit as { used: number }).used >= 1000);
    assert.equal(failed.outcome, "ok");
    assert.equal(failed.limit, null);
    assert.equal((failed.logs as { message: string }[])[0].message, "serving /l/f");

    const exact = await t.call("GET", `${A}/apps/default/logs?status=500`, { token });
    assert.equal(exact.body.items.length, 1);
    const none = await t.call("GET", `${A}/apps/default/logs?until=2000-01-01T00:00:00Z`, {
      token,
    });
    assert.equal(none.body.items.length, 0);
    const since = await t.call("GET", `${A}/apps/default/logs?since=2000-01-01T00:00:00Z`, {
      token,
    });
    assert.ok(since.body.items.length >= 9);
    for (const q of ["status=abc", "cursor=x", "limit=0", "since=yesterday"]) {
      const r = await t.call("GET", `${A}/apps/default/logs?${q}`, { token });
      assert.equal(r.status, 400, q);
    }
    assert.equal((await t.call("GET", `${A}/apps/nope/logs`, { token })).status, 404);
  });
});

Deno.test("logs API - follow=1 streams a request as it happens, and stops on disconnect", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    await t.p.tenant.request("http://localhost/");
    await t.p.logs.flush();
    const abort = new AbortController();
    const res = await t.p.console.request(
      "http://localhost/api/v1/admin/apps/default/logs?follow=1",
      {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      },
    );
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (pattern: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(text)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got ${text}`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const next = await Promise.race([
          reader.read(),
          new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left)),
        ]);
        clearTimeout(timer);
        if (next === "timeout") continue;
        if (next.done) throw new Error(`stream ended; got ${text}`);
        text += next.value;
      }
    };
    await readUntil(/: following/, 5_000);
    assert.ok(!text.includes("event: log"), "old rows are not replayed");

    const hello = await t.p.tenant.request("http://localhost/?live=1");
    const requestId = hello.headers.get("x-request-id")!;
    await hello.text();
    await readUntil(/event: log\n/, 5_000);
    await readUntil(new RegExp(requestId), 5_000);
    const data = text.split("\n").find((l) => l.startsWith("data: ") && l.includes(requestId))!;
    const entry = JSON.parse(data.slice(6));
    assert.equal(entry.path, "/?live=1");
    assert.equal(entry.status, 200);
    assert.equal(entry.outcome, "ok");

    abort.abort();
    await reader.cancel().catch(() => {});

    // Shutting down ends open tails, so a graceful server shutdown is not held up by them.
    const other = await t.p.tenant.request(
      "http://localhost/api/v1/admin/apps/default/logs?follow=1",
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    const otherReader = other.body!.getReader();
    await otherReader.read();
    t.p.endStreams();
    let done = false;
    const until = Date.now() + 5_000;
    while (!done && Date.now() < until) done = (await otherReader.read()).done;
    assert.ok(done, "the tail ended");
    // After disconnect nothing is subscribed: a new row wakes no one.
    await t.p.tenant.request("http://localhost/");
    await t.p.logs.flush();
  });
});

Deno.test("logs API - rows dropped by a full log buffer show as gaps in the listing", async () => {
  await withTestPlatform(async (t) => {
    const token = await t.login(OWNER.email, OWNER.password);
    const [{ id: appId }] = await t.p.db.sql<{ id: string }[]>`
      select id from apps where slug = 'default'`;
    const before = t.p.logs.stats();
    const row = (i: number) => ({
      app_id: appId,
      script_id: null,
      script_version_id: null,
      trigger: "http" as const,
      request_id: `burst-${i}`,
      method: "GET",
      path: `/b/${i}`,
      host: "localhost",
      status: 200,
      outcome: "ok",
      duration_ms: 1,
      cpu_ms: 2,
      memory_mb: 3,
      logs: [],
      error: null,
      at: new Date(),
    });
    // A synchronous burst: nothing is written until it ends, so the buffer bound decides.
    const burst = 15_000;
    for (let i = 0; i < burst; i++) t.p.logs.push(row(i));
    await t.p.logs.flush();
    const st = t.p.logs.stats();
    const dropped = st.dropped - before.dropped;
    assert.equal(st.written - before.written + dropped, burst);
    assert.ok(dropped >= burst - 10_000, `${dropped} dropped`);

    const page = await t.call("GET", `${A}/apps/default/logs?limit=5`, { token });
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const gaps = page.body.gaps as { id: string; dropped: number; first_at: string }[];
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].dropped, dropped);
    assert.equal(page.body.items[0].cpu_ms, 2, "cpu_ms is written");
    assert.equal(page.body.items[0].memory_mb, 3, "memory_mb is written");
    // The gap is older than the written rows' page span only if it ended before them: here the
    // drops happened at the end of the burst, within the first page's span.
    const old = await t.call("GET", `${A}/apps/default/logs?until=2000-01-01T00:00:00Z`, { token });
    assert.deepEqual(old.body.gaps, []);
  });
});
