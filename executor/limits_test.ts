/** @module Fault tests: every limit is enforced by the trusted side, and other apps never notice. */

import assert from "node:assert/strict";
import type { ExecutorPool, Invocation } from "./mod.ts";
import {
  FAULT_TIMEOUT_MS,
  fixture,
  get,
  opts,
  script,
  TEST_LIMITS,
  testPool,
} from "../testing/executor.ts";

const FAULT_LIMITS = { ...TEST_LIMITS, timeoutMs: FAULT_TIMEOUT_MS };
const bystander = script("app-bystander", fixture("hello.js"));

/** Runs `fault` while a second app keeps being called; every bystander call must answer 200. */
async function withBystander(
  pool: ExecutorPool,
  fault: () => Promise<Invocation>,
): Promise<Invocation> {
  const warm = await pool.fetch(bystander, get(), opts());
  assert.equal(warm.response.status, 200);
  await warm.response.body?.cancel();
  let done = false;
  const faulty = fault().finally(() => done = true);
  const statuses: number[] = [];
  // Bounded in count and time: at most 200 calls.
  for (let i = 0; i < 200 && (!done || statuses.length < 5); i++) {
    const inv = await pool.fetch(bystander, get(), opts());
    statuses.push(inv.response.status);
    await inv.response.body?.cancel();
  }
  assert.deepEqual(statuses.filter((s) => s !== 200), [], "bystander app saw errors");
  return await faulty;
}

async function errorBody(inv: Invocation): Promise<Record<string, unknown>> {
  assert.equal(inv.response.headers.get("content-type"), "application/json");
  const { error } = await inv.response.json();
  // The control plane's shape: what was measured sits under `details`, beside the request id.
  assert.deepEqual(Object.keys(error).sort(), ["code", "details", "message", "request_id"]);
  return { ...error.details, code: error.code, request_id: error.request_id };
}

async function answersAgain(pool: ExecutorPool, s: ReturnType<typeof script>): Promise<void> {
  // The recovery request gets the generous default timeout: respawning an executor on a loaded
  // machine can take longer than the short timeout the fault itself is given.
  const inv = await pool.fetch(
    { ...s, limits: { ...s.limits, timeoutMs: TEST_LIMITS.timeoutMs } },
    get(),
    opts(),
  );
  assert.equal(inv.response.status, 200);
  await inv.response.body?.cancel();
}

Deno.test("limits - infinite loop answers 504 timeout, kills only its executor", async () => {
  const pool = testPool();
  try {
    const s = script("app-loop", fixture("loop.js"), { limits: FAULT_LIMITS });
    await answersAgain(pool, s);
    const pidBefore = pool.stats().find((x) => x.appId === "app-loop")!.pid;
    const o = opts();
    const inv = await withBystander(pool, () => pool.fetch(s, get("/?spin"), o));
    assert.equal(inv.response.status, 504);
    const err = await errorBody(inv);
    assert.equal(err.code, "timeout");
    assert.equal(err.limit_ms, FAULT_TIMEOUT_MS);
    assert.equal(typeof err.elapsed_ms, "number");
    assert.equal(err.request_id, o.requestId);
    assert.equal(inv.outcome.kind, "timeout");
    await answersAgain(pool, s);
    assert.notEqual(pool.stats().find((x) => x.appId === "app-loop")!.pid, pidBefore);
  } finally {
    await pool.close();
  }
});

Deno.test("limits - a timeout restarts the executor: same-app in-flight requests get executor_restarted", async () => {
  const pool = testPool();
  try {
    const loop = script("app-shared", fixture("loop.js"), { limits: FAULT_LIMITS });
    const slow = script("app-shared", fixture("faults.js"), {
      limits: { ...TEST_LIMITS, timeoutMs: 20_000 },
    });
    await answersAgain(pool, loop);
    await answersAgain(pool, slow);
    const spinning = pool.fetch(loop, get("/?spin"), opts());
    // Another Worker of the same process, waiting forever: the kill at ~1 s cuts it (however
    // loaded the machine is, well before its own 20 s timeout).
    const victim = pool.fetch(slow, get("/?mode=never"), opts());
    const [a, b] = await Promise.all([spinning, victim]);
    assert.equal(a.response.status, 504);
    await a.response.body?.cancel();
    assert.equal(b.response.status, 503);
    assert.equal((await errorBody(b)).code, "executor_restarted");
    assert.equal(b.outcome.kind, "crashed");
    assert.match(b.outcome.kind === "crashed" ? b.outcome.reason : "", /timed out/);
    await answersAgain(pool, slow);
  } finally {
    await pool.close();
  }
});

/**
 * A request of `s` that waits forever times out (504 `timeout`) while `other` (a request of the
 * same app, started by `startOther`) runs: nothing was stuck, so `other` answers 200 and the
 * executor is the same process.
 */
async function timeoutKeepsExecutor(
  pool: ExecutorPool,
  s: ReturnType<typeof script>,
  startOther: () => Promise<Invocation>,
): Promise<void> {
  await answersAgain(pool, s);
  const pid = pool.stats()[0].pid;
  const never = pool.fetch(s, get("/?mode=never"), opts());
  const other = startOther();
  const inv = await never;
  assert.equal(inv.response.status, 504);
  assert.equal((await errorBody(inv)).code, "timeout");
  const o = await other;
  if (o.response.status !== 200) {
    throw new Error(
      `other ${o.response.status}: ${await o.response.text()} (${JSON.stringify(o.outcome)})`,
    );
  }
  await o.response.body?.cancel();
  assert.equal(pool.stats()[0].pid, pid);
}

Deno.test("limits - a never-resolving promise answers 504 without restarting the idle executor", async () => {
  const pool = testPool();
  try {
    const s = script("app-never", fixture("faults.js"), { limits: FAULT_LIMITS });
    const slow = { ...s, limits: { ...TEST_LIMITS, timeoutMs: 20_000 } };
    // Nothing was spinning, so the same-app neighbour finishes normally.
    await timeoutKeepsExecutor(pool, s, () => pool.fetch(slow, get("/?mode=hang"), opts()));
  } finally {
    await pool.close();
  }
});

Deno.test("limits - a Worker busy for a moment at another request's deadline is kept", async () => {
  // A timeout decides from the Worker's answer to its cancel, not from a reading of its thread's
  // CPU at the deadline: a request of the same Worker that computes across the deadline of one
  // waiting forever makes the thread busy right then, but the Worker answers once it is done.
  const pool = testPool();
  try {
    const s = script("app-burn", fixture("faults.js"), { limits: FAULT_LIMITS });
    const busy = { ...s, limits: { ...TEST_LIMITS, timeoutMs: 20_000 } };
    await timeoutKeepsExecutor(pool, s, async () => {
      await new Promise((r) => setTimeout(r, FAULT_TIMEOUT_MS - 150));
      return await pool.fetch(busy, get("/?mode=burn&ms=250"), opts());
    });
  } finally {
    await pool.close();
  }
});

Deno.test("limits - heap bomb answers 503 memory_limit", async () => {
  const pool = testPool();
  try {
    const s = script("app-heap", fixture("heap_bomb.js"), {
      limits: { ...TEST_LIMITS, timeoutMs: 20_000 },
    });
    await answersAgain(pool, s);
    const inv = await withBystander(pool, () => pool.fetch(s, get("/?bomb"), opts()));
    assert.equal(inv.response.status, 503);
    const err = await errorBody(inv);
    assert.equal(err.code, "memory_limit");
    assert.equal(err.limit_mb, TEST_LIMITS.memoryLimitMb);
    assert.equal(typeof err.used_mb, "number");
    assert.equal(inv.outcome.kind, "memory");
    await answersAgain(pool, s);
  } finally {
    await pool.close();
  }
});

Deno.test("limits - off-heap ArrayBuffer bomb answers 503 memory_limit (RSS watch)", async () => {
  const pool = testPool();
  try {
    const s = script("app-buffer", fixture("buffer_bomb.js"), {
      limits: { ...TEST_LIMITS, timeoutMs: 20_000 },
    });
    await answersAgain(pool, s);
    const inv = await withBystander(pool, () => pool.fetch(s, get("/?bomb"), opts()));
    assert.equal(inv.response.status, 503);
    const err = await errorBody(inv);
    assert.equal(err.code, "memory_limit");
    assert.ok((err.used_mb as number) > TEST_LIMITS.memoryLimitMb);
    await answersAgain(pool, s);
  } finally {
    await pool.close();
  }
});

Deno.test("limits - script faults answer named JSON errors and the app keeps serving", async (t) => {
  const pool = testPool();
  const s = script("app-faults", fixture("faults.js"));
  const cases: [string, number, string, Invocation["outcome"]["kind"]][] = [
    ["exit", 502, "executor_crashed", "crashed"],
    ["process-exit", 502, "executor_crashed", "crashed"],
    ["throw", 500, "script_error", "rejected"],
    ["non-response", 500, "script_error", "rejected"],
    ["big", 502, "response_too_large", "response_too_large"],
    ["uncaught", 200, "", "ok"],
    ["reject", 200, "", "ok"],
  ];
  try {
    await answersAgain(pool, s);
    const pidOf = () => pool.stats().find((x) => x.appId === "app-faults")?.pid;
    const pid = pidOf();
    for (const [mode, status, code, kind] of cases) {
      await t.step(`${mode} → ${status} ${code || "ok"}`, async () => {
        const inv = await withBystander(pool, () => pool.fetch(s, get(`/?mode=${mode}`), opts()));
        assert.equal(inv.response.status, status);
        assert.equal(inv.outcome.kind, kind);
        if (code) {
          const err = await errorBody(inv);
          assert.equal(err.code, code);
          assert.equal(JSON.stringify(err).includes("secret-token-123"), false);
        } else await inv.response.body?.cancel();
        await answersAgain(pool, s);
      });
    }
    await t.step("the thrown error text is kept for the execution log", async () => {
      const inv = await pool.fetch(s, get("/?mode=throw"), opts());
      await inv.response.body?.cancel();
      assert.match(inv.outcome.kind === "rejected" ? inv.outcome.error : "", /secret-token-123/);
    });
    await t.step(
      "none of that restarted the executor",
      () => assert.equal(pidOf(), pid),
    );
  } finally {
    await pool.close();
  }
});

Deno.test("limits - request body over limit answers 413 (declared and streamed)", async () => {
  const pool = testPool();
  try {
    const s = script("app-body", fixture("faults.js"));
    const limit = TEST_LIMITS.maxBodyBytes;
    const declared = await pool.fetch(
      s,
      new Request("http://app.test/?mode=echo", {
        method: "POST",
        body: new Uint8Array(limit + 1),
      }),
      opts(),
    );
    assert.equal(declared.response.status, 413);
    const err = await errorBody(declared);
    assert.deepEqual([err.code, err.limit_bytes, err.received_bytes], [
      "body_too_large",
      limit,
      limit + 1,
    ]);
    const chunks = [new Uint8Array(limit / 2), new Uint8Array(limit / 2), new Uint8Array(10)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const streamed = await pool.fetch(
      s,
      new Request("http://app.test/?mode=echo", { method: "POST", body: stream }),
      opts(),
    );
    assert.equal(streamed.response.status, 413);
    assert.equal((await errorBody(streamed)).received_bytes, limit + 10);
    const ok = await pool.fetch(
      s,
      new Request("http://app.test/?mode=echo", { method: "POST", body: new Uint8Array(limit) }),
      opts(),
    );
    assert.equal(ok.response.status, 200);
    assert.equal((await ok.response.arrayBuffer()).byteLength, limit);
  } finally {
    await pool.close();
  }
});

Deno.test("limits - concurrency over maxConcurrency answers 429 with Retry-After", async () => {
  const pool = testPool();
  try {
    const s = script("app-conc", fixture("faults.js"), {
      limits: { ...TEST_LIMITS, maxConcurrency: 2 },
    });
    const all = await Promise.all([1, 2, 3].map(() => pool.fetch(s, get("/?mode=slow"), opts())));
    const statuses = all.map((i) => i.response.status).sort();
    assert.deepEqual(statuses, [200, 200, 429]);
    const rejected = all.find((i) => i.response.status === 429)!;
    assert.equal(rejected.response.headers.get("retry-after"), "1");
    const err = await errorBody(rejected);
    assert.deepEqual([err.code, err.limit, err.in_flight], ["concurrency_limit", 2, 2]);
    for (const i of all) if (!i.response.bodyUsed) await i.response.body?.cancel();
  } finally {
    await pool.close();
  }
});

Deno.test("limits - a slow-loris upload answers 408 timeout once timeoutMs has passed", async () => {
  const pool = testPool();
  try {
    const s = script("app-slowloris", fixture("faults.js"), { limits: FAULT_LIMITS });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 100));
        if (++sent > 100) return c.close();
        c.enqueue(new Uint8Array([120]));
      },
    });
    const o = opts();
    const inv = await pool.fetch(
      s,
      new Request("http://app.test/?mode=echo", { method: "POST", body }),
      o,
    );
    assert.equal(inv.response.status, 408);
    const err = await errorBody(inv);
    assert.deepEqual([err.code, err.limit_ms, err.request_id], [
      "timeout",
      FAULT_TIMEOUT_MS,
      o.requestId,
    ]);
    assert.equal((await inv.completed).outcome.kind, "timeout");
    // The script waited for the body: the slow client, not the script, timed out, so the
    // executor (and every other request in it) stays.
    const pid = pool.stats()[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(pool.stats()[0]?.pid, pid);
  } finally {
    await pool.close();
  }
});
