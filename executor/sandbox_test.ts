/** @module Tests that user code in an executor cannot escape its sandbox (real processes, real Workers). */

import assert from "node:assert/strict";
import { fixture, get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

async function probe(
  pool: ReturnType<typeof testPool>,
  appId: string,
  name: string,
  port: number,
  query = "",
): Promise<{ ok: boolean; value?: string; error?: string }> {
  const source = fixture("probe.js").replace("__PORT__", String(port))
    .replace("__LOADER__", new URL("./loader.ts", import.meta.url).href);
  const inv = await pool.fetch(script(appId, source), get(`/?probe=${name}${query}`), opts());
  assert.equal(inv.response.status, 200, `probe ${name} answered ${inv.response.status}`);
  return await inv.response.json();
}

Deno.test("sandbox - forbidden capabilities fail closed", async (t) => {
  const pool = testPool();
  // A real local listener: any accepted connection is an escape.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conn.close();
    }
  })();
  const { port } = listener.addr;
  try {
    const blocked = [
      "read",
      "nodeRead",
      "run",
      "connect",
      "fetchLocal",
      "importRemote",
      "importNpm",
      "importFile",
      "importLoader",
      "importJsr",
      "importText",
      "importBytes",
      "write",
      "listen",
      "dns",
      "nodeDns",
      "ffi",
      "sysHostname",
      "nodeHostname",
      "nodeChildProcess",
      "nodeNet",
      "nestedWorkerRead",
      "broadcast",
      "signal",
      "memoryUsage",
      "cpuUsage",
      "args",
      "internal",
      "close",
      "permissionRequest",
    ];
    for (const name of blocked) {
      await t.step(`${name} is blocked`, async () => {
        const result = await probe(pool, "app-sandbox", name, port);
        assert.equal(result.ok, false, `${name} succeeded: ${result.value}`);
      });
    }
    // Deno.env and process.env are the script's own vars and secrets (none here), never the
    // process's environment.
    for (const name of ["env", "processEnv", "nodeHomedir"]) {
      await t.step(`${name} shows nothing of the process environment`, async () => {
        const result = await probe(pool, "app-sandbox", name, port);
        const shown = JSON.stringify(result);
        assert.equal(/HOME|PATH|DENO_|PICLOUD|\/root|\/home/.test(shown), false, shown);
      });
    }
    await t.step("no connection reached the local listener", () => assert.equal(accepted, 0));
    await t.step("the executor survived every probe", () => {
      assert.equal(pool.stats().length, 1);
    });
  } finally {
    listener.close();
    await accepting;
    await pool.close();
  }
});

Deno.test("sandbox - a static file: import makes the module fail to load, without leaking", async () => {
  const pool = testPool();
  try {
    const inv = await pool.fetch(script("app-static", fixture("static_import.js")), get(), opts());
    assert.equal(inv.response.status, 500);
    const body = await inv.response.json();
    assert.equal(body.error.code, "script_error");
    assert.equal(JSON.stringify(body).includes("hostname"), false);
    assert.equal(inv.outcome.kind, "rejected");
    assert.match(inv.outcome.kind === "rejected" ? inv.outcome.error : "", /Module failed to load/);
  } finally {
    await pool.close();
  }
});

Deno.test("sandbox - Cache API and BroadcastChannel data do not cross apps", async () => {
  const pool = testPool();
  try {
    const a = await probe(pool, "app-cache-a", "cachePut", 1);
    const b = await probe(pool, "app-cache-b", "cacheGet", 1);
    // The Cache API is PiCloud's in-memory one, private to each script's Worker: what A put,
    // B never sees.
    assert.deepEqual(a, { ok: true, value: "put" });
    assert.deepEqual(b, { ok: true, value: "miss" });
    const [sa, sb] = pool.stats().sort((x, y) => x.appId.localeCompare(y.appId));
    assert.notEqual(sa.pid, sb.pid);
  } finally {
    await pool.close();
  }
});

Deno.test("sandbox - netAllow grants exactly the listed hosts", async () => {
  const pool = testPool();
  const allowed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("allowed"),
  );
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("leak"),
  );
  try {
    const host = `127.0.0.1:${allowed.addr.port}`;
    const s = script("app-net", fixture("outbound.js"), { netAllow: [host, "bad,host", "x/y"] });
    const call = async (port: number) => {
      const inv = await pool.fetch(s, get(`/?target=http://127.0.0.1:${port}/`), opts());
      return await inv.response.text();
    };
    assert.equal(await call(allowed.addr.port), "ok allowed");
    assert.match(await call(other.addr.port), /^blocked .*NotCapable/);
    // A script without netAllow in the same app gets no network, though its process has some.
    const none = script("app-net", fixture("outbound.js"));
    const inv = await pool.fetch(none, get(`/?target=http://${host}/`), opts());
    assert.match(await inv.response.text(), /^blocked .*NotCapable/);
  } finally {
    await allowed.shutdown();
    await other.shutdown();
    await pool.close();
  }
});

Deno.test("sandbox - a nested Worker cannot share Cache API data across apps", async () => {
  const pool = testPool();
  try {
    const tag = crypto.randomUUID().slice(0, 8);
    const call = async (appId: string, op: string) => {
      const limits = { ...TEST_LIMITS, timeoutMs: 10_000 };
      const s = script(appId, fixture("nested_cache.js"), { limits });
      const inv = await pool.fetch(s, get(`/?op=${op}`), opts());
      return await inv.response.text();
    };
    const typeofWorker = await pool.fetch(
      script(`nest-w-${tag}`, "export default { fetch: () => new Response(typeof Worker) }"),
      get(),
      opts(),
    );
    assert.equal(await typeofWorker.response.text(), "undefined");
    const put = await call(`nest-a-${tag}`, "put");
    const seen = await call(`nest-b-${tag}`, "get");
    // No nested Worker can be created at all (executor_security_test.ts, break 11 and 13), so no
    // Cache API is reached: the script fails instead.
    assert.match(put, /script_error/);
    assert.match(seen, /script_error/);
  } finally {
    await pool.close();
  }
});

Deno.test("sandbox - a blob: URL made by one app cannot be read by another", async () => {
  const pool = testPool();
  try {
    // Scripts cannot mint blob: URLs at all (executor_security_test.ts, break 13).
    const made = await probe(pool, "app-blob-a", "blobCreate", 1);
    assert.equal(made.ok, false);
    const url = `&url=${encodeURIComponent(`blob:null/${crypto.randomUUID()}`)}`;
    const other = await probe(pool, "app-blob-b", "blobFetch", 1, url);
    assert.equal(other.ok, false, `app B read a blob: ${other.value}`);
  } finally {
    await pool.close();
  }
});
