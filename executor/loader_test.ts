/** @module Tests of the loader Worker on its own (a real Worker, with no permission at all). */

import assert from "node:assert/strict";

Deno.test("loader - a spare's warm-up runs the whole invocation path to its response", async () => {
  // No permission at all: a spare's warm-up needs none (its link comes with the script).
  const worker = new Worker(new URL("./loader.ts", import.meta.url), {
    type: "module",
    deno: { permissions: "none" },
  } as WorkerOptions);
  try {
    const warm = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no warm-up report in 10 s")), 10_000);
      worker.onmessage = (e) => {
        if (e.data?.t !== "warm") return;
        clearTimeout(timer);
        resolve(e.data);
      };
    });
    // Short of the response (a throw while the handler's arguments are built, say), the first
    // request of the next script would pay for what the warm-up is there to compile.
    assert.deepEqual(warm, { t: "warm", status: 200, body: "warm", error: "" });
  } finally {
    worker.terminate();
  }
});
