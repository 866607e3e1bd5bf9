/** @module Neighbours in one app: a timeout fails its own request only, and one script's big body or CPU-bound request does not hold up another script's requests. */

import assert from "node:assert/strict";
import type { LogLine } from "./types.ts";
import { fixture, get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

const APP = "app-neighbours";
const source = fixture("neighbours.js");
/** Two scripts of one app (two Workers in one executor process). */
const slow = script(APP, source, {
  scriptId: "slow",
  versionId: "slow-v1",
  limits: { ...TEST_LIMITS, timeoutMs: 1_000 },
});
const busy = script(APP, source, { scriptId: "busy", versionId: "busy-v1" });

Deno.test("neighbours - a slow-upstream timeout in a busy app fails only its own request", async () => {
  const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
  const pool = testPool({ log: (_level, msg, fields) => logs.push({ msg, fields }) });
  try {
    await (await pool.fetch(busy, get("/ping"), opts())).response.text();
    await (await pool.fetch(slow, get("/ping"), opts())).response.text();
    const pid = pool.stats()[0].pid;
    const stalled = pool.fetch(slow, get("/upstream"), opts());
    // The same script's Worker and its neighbour keep answering throughout, CPU included.
    const statuses: number[] = [];
    let timedOut = false;
    stalled.then(() => timedOut = true);
    for (let i = 0; i < 200 && (!timedOut || statuses.length < 20); i++) {
      const target = i % 2 === 0 ? busy : slow;
      const path = i % 4 === 0 ? "/spin?ms=5" : "/ping";
      const inv = await pool.fetch(target, get(path), opts());
      await inv.response.text();
      statuses.push(inv.response.status);
    }
    const inv = await stalled;
    assert.equal(inv.response.status, 504);
    assert.equal((await inv.response.json()).error.code, "timeout");
    assert.ok(statuses.length >= 20);
    assert.deepEqual(new Set(statuses), new Set([200]));
    // The Worker acknowledged the cancel (it was waiting, not spinning): the executor stays.
    // The verdict (kept or killed) comes within a few grace periods; a loaded machine may delay
    // its timers, so the wait ends on the verdict itself, bounded at 10 s.
    const verdict = () => logs.some((l) => /answered its cancel|killed/i.test(l.msg));
    for (let i = 0; i < 100 && !verdict(); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const said = logs.map((l) => `${l.msg} ${JSON.stringify(l.fields ?? {})}`).join("\n");
    assert.ok(logs.some((l) => /answered its cancel/.test(l.msg)), `the executor logged:\n${said}`);
    assert.equal(pool.stats()[0].pid, pid);
    assert.ok(!logs.some((l) => /killed/i.test(l.msg)));
  } finally {
    await pool.close();
  }
});

Deno.test("neighbours - a spinning script's timeout kills only its process, with the reason logged", async () => {
  const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
  const pool = testPool({ log: (_level, msg, fields) => logs.push({ msg, fields }) });
  const other = script("app-other", source);
  try {
    for (const s of [busy, slow, other]) {
      await (await pool.fetch(s, get("/ping"), opts())).response.text();
    }
    const otherPid = pool.stats().find((x) => x.appId === "app-other")!.pid;
    const o = opts();
    const spinning = pool.fetch(slow, get("/spin?ms=60000"), o);
    const inFlight = pool.fetch(busy, get("/upstream"), opts());
    const [a, b] = await Promise.all([spinning, inFlight]);
    assert.equal(a.response.status, 504);
    await a.response.body?.cancel();
    assert.equal(b.response.status, 503);
    assert.equal((await b.response.json()).error.code, "executor_restarted");
    const killed = logs.find((l) => /killed/i.test(l.msg));
    assert.ok(killed, "the kill is logged");
    assert.equal(killed.fields?.requestId, o.requestId);
    assert.match(String(killed.fields?.reason), /busy|did not answer/);
    assert.match(b.outcome.kind === "crashed" ? b.outcome.reason : "", new RegExp(o.requestId));
    // Another app's executor never noticed.
    assert.equal(pool.stats().find((x) => x.appId === "app-other")?.pid, otherPid);
  } finally {
    await pool.close();
  }
});

Deno.test("neighbours - a big slow upload to one script does not hold up another's requests", async () => {
  const pool = testPool();
  const uploadScript = script(APP, source, {
    scriptId: "upload",
    versionId: "upload-v1",
    limits: { ...TEST_LIMITS, maxBodyBytes: 64 << 20, timeoutMs: 30_000 },
  });
  try {
    await (await pool.fetch(busy, get("/ping"), opts())).response.text();
    let sent = 0;
    const total = 8 << 20;
    let uploadDone = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= total) return c.close();
        sent += 256 * 1024;
        c.enqueue(new Uint8Array(256 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    const upload = pool.fetch(
      uploadScript,
      new Request("http://app.test/upload", { method: "POST", body }),
      opts(),
    ).then(async (inv) => {
      const json = await inv.response.json();
      uploadDone = true;
      return json;
    });
    // Wait until the upload is flowing, then ping the other script.
    while (sent < 1 << 20) await new Promise((resolve) => setTimeout(resolve, 5));
    const ping = await pool.fetch(busy, get("/ping"), opts());
    assert.equal(await ping.response.text(), "pong");
    assert.equal(uploadDone, false, "the ping was answered while the upload was still flowing");
    assert.deepEqual(await upload, { bytes: total });
  } finally {
    await pool.close();
  }
});

Deno.test("neighbours - a CPU-bound request of one script does not hold up another script", async () => {
  const pool = testPool();
  const cpu = script(APP, source, {
    scriptId: "cpu",
    versionId: "cpu-v1",
    limits: { ...TEST_LIMITS, timeoutMs: 30_000 },
  });
  try {
    for (const s of [busy, cpu]) await (await pool.fetch(s, get("/ping"), opts())).response.text();
    let spinDone = false;
    const spin = pool.fetch(cpu, get("/spin?ms=1500"), opts()).then(async (inv) => {
      await inv.response.text();
      spinDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ping = await pool.fetch(busy, get("/ping"), opts());
    assert.equal(await ping.response.text(), "pong");
    assert.equal(spinDone, false, "the ping was answered while the other script spun");
    await spin;
  } finally {
    await pool.close();
  }
});

Deno.test("usage - each invocation records CPU time and memory; more work shows more CPU", async () => {
  const pool = testPool();
  try {
    const s = script(APP, source);
    const cpuOf = async (path: string) => {
      const inv = await pool.fetch(s, get(path), opts());
      await inv.response.text();
      return await inv.completed;
    };
    await cpuOf("/ping");
    const light = await cpuOf("/ping");
    const heavy = await cpuOf("/spin?ms=200");
    assert.equal(typeof light.cpuMs, "number");
    assert.equal(typeof heavy.cpuMs, "number");
    assert.ok(heavy.cpuMs! > light.cpuMs!, `${heavy.cpuMs} > ${light.cpuMs}`);
    // A script spinning 200 ms of wall time used most of that as CPU (loose: a loaded machine).
    assert.ok(heavy.cpuMs! >= 20, `heavy used ${heavy.cpuMs} ms`);
    assert.ok(typeof light.memoryMb === "number" && light.memoryMb > 0);
    const logs: LogLine[] = light.logs;
    assert.deepEqual(logs, []);
  } finally {
    await pool.close();
  }
});
