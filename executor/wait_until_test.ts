/** @module Tests of `ctx.waitUntil` work after the response: its lines reach the completion, bounded by the script's timeout. */
import assert from "node:assert/strict";
import { FAULT_TIMEOUT_MS, get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";
import type { Completion } from "./mod.ts";

/**
 * Responds at once; its waitUntil work sleeps 200 ms, then waits for the gate a later request
 * opens (so "late" is logged only after the test has read the body), then logs "late".
 */
const GATED = `let open = () => {};
const gate = new Promise((resolve) => open = resolve);
export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/open") {
      open();
      return new Response("opened");
    }
    console.log("early");
    ctx.waitUntil((async () => {
      await new Promise((r) => setTimeout(r, 200));
      await gate;
      console.log("late");
    })());
    return new Response("body");
  },
};`;

/** Watches a completion without awaiting it. */
function watch(completed: Promise<Completion>): { done: boolean } {
  const seen = { done: false };
  completed.then(() => seen.done = true);
  return seen;
}

const messages = (c: Completion) => c.logs.map((l) => l.message);

Deno.test("waitUntil - the body goes out at once; the completion waits and holds the late line", async () => {
  const pool = testPool();
  try {
    const s = script("app-wu-late", GATED);
    const inv = await pool.fetch(s, get("/"), opts());
    const seen = watch(inv.completed);
    assert.equal(await inv.response.text(), "body");
    // The client has the whole body while the waitUntil work still runs.
    assert.equal(seen.done, false);
    assert.deepEqual(inv.logs.map((l) => l.message), ["early"]);
    const opened = await pool.fetch(s, get("/open"), opts());
    assert.equal(await opened.response.text(), "opened");
    const done = await inv.completed;
    assert.equal(done.outcome.kind, "ok");
    assert.deepEqual(messages(done), ["early", "late"]);
    assert.ok(done.durationMs >= 200, `completed after ${done.durationMs} ms`);
  } finally {
    await pool.close();
  }
});

Deno.test("waitUntil - work that never settles completes at the timeout with a note", async () => {
  const pool = testPool();
  try {
    const s = script(
      "app-wu-never",
      `export default {
        fetch(request, env, ctx) {
          ctx.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => console.log("started")));
          ctx.waitUntil(new Promise(() => {}));
          return new Response("answered");
        },
      };`,
      { limits: { ...TEST_LIMITS, timeoutMs: FAULT_TIMEOUT_MS } },
    );
    const inv = await pool.fetch(s, get(), opts());
    assert.equal(await inv.response.text(), "answered");
    const done = await inv.completed;
    assert.equal(done.outcome.kind, "ok");
    assert.ok(done.durationMs >= FAULT_TIMEOUT_MS, `completed after ${done.durationMs} ms`);
    assert.equal(messages(done)[0], "started");
    const note = done.logs.at(-1)!;
    assert.equal(note.level, "warn");
    assert.match(note.message, /waitUntil work was still running at the script's time limit/);
    // The Worker was only waiting: it answered the cancel and keeps serving.
    const again = await pool.fetch(s, get(), opts());
    assert.equal(await again.response.text(), "answered");
    await pool.stopApp("app-wu-never");
  } finally {
    await pool.close();
  }
});

Deno.test("waitUntil - concurrent invocations keep their own late lines", async () => {
  const pool = testPool();
  try {
    const s = script(
      "app-wu-two",
      `export default {
        fetch(request, env, ctx) {
          const n = new URL(request.url).searchParams.get("n");
          ctx.waitUntil((async () => {
            for (let i = 0; i < 4; i++) {
              await new Promise((r) => setTimeout(r, 15));
              console.log("late " + n + " " + i);
            }
          })());
          return new Response(n);
        },
      };`,
    );
    const [a, b] = await Promise.all([
      pool.fetch(s, get("/?n=a"), opts()),
      pool.fetch(s, get("/?n=b"), opts()),
    ]);
    assert.equal(await a.response.text(), "a");
    assert.equal(await b.response.text(), "b");
    const [doneA, doneB] = await Promise.all([a.completed, b.completed]);
    assert.deepEqual(messages(doneA), [0, 1, 2, 3].map((i) => `late a ${i}`));
    assert.deepEqual(messages(doneB), [0, 1, 2, 3].map((i) => `late b ${i}`));
  } finally {
    await pool.close();
  }
});

Deno.test("waitUntil - a rejected promise's line and a streamed response's late lines are kept", async () => {
  const pool = testPool();
  try {
    const s = script(
      "app-wu-stream",
      `export default {
        fetch(request, env, ctx) {
          let ended = () => {};
          const streamed = new Promise((r) => ended = r);
          ctx.waitUntil(streamed.then(() => new Promise((r) => setTimeout(r, 50))).then(() => {
            console.log("after the stream");
            throw new Error("boom");
          }));
          const body = new ReadableStream({
            async pull(c) {
              await new Promise((r) => setTimeout(r, 5));
              c.enqueue(new TextEncoder().encode("x"));
              c.close();
              ended();
            },
          });
          return new Response(body);
        },
      };`,
    );
    const inv = await pool.fetch(s, get(), opts());
    assert.equal(await inv.response.text(), "x");
    const done = await inv.completed;
    assert.equal(done.outcome.kind, "ok");
    assert.equal(messages(done)[0], "after the stream");
    assert.match(messages(done)[1], /^waitUntil rejected: Error: boom/);
  } finally {
    await pool.close();
  }
});
