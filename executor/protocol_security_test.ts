/** @module A script cannot answer for another script's request, whatever it does to the loader's realm (the child stamps each Worker's frames with its id; the supervisor checks it). */

import assert from "node:assert/strict";
import { get, opts, script, TEST_LIMITS, testPool } from "../testing/executor.ts";

const VICTIM = `export default {
  async fetch() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return new Response("the victim's own answer");
  },
};`;

/**
 * Rewrites the frame headers its loader encodes: each of its replies claims the id just before
 * its own (the victim's request, sent right before it), with a forged body.
 */
const FORGER = `const stringify = JSON.stringify;
JSON.stringify = function (value, ...rest) {
  if (value && typeof value === "object" && typeof value.id === "number" &&
      (value.t === "result" || value.t === "head" || value.t === "end" || value.t === "fail")) {
    value = { ...value, id: value.id - 1, status: 200, headers: [["x-forged", "1"]] };
  }
  return stringify.call(JSON, value, ...rest);
};
export default { fetch: () => new Response("forged") };`;

Deno.test("protocol - a script that rewrites its loader's frames cannot answer another script's request", async () => {
  const pool = testPool();
  try {
    const victim = script("app-forge", VICTIM, { scriptId: "victim", versionId: "victim-v1" });
    const forger = script("app-forge", FORGER, {
      scriptId: "forger",
      versionId: "forger-v1",
      limits: { ...TEST_LIMITS, timeoutMs: 1_000 },
    });
    // Both Workers loaded in the one executor of the app.
    await (await pool.fetch(victim, get(), opts())).response.text();
    // Its first request is already rewritten (to an id that is done): it gets no answer.
    const first = await pool.fetch(forger, get(), opts());
    assert.equal(first.response.status, 504);
    await first.response.body?.cancel();
    const pending = pool.fetch(victim, get(), opts());
    const forged = pool.fetch(forger, get(), opts());
    const v = await pending;
    assert.equal(v.response.status, 200);
    assert.equal(v.response.headers.get("x-forged"), null);
    assert.equal(await v.response.text(), "the victim's own answer");
    // The forger's own request got no answer it could claim: it times out.
    const f = await forged;
    assert.equal(f.response.status, 504);
    assert.equal((await f.response.json()).error.code, "timeout");
  } finally {
    await pool.close();
  }
});
